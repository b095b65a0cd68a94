import Foundation
import TacitNet

/// Two processes that have not met, paired for one two-party protocol run (`tacit compare`,
/// `tacit psi`): no consortium, no ledger. The listener binds (port 0: any free port), prints
/// where it is and its CURVE key, and accepts the first connector that knows that key (trust
/// on first use: see ``CurveRendezvous``); its answer carries its settings for the run and the
/// endpoint of a mesh it has already bound. Both then hold a two-member mesh.
enum Pairing {
    static let listener: PartyID = "listener"
    static let connector: PartyID = "connector"

    /// The session of the closing goodbye, apart from every protocol's.
    static let goodbyeSession = SessionID(0x6279)

    /// Once this side's protocol is done: says goodbye to `peer` and waits (at most `timeout`
    /// a step) for its goodbye, then for its word that it has taken note, so that neither
    /// closes before the other expects it and neither warns of a lost connection. (One
    /// exchange is not enough: the mesh's I/O thread may see the peer's socket close before
    /// the task that read the goodbye has marked the peer as leaving.) A peer that never says
    /// it (it failed) only costs the wait.
    static func goodbye(_ mesh: ZeroMQMesh, to peer: PartyID, timeout: Duration = .seconds(5)) async {
        let s = mesh.session(goodbyeSession)
        try? await s.send(Payload(Array("bye".utf8)), to: peer, tag: Tag(1))
        guard (try? await s.receive(from: peer, tag: Tag(1), timeout: timeout)) != nil else { return }
        mesh.peerIsLeaving(peer)
        try? await s.send(Payload(Array("noted".utf8)), to: peer, tag: Tag(2))
        _ = try? await s.receive(from: peer, tag: Tag(2), timeout: timeout)
    }

    struct Paired {
        let mesh: ZeroMQMesh
        let keys: CurveKeyPair
        let peerKey: CurvePublicKey
        /// The listener's settings (at the connector: as received, to be validated).
        let settings: String
    }

    /// What the listener's answer carries: its settings and where its mesh listens (a port of
    /// its own, bound before it answers: a connector dialling the rendezvous port while that
    /// socket is still open would meet the wrong socket and lose its first messages).
    struct Answer: Codable {
        var settings: String
        var endpoint: String
    }

    /// The listener's side. `hint(address, keyArgument)` is the line telling the user what to
    /// run in the other terminal, `keyArgument` being `--peer-key='KEY'`: Z85 keys hold shell
    /// characters (`>`, `(`, `&`, `$`…) and may begin with `-`, so the bare key pasted into a
    /// shell, or given as a separate argument, would not arrive whole (Z85 has no `'`).
    /// `check(settings)` may refuse the connector's hello settings.
    static func listen(
        _ listen: String, settings: String, timeout: Duration, say: @escaping @Sendable (String) -> Void,
        hint: @escaping @Sendable (_ address: String, _ keyArgument: String) -> String,
        check: @escaping @Sendable (String) -> String? = { _ in nil }
    ) async throws -> Paired {
        let keys = try CurveKeyPair.generate()
        let endpoint = "tcp://\(listen)"
        if let problem = Endpoint.validate(endpoint, bindable: true) { throw NodeError(.invalidConfig, "--listen \(listen) \(problem)") }
        let host = String(listen[..<(listen.lastIndex(of: ":") ?? listen.endIndex)])
        let box = MeshBox()
        let hello = try await onThread {
            try CurveRendezvous.accept(bind: endpoint, keyPair: keys, timeout: timeout, bound: { actual in
                // Printed only once bound, with the port the system chose for port 0: a
                // connector told earlier could dial a port someone else has just taken.
                let at = actual.hasPrefix("tcp://") ? String(actual.dropFirst("tcp://".count)) : actual
                box.endpoint = actual
                say("listening on \(at); this side's key: \(keys.publicKey.z85)")
                say("in the other terminal: \(hint(at, "--peer-key='\(keys.publicKey.z85)'"))")
            }) { hello in
                if let why = check(hello.settings) { return .refuse(why) }
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
                    let answer = Answer(settings: settings, endpoint: "tcp://\(host):\(mesh.boundEndpoint.split(separator: ":").last ?? "")")
                    return .accept(String(decoding: (try? JSONEncoder().encode(answer)) ?? Data(), as: UTF8.self))
                } catch {
                    return .refuse("the listener could not start its side: \(error)")
                }
            }
        }
        guard let mesh = box.mesh else { throw NodeError(.invalidConfig, "the listener's mesh did not start") }
        say("paired with a connector whose key is \(hello.publicKey.z85) (compare it with what the other side printed)")
        return Paired(mesh: mesh, keys: keys, peerKey: hello.publicKey, settings: settings)
    }

    /// The connector's side: `helloSettings` goes to the listener, which may refuse it.
    static func connect(
        _ target: String, peerKey keyText: String?, advertise: String?, helloSettings: String = "", timeout: Duration,
        say: @escaping @Sendable (String) -> Void
    ) async throws -> Paired {
        guard let keyText else { throw NodeError(.invalidConfig, "--connect needs --peer-key: the key the listener printed") }
        let serverKey: CurvePublicKey
        do { serverKey = try CurvePublicKey(z85: keyText) } catch {
            throw NodeError(.invalidConfig, "--peer-key is not a CURVE public key (40 Z85 characters, as the listener printed it)")
        }
        let endpoint = "tcp://\(target)"
        if let problem = Endpoint.validate(endpoint) { throw NodeError(.invalidConfig, "--connect \(target) \(problem)") }
        let mine = try advertise ?? "tcp://127.0.0.1:\(LoopbackPorts.free(1)[0])"
        if let problem = Endpoint.validate(mine) { throw NodeError(.invalidConfig, "--advertise \(mine) \(problem)") }
        let keys = try CurveKeyPair.generate()
        say("this side's key: \(keys.publicKey.z85)")
        let hello = CurveRendezvous.Hello(publicKey: keys.publicKey, endpoint: mine, settings: helloSettings)
        let text = try await onThread {
            try CurveRendezvous.connect(endpoint: endpoint, serverKey: serverKey, keyPair: keys, hello: hello, timeout: timeout)
        }
        guard let answer = try? JSONDecoder().decode(Answer.self, from: Data(text.utf8)), Endpoint.validate(answer.endpoint) == nil else {
            throw NodeError(.invalidConfig, "the listener's answer is malformed; is it the same version of tacit?")
        }
        let members = [
            try Consortium.Member(name: listener, publicKey: serverKey, endpoint: answer.endpoint),
            try Consortium.Member(name: connector, publicKey: keys.publicKey, endpoint: mine),
        ]
        var config = MeshConfiguration(name: connector, keyPair: keys, consortium: try Consortium(members: members))
        config.defaultTimeout = timeout
        if let advertise, let port = advertise.split(separator: ":").last {
            // Behind NAT the advertised address is not this host's: listen on every interface.
            config.bindEndpoint = "tcp://*:\(port)"
        }
        return Paired(mesh: try ZeroMQMesh(configuration: config), keys: keys, peerKey: serverKey, settings: answer.settings)
    }

    /// Holds the listener's mesh and bound endpoint from inside the rendezvous callbacks.
    final class MeshBox: @unchecked Sendable {
        // @unchecked: written on the rendezvous thread, read there or after it has finished.
        var mesh: ZeroMQMesh?
        var endpoint = ""
    }

    /// Blocking ZeroMQ calls on a thread of their own, off the cooperative pool.
    static func onThread<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { c in
            Thread { c.resume(with: Result { try body() }) }.start()
        }
    }
}
