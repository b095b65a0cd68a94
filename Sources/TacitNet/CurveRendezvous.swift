internal import CZeroMQ
import TacitBytes

/// One pairing exchange between two processes that have not met, for `tacit compare
/// --listen/--connect`: the listener prints its CURVE public key, the connector is given it
/// (so it talks to that listener and no other) and sends its own key, its endpoint and its
/// settings; the listener answers yes or no with a reason. Both then build a two-member mesh
/// from what they learned.
///
/// The listener cannot know the connector's key in advance, so its rendezvous socket (in a
/// context of its own, with no ZAP handler) admits any CURVE client: trust on first use, as an
/// SSH host key is. Both sides print the other's key fingerprint for the users to compare.
/// Nodes never use this: their mesh admits consortium members only.
public enum CurveRendezvous {
    public struct Hello: Sendable, Equatable {
        public var publicKey: CurvePublicKey
        public var endpoint: String
        /// What the connector asks for (`tacit compare`: path, predicate, width), checked by the
        /// listener's `decide`.
        public var settings: String
        public init(publicKey: CurvePublicKey, endpoint: String, settings: String) {
            self.publicKey = publicKey
            self.endpoint = endpoint
            self.settings = settings
        }
    }

    static let magic: UInt32 = 0x5443_5231  // "TCR1"
    static let maxMessage = 4096

    static func encode(_ h: Hello) -> [UInt8] {
        var w = ByteWriter()
        w.u32(magic)
        w.string(h.publicKey.z85)
        w.string(h.endpoint)
        w.string(h.settings)
        return w.bytes
    }

    /// Every field checked: the bytes come from whoever connected first.
    static func decode(_ bytes: [UInt8]) throws -> Hello {
        var r = ByteReader(bytes, what: "pairing hello", errors: ByteReadFailure.self)
        do {
            guard try r.u32("magic") == magic else { throw NetError(.invalidIdentity, "the pairing hello is not from tacit compare (wrong magic)") }
            let key = try CurvePublicKey(z85: try r.string("public key", max: 40))
            let endpoint = try r.string("endpoint", max: 256)
            if let problem = Endpoint.validate(endpoint) { throw NetError(.invalidIdentity, "the pairing hello's endpoint '\(endpoint)' \(problem)") }
            let settings = try r.string("settings", max: 1024)
            try r.finish()
            return Hello(publicKey: key, endpoint: endpoint, settings: settings)
        } catch let e as ByteReadFailure {
            throw NetError(.invalidIdentity, "malformed pairing hello: \(e)")
        }
    }

    /// The listener's answer: the text the connector receives (its settings, say), or why not.
    public enum Answer: Sendable, Equatable {
        case accept(String)
        case refuse(String)
    }

