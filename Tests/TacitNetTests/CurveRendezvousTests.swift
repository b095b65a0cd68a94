import Foundation
import Testing
import TacitBytes
import TacitTestSupport

@testable import TacitNet

@Suite("Pairing rendezvous (tacit compare)")
struct CurveRendezvousTests {
    /// `accept` blocks; it runs on a thread of its own so the test's cooperative thread is free.
    func accepting(_ endpoint: String, _ keys: CurveKeyPair, timeout: Duration = .seconds(60),
                   decide: @escaping @Sendable (CurveRendezvous.Hello) -> CurveRendezvous.Answer) -> Task<Result<CurveRendezvous.Hello, NetError>, Never> {
        Task {
            await withCheckedContinuation { c in
                Thread.detachNewThread {
                    c.resume(returning: Result { () throws(NetError) in
                        do { return try CurveRendezvous.accept(bind: endpoint, keyPair: keys, timeout: timeout, decide: decide) } catch let e as NetError { throw e } catch {
                            throw NetError(.transport, "\(error)")
                        }
                    })
                }
            }
        }
    }

    @Test("the connector that holds the listener's key pairs, and learns its answer")
    func pairs() async throws {
        let port = try freePorts(1)[0]
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let accepted = accepting(endpoint, server) { h in h.settings == "please" ? .accept("question") : .refuse("no") }
        let hello = CurveRendezvous.Hello(publicKey: client.publicKey, endpoint: "tcp://127.0.0.1:1", settings: "please")
        let answer = try await Task.detached {
            try CurveRendezvous.connect(endpoint: endpoint, serverKey: server.publicKey, keyPair: client, hello: hello, timeout: .seconds(60))
        }.value
        #expect(answer == "question")
        #expect(try await accepted.value.get() == hello)
    }

    @Test("a refusal reaches both sides with its reason")
    func refusal() async throws {
        let port = try freePorts(1)[0]
        let server = try CurveKeyPair.generate(), client = try CurveKeyPair.generate()
        let endpoint = "tcp://127.0.0.1:\(port)"
        let accepted = accepting(endpoint, server) { _ in .refuse("wrong version") }
        let hello = CurveRendezvous.Hello(publicKey: client.publicKey, endpoint: "tcp://127.0.0.1:1", settings: "")
        let connected = await Task.detached {
            Result { try CurveRendezvous.connect(endpoint: endpoint, serverKey: server.publicKey, keyPair: client, hello: hello, timeout: .seconds(60)) }
        }.value
        guard case .failure(let e as NetError) = connected else {
            Issue.record("the refused connector paired")
            return
        }
        #expect(e.code == .invalidConsortium)
        #expect(e.reason.contains("wrong version"))
        guard case .failure(let s) = await accepted.value else {
            Issue.record("the listener did not report its refusal")
            return
        }
        #expect(s.code == .invalidConsortium)
    }

    @Test("a malformed hello is refused with what was wrong")
    func malformed() throws {
        let key = try CurveKeyPair.generate().publicKey
        let good = CurveRendezvous.encode(.init(publicKey: key, endpoint: "tcp://127.0.0.1:9", settings: "s"))
        #expect(try CurveRendezvous.decode(good).publicKey == key)
        var wrongMagic = good
        wrongMagic[0] ^= 1
        var w = ByteWriter()
        w.u32(CurveRendezvous.magic)
        w.string(key.z85)
        w.string("udp://x:1")
        w.string("")
        let cases: [(String, [UInt8])] = [
            ("empty", []), ("wrong magic", wrongMagic), ("truncated", Array(good.dropLast(1))),
            ("trailing bytes", good + [0]), ("a bad endpoint", w.bytes),
        ]
        for (what, bytes) in cases {
            #expect(throws: NetError.self, "\(what)") { _ = try CurveRendezvous.decode(bytes) }
        }
        #expect(throws: NetError.self) { _ = try CurveRendezvous.decode(Array(good.prefix(8)) + Array(repeating: 0x41, count: 60)) }
    }

    @Test("with nobody connecting, the listener gives up after its timeout")
    func timeout() async throws {
        let port = try freePorts(1)[0]
        let r = await accepting("tcp://127.0.0.1:\(port)", try CurveKeyPair.generate(), timeout: .milliseconds(300)) { _ in .accept("") }.value
        guard case .failure(let e) = r else {
            Issue.record("accepted without a connector")
            return
        }
        #expect(e.code == .timeout)
    }
}
