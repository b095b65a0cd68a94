public import TacitNet

/// Every failure of an MPC job. Says what went wrong, which peer it concerns (when one does)
/// and what to do; never contains shares or secret values.
public struct MPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A peer sent a message of the wrong length, kind, or with non-canonical elements.
        public static let malformedMessage = Code(name: "malformedMessage")
        /// A peer detected a failure and aborted the job; its reason is quoted.
        public static let peerAborted = Code(name: "peerAborted")
        /// No message from a peer before the deadline.
        public static let timeout = Code(name: "timeout")
        /// The transport failed (closed mesh, unknown peer, message too large).
        public static let network = Code(name: "network")
        /// The protocol does not support this party count or operation.
        public static let unsupported = Code(name: "unsupported")
        /// The caller passed something invalid (lengths, owners, bounds).
        public static let invalidArgument = Code(name: "invalidArgument")
        /// A job's engine parameters are missing or do not fit the job (e.g. no dealer named,
        /// or an input party named as dealer).
        public static let invalidParameter = Code(name: "invalidParameter")
        /// Revealed shares are inconsistent (e.g. not on one Shamir polynomial).
        public static let inconsistentShares = Code(name: "inconsistentShares")
        /// The job was cancelled.
        public static let cancelled = Code(name: "cancelled")
        public var description: String { name }
    }

    public let code: Code
    public let message: String
    /// The peer the failure concerns, if any.
    public let peer: PartyID?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ message: String, peer: PartyID? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.peer = peer
        self.file = file
        self.line = line
    }

    public var description: String {
        "MPCError.\(code)\(peer.map { " (peer \($0))" } ?? ""): \(message)"
    }

    public static func == (a: MPCError, b: MPCError) -> Bool {
        a.code == b.code && a.message == b.message && a.peer == b.peer
    }
    public func hash(into h: inout Hasher) {
        h.combine(code)
        h.combine(message)
        h.combine(peer)
    }
}