    /// Waits up to `timeout` for one hello on `bind` and answers it as `decide` says (a refusal
    /// is also thrown here). `bound` is told the endpoint actually bound (its port, when `bind`
    /// asks for port 0) before any wait: only then may the listener tell anyone where it is.
    /// Blocks the calling thread.
    public static func accept(
        bind: String, keyPair: CurveKeyPair, timeout: Duration,
        bound: (String) -> Void = { _ in }, decide: (Hello) -> Answer
    ) throws -> Hello {
        try withSocket(ZMQ_REP) { s in
            try ZMQ.setInt(s, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
            try ZMQ.setString(s, ZMQ_CURVE_SECRETKEY, keyPair.secretKey.z85, "ZMQ_CURVE_SECRETKEY")
            try ZMQ.setInt64(s, ZMQ_MAXMSGSIZE, Int64(maxMessage), "ZMQ_MAXMSGSIZE")
            try ZMQ.setInt(s, ZMQ_RCVTIMEO, timeout.milliseconds, "ZMQ_RCVTIMEO")
            guard zmq_bind(s, bind) == 0 else {
                throw NetError(.transport, "cannot listen on \(bind): \(ZMQ.lastError()); is the port in use?")
            }
            bound(ZMQ.lastEndpoint(s) ?? bind)
            let request = ZMessage()
            guard request.receive(from: s, dontWait: false) else {
                throw NetError(.timeout, "nobody connected to \(bind) within \(timeout.milliseconds / 1000) s")
            }
            let bytes = request.withBytes { Array($0) }
            let hello: Hello
            do { hello = try decode(bytes) } catch {
                send(s, ok: false, "\(error)")
                throw error
            }
            switch decide(hello) {
            case .refuse(let reason):
                send(s, ok: false, reason)
                throw NetError(.invalidConsortium, "refused the connection: \(reason)")
            case .accept(let text):
                send(s, ok: true, text)
                return hello
            }
        }
    }

    /// Sends `hello` to the listener at `endpoint`, which must hold `serverKey`, and waits up
    /// to `timeout` for its answer: the listener's text, or its reason thrown if it refused.
    public static func connect(
        endpoint: String, serverKey: CurvePublicKey, keyPair: CurveKeyPair, hello: Hello, timeout: Duration
    ) throws -> String {
        try withSocket(ZMQ_REQ) { s in
            try ZMQ.setString(s, ZMQ_CURVE_SERVERKEY, serverKey.z85, "ZMQ_CURVE_SERVERKEY")
            try ZMQ.setString(s, ZMQ_CURVE_PUBLICKEY, keyPair.publicKey.z85, "ZMQ_CURVE_PUBLICKEY")
            try ZMQ.setString(s, ZMQ_CURVE_SECRETKEY, keyPair.secretKey.z85, "ZMQ_CURVE_SECRETKEY")
            try ZMQ.setInt64(s, ZMQ_MAXMSGSIZE, Int64(maxMessage), "ZMQ_MAXMSGSIZE")
            try ZMQ.setInt(s, ZMQ_RCVTIMEO, timeout.milliseconds, "ZMQ_RCVTIMEO")
            try ZMQ.setInt(s, ZMQ_SNDTIMEO, timeout.milliseconds, "ZMQ_SNDTIMEO")
            guard zmq_connect(s, endpoint) == 0 else {
                throw NetError(.transport, "cannot connect to \(endpoint): \(ZMQ.lastError())")
            }
            var bytes = encode(hello)
            guard zmq_send(s, &bytes, bytes.count, 0) == bytes.count else {
                throw NetError(.transport, "cannot send to \(endpoint): \(ZMQ.lastError())")
            }
            let answer = ZMessage()
            guard answer.receive(from: s, dontWait: false) else {
                throw NetError(.timeout, "no answer from \(endpoint) within \(timeout.milliseconds / 1000) s: is the listener running, and is --peer-key the key it printed?")
            }
            let reply = answer.withBytes { Array($0) }
            guard let status = reply.first, status <= 1, reply.count <= 1025 else { throw NetError(.invalidIdentity, "the listener's answer is malformed") }
            let text = String(decoding: reply.dropFirst(), as: UTF8.self)
            if status == 0 { throw NetError(.invalidConsortium, "the listener refused: \(text)") }
            return text
        }
    }

    private static func send(_ s: UnsafeMutableRawPointer, ok: Bool, _ text: String) {
        var bytes: [UInt8] = [ok ? 1 : 0] + Array(text.utf8.prefix(1024))
        _ = zmq_send(s, &bytes, bytes.count, 0)
    }

    /// A socket in a fresh context, closed and terminated (linger 1 s for the last answer) on
    /// every path out.
    private static func withSocket<R>(_ type: Int32, _ body: (UnsafeMutableRawPointer) throws -> R) throws -> R {
        guard let ctx = zmq_ctx_new() else { throw NetError(.transport, "zmq_ctx_new failed: \(ZMQ.lastError())") }
        defer { zmq_ctx_term(ctx) }
        guard zmq_has("curve") != 0 else { throw NetError(.transport, "this libzmq was built without CURVE; install one with libsodium") }
        guard let s = zmq_socket(ctx, type) else { throw NetError(.transport, "zmq_socket failed: \(ZMQ.lastError())") }
        defer { zmq_close(s) }
        try ZMQ.setInt(s, ZMQ_LINGER, 1000, "ZMQ_LINGER")
        return try body(s)
    }
}
