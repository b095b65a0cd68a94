import Foundation
import TacitBytes
import TacitJob
import TacitMillionaires
import TacitNet

/// `tacit compare`: the millionaires' comparison between two processes that have not met, no
/// consortium, no ledger — for trying the protocol in two terminals. The listener chooses what
/// is asked (predicate, path, width); the connector, given the listener's key, learns the
/// question in the pairing answer. Both learn the answer. See Docs/TacitNode.md.
public enum PairedComparison {
    public struct Request: Sendable {
        /// `HOST:PORT` to listen on, or nil to connect.
        public var listen: String?
        /// `HOST:PORT` of the listener.
        public var connect: String?
        /// The listener's public key (Z85), which it printed; required to connect.
        public var peerKey: String?
        /// This side's number (decimal text; never printed or sent).
        public var value: String
        public var predicate: String = "lt"
        public var path: String = "ot"
        public var signed: Bool = true
        public var bits: Int = 64
        public var fractionDigits: Int = 0
        /// Where the listener reaches the connector (`tcp://HOST:PORT`); default a free port on
        /// 127.0.0.1, which is right when both run on one machine.
        public var advertise: String?
        public var timeout: Duration = .seconds(600)
        public init(value: String) { self.value = value }
    }

    /// What the listener asks, sent in its pairing answer.
    struct Question: Codable, Equatable {
        var predicate: String
        var path: String
        var signed: Bool
        var bits: Int
        var fractionDigits: Int
    }

    static let listener = Pairing.listener
    static let connector = Pairing.connector

    /// Runs one side; `say` prints progress and the answer. Returns whether the predicate holds
    /// (from this side's point of view: "mine <predicate> theirs").
    public static func run(_ r: Request, say: @escaping @Sendable (String) -> Void) async throws -> Bool {
        guard (r.listen == nil) != (r.connect == nil) else {
            throw NodeError(.invalidConfig, "give exactly one of --listen HOST:PORT and --connect HOST:PORT")
        }
        if let listen = r.listen {
            guard let predicate = Millionaires.Predicate(rawValue: r.predicate) else {
                throw NodeError(.invalidConfig, "--predicate '\(r.predicate)' is not one of lt, le, eq, ne, ge, gt")
            }
            guard Millionaires.PathKind(rawValue: r.path) != nil else { throw NodeError(.invalidConfig, "--path '\(r.path)' is not ot or he") }
            let mine = Question(predicate: r.predicate, path: r.path, signed: r.signed, bits: r.bits, fractionDigits: r.fractionDigits)
            // Checked before anyone connects: a bad number should not cost the other side a wait.
            _ = try encode(r.value, mine)
            let settings = String(decoding: try JSONEncoder().encode(mine), as: UTF8.self)
            let paired = try await Pairing.listen(listen, settings: settings, timeout: r.timeout, say: say) { at, key in
                "tacit compare --connect \(at) \(key) --value N"
            }
            return try await compare(r.value, mine, predicate: predicate, me: listener, peer: connector, mesh: paired.mesh, timeout: r.timeout, say: say)
        } else {
            guard let target = r.connect else { throw NodeError(.invalidConfig, "give --connect HOST:PORT") }
            let paired = try await Pairing.connect(target, peerKey: r.peerKey, advertise: r.advertise, timeout: r.timeout, say: say)
            guard let q = try? JSONDecoder().decode(Question.self, from: Data(paired.settings.utf8)),
                let asked = Millionaires.Predicate(rawValue: q.predicate), Millionaires.PathKind(rawValue: q.path) != nil,
                (1...64).contains(q.bits), (0...18).contains(q.fractionDigits)
            else {
                paired.mesh.close()
                throw NodeError(.invalidConfig, "the listener's question is malformed; is it the same version of tacit?")
            }
            // The listener asks "listener's <asked> connector's"; from here that is the mirror.
            let predicate = mirrored(asked)
            say("the listener asks: is its number \(phrase(asked)) yours? (\(q.path) path, \(q.bits)-bit \(q.signed ? "signed" : "unsigned"), \(q.fractionDigits) fraction digits)")
            return try await compare(r.value, q, predicate: predicate, me: connector, peer: listener, mesh: paired.mesh, timeout: r.timeout, say: say)
        }
    }

    /// The comparison itself, once both sides have a mesh with the other in it.
    static func compare(
        _ text: String, _ mine: Question, predicate: Millionaires.Predicate, me: PartyID, peer peerName: PartyID, mesh: ZeroMQMesh,
        timeout: Duration, say: @escaping @Sendable (String) -> Void
    ) async throws -> Bool {
        defer { mesh.close() }
        let value = try encode(text, mine)
        let kind = Millionaires.PathKind(rawValue: mine.path) ?? .ot
        let asked = Millionaires.Predicate(rawValue: mine.predicate) ?? .lt
        let start = ContinuousClock.now
        let answer = try await Millionaires.compare(
            [value], predicate: asked, path: kind, bits: mine.bits, role: me == listener ? .holdsX : .holdsY,
            channel: mesh.session(SessionID(1)), pathChannel: mesh.session(SessionID(2)), peer: peerName,
            recipients: [listener, connector], timeout: timeout)
        let elapsed = ContinuousClock.now - start
        guard let holds = answer?.first else { throw NodeError(.invalidConfig, "no answer arrived") }
        let ms = Double(elapsed.components.seconds) * 1e3 + Double(elapsed.components.attoseconds) / 1e15
        say("mine \(phrase(predicate)) theirs: \(holds) (\(String(format: "%.1f", ms)) ms, keys and preprocessing included)")
        await Pairing.goodbye(mesh, to: peerName)
        return holds
    }

    static func encode(_ text: String, _ q: Question) throws -> UInt64 {
        do { return try Millionaires.encodeValue(text, signed: q.signed, bits: q.bits, fractionDigits: q.fractionDigits, what: "--value") } catch let e as JobError {
            throw NodeError(.invalidConfig, e.message)
        }
    }

    static func mirrored(_ p: Millionaires.Predicate) -> Millionaires.Predicate {
        switch p {
        case .lt: return .gt
        case .le: return .ge
        case .gt: return .lt
        case .ge: return .le
        case .eq, .ne: return p
        }
    }

    static func phrase(_ p: Millionaires.Predicate) -> String {
        switch p {
        case .lt: return "<"
        case .le: return "≤"
        case .eq: return "="
        case .ne: return "≠"
        case .ge: return "≥"
        case .gt: return ">"
        }
    }
}
