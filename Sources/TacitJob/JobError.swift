import TacitMPC
import TacitNet

/// Every failure the job layer and job protocols report: a code that can grow, and a message
/// that says what was wrong and what to do. Errors compare on their code only, so tests match
/// on what went wrong, not on wording. Messages never contain data values, key material or
/// local details such as row numbers: a run's failure reason (`message`) goes on the ledger.
public struct JobError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A job spec does not fit the protocol or engine it names.
        public static let invalidSpec = Code(name: "invalidSpec")
        /// An input value does not fit what the protocol computes on.
        public static let invalidInput = Code(name: "invalidInput")
        /// A peer misbehaved, timed out, disagreed, or the protocol cannot go on.
        public static let protocolFailure = Code(name: "protocolFailure")
        /// The protocol asked for something it did not declare, or this party lacks it.
        public static let missingResource = Code(name: "missingResource")
        /// No job protocol or engine of that name is registered.
        public static let unknownProtocol = Code(name: "unknownProtocol")

        public var description: String { name }
    }

    public let code: Code
    public let message: String
    /// The party whose message or behaviour caused the failure, when one did.
    public let peer: String?
    /// Where in this party's own data the failure lies (a row number): for the local log and
    /// the local operator only, never for the ledger or a peer, since it says something about
    /// the data's shape.
    public let localDetail: String?

    public init(_ code: Code, _ message: String, peer: String? = nil, localDetail: String? = nil) {
        self.code = code
        self.message = message
        self.peer = peer
        self.localDetail = localDetail
    }

    /// The message and the local detail: what the local log and command line show.
    public var description: String { localDetail.map { "\(message) (\($0))" } ?? message }

    public static func == (a: JobError, b: JobError) -> Bool { a.code == b.code }
    public func hash(into h: inout Hasher) { h.combine(code) }
}

extension JobError {
    /// Any error a protocol run throws, as the job layer's error: engine and transport errors
    /// keep their message and the peer they name.
    public static func from(_ error: any Error) -> JobError {
        switch error {
        case let e as JobError: return e
        case let e as MPCError: return JobError(.protocolFailure, e.message, peer: e.peer?.name)
        case let e as NetError: return JobError(.protocolFailure, e.reason)
        default: return JobError(.protocolFailure, "\(error)")
        }
    }
}
