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
        /// Where the listener's mesh listens: a port of its own, bound before it answers. Not
        /// the rendezvous port: a connector dialling that while the rendezvous socket is still
        /// open would meet the wrong socket and lose its first messages.
        var endpoint: String = ""
    }

    /// Holds the listener's mesh and bound endpoint from inside the rendezvous callbacks.
    final class MeshBox: @unchecked Sendable {
        // @unchecked: written on the rendezvous thread, read there or after it has finished.
        var mesh: ZeroMQMesh?
        var endpoint = ""
    }

    static let listener: PartyID = "listener"
    static let connector: PartyID = "connector"

    /// Runs one side; `say` prints progress and the answer. Returns whether the predicate holds
    /// (from this side's point of view: "mine <predicate> theirs").
    public static func run(_ r: Request, say: @escaping @Sendable (String) -> Void) async throws -> Bool {
        guard (r.listen == nil) != (r.connect == nil) else {
            throw NodeError(.invalidConfig, "give exactly one of --listen HOST:PORT and --connect HOST:PORT")
        }
        let keys = try CurveKeyPair.generate()
        if let listen = r.listen {
            guard let p = Millionaires.Predicate(rawValue: r.predicate) else {
                throw NodeError(.invalidConfig, "--predicate '\(r.predicate)' is not one of lt, le, eq, ne, ge, gt")
            }
            guard Millionaires.PathKind(rawValue: r.path) != nil else { throw NodeError(.invalidConfig, "--path '\(r.path)' is not ot or he") }
            let predicate = p
            let mine = Question(predicate: r.predicate, path: r.path, signed: r.signed, bits: r.bits, fractionDigits: r.fractionDigits)
            // Checked before anyone connects: a bad number should not cost the other side a wait.
            _ = try encode(r.value, mine)
            let endpoint = "tcp://\(listen)"
            if let problem = Endpoint.validate(endpoint, bindable: true) { throw NodeError(.invalidConfig, "--listen \(listen) \(problem)") }
            let host = String(listen[..<(listen.lastIndex(of: ":") ?? listen.endIndex)])
            let box = MeshBox()
            let timeout = r.timeout
            let hello = try await onThread {
                try CurveRendezvous.accept(bind: endpoint, keyPair: keys, timeout: timeout, bound: { actual in
                    // Printed only once bound, with the port the system chose for port 0: a
                    // connector told earlier could dial a port someone else has just taken.
                    let at = actual.hasPrefix("tcp://") ? String(actual.dropFirst("tcp://".count)) : actual
                    box.endpoint = actual
                    say("listening on \(at); this side's key: \(keys.publicKey.z85)")
                    say("in the other terminal: tacit compare --connect \(at) --peer-key \(keys.publicKey.z85) --value N")
                }) { hello in
                    do {
                        let members = [
                            try Consortium.Member(name: listener, publicKey: keys.publicKey, endpoint: box.endpoint),
                            try Consortium.Member(name: connector, publicKey: hello.publicKey, endpoint: hello.endpoint),
                        ]
                        var config = MeshConfiguration(name: listener, keyPair: keys, consortium: try Consortium(members: members))
                        config.defaultTimeout = timeout
                        config.bindEndpoint = "tcp://\(host):*"
                        let mesh = try ZeroMQMesh(configuration: config)
                        box.mesh = mesh
                        var q = mine
                        q.endpoint = "tcp://\(host):\(mesh.boundEndpoint.split(separator: ":").last ?? "")"
                        return .accept(String(decoding: (try? JSONEncoder().encode(q)) ?? Data(), as: UTF8.self))
                    } catch {
                        return .refuse("the listener could not start its side: \(error)")
                    }
                }
            }
            guard let mesh = box.mesh else { throw NodeError(.invalidConfig, "the listener's mesh did not start") }
            say("paired with a connector whose key is \(hello.publicKey.z85) (compare it with what the other side printed)")
            return try await compare(r.value, mine, predicate: predicate, me: listener, peer: connector, mesh: mesh, timeout: r.timeout, say: say)
        } else {
            guard let target = r.connect, let keyText = r.peerKey else {
                throw NodeError(.invalidConfig, "--connect needs --peer-key: the key the listener printed")
            }
            let serverKey: CurvePublicKey
            do { serverKey = try CurvePublicKey(z85: keyText) } catch {
                throw NodeError(.invalidConfig, "--peer-key is not a CURVE public key (40 Z85 characters, as the listener printed it)")
            }
            let endpoint = "tcp://\(target)"
            if let problem = endpointProblem(endpoint) { throw NodeError(.invalidConfig, "--connect \(target) \(problem)") }
            let advertise = try r.advertise ?? "tcp://127.0.0.1:\(LoopbackPorts.free(1)[0])"
            if let problem = endpointProblem(advertise) { throw NodeError(.invalidConfig, "--advertise \(advertise) \(problem)") }
            say("this side's key: \(keys.publicKey.z85)")
            let hello = CurveRendezvous.Hello(publicKey: keys.publicKey, endpoint: advertise, settings: "")
            let answer = try await onThread {
                try CurveRendezvous.connect(endpoint: endpoint, serverKey: serverKey, keyPair: keys, hello: hello, timeout: r.timeout)
            }
            guard let q = try? JSONDecoder().decode(Question.self, from: Data(answer.utf8)),
                let asked = Millionaires.Predicate(rawValue: q.predicate), Millionaires.PathKind(rawValue: q.path) != nil,
                (1...64).contains(q.bits), (0...18).contains(q.fractionDigits), endpointProblem(q.endpoint) == nil
            else { throw NodeError(.invalidConfig, "the listener's question is malformed; is it the same version of tacit?") }
            // The listener asks "listener's <asked> connector's"; from here that is the mirror.
            let predicate = mirrored(asked)
            say("the listener asks: is its number \(phrase(asked)) yours? (\(q.path) path, \(q.bits)-bit \(q.signed ? "signed" : "unsigned"), \(q.fractionDigits) fraction digits)")
            let members = [
                try Consortium.Member(name: listener, publicKey: serverKey, endpoint: q.endpoint),
                try Consortium.Member(name: connector, publicKey: keys.publicKey, endpoint: advertise),
            ]
            var config = MeshConfiguration(name: connector, keyPair: keys, consortium: try Consortium(members: members))
            config.defaultTimeout = r.timeout
            if let advertise = r.advertise, let port = advertise.split(separator: ":").last {
                // Behind NAT the advertised address is not this host's: listen on every interface.
                config.bindEndpoint = "tcp://*:\(port)"
            }
            let mesh = try ZeroMQMesh(configuration: config)
            return try await compare(r.value, q, predicate: predicate, me: connector, peer: listener, mesh: mesh, timeout: r.timeout, say: say)
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
        // Let the last answer reach the peer before the sockets close.
        try? await Task.sleep(for: .milliseconds(200))
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

    static func endpointProblem(_ e: String) -> String? { Endpoint.validate(e) }

    /// Blocking ZeroMQ calls on a thread of their own, off the cooperative pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try body() }) }.start()
        }
    }
}
