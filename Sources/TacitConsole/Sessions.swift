import Foundation
import TacitBytes
import TacitMath

/// The console's logins: one secret token per console process (drawn at start, shown once,
/// never stored), and the sessions it opens. Each session carries its own CSRF token, which
/// every state-changing request must send back in its form.
final class SessionStore: Sendable {
    struct Session: Sendable, Hashable {
        var id: String
        var csrf: String
        var created: Date
        var lastSeen: Date
    }

    enum Login: Equatable {
        case opened(Session)
        case wrongToken
        /// Too many wrong tokens lately: refused without comparing, until `retryAfter` s pass.
        case throttled(retryAfter: Int)
    }

    private struct State {
        var sessions: [String: Session] = [:]
        var failures: [Date] = []
    }

    /// SHA-256 of the token: compared digest to digest, in constant time.
    private let tokenDigest: [UInt8]
    let idleTimeout: TimeInterval
    let absoluteTimeout: TimeInterval
    /// Wrong tokens allowed per `failureWindow` before logins pause.
    let maxFailures: Int
    let failureWindow: TimeInterval
    /// Open sessions beyond this many push out the least recently used.
    let maxSessions = 64
    private let state = Locked(State())
    private let now: @Sendable () -> Date

    init(token: String, idleTimeout: TimeInterval, absoluteTimeout: TimeInterval, maxFailures: Int = 10, failureWindow: TimeInterval = 60,
         now: @escaping @Sendable () -> Date = Date.init) {
        tokenDigest = SHA256Bytes.hash(Array(token.utf8))
        self.idleTimeout = idleTimeout
        self.absoluteTimeout = absoluteTimeout
        self.maxFailures = maxFailures
        self.failureWindow = failureWindow
        self.now = now
    }

    /// 32 bytes from the system's cryptographic generator, as 64 hex digits.
    static func randomToken() -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        bytes.withUnsafeMutableBytes { SecureRandom.fill($0) }
        return Hex.encode(bytes)
    }

    func login(token: String) -> Login {
        let t = now()
        return state.withLock { s in
            s.failures.removeAll { t.timeIntervalSince($0) > failureWindow }
            if s.failures.count >= maxFailures, let first = s.failures.first {
                return .throttled(retryAfter: max(1, Int((failureWindow - t.timeIntervalSince(first)).rounded(.up))))
            }
            guard Self.equal(SHA256Bytes.hash(Array(token.utf8)), tokenDigest) else {
                s.failures.append(t)
                return .wrongToken
            }
            prune(&s, at: t)
            if s.sessions.count >= maxSessions, let oldest = s.sessions.values.min(by: { $0.lastSeen < $1.lastSeen }) {
                s.sessions[oldest.id] = nil
            }
            let session = Session(id: Self.randomToken(), csrf: Self.randomToken(), created: t, lastSeen: t)
            s.sessions[session.id] = session
            return .opened(session)
        }
    }

    /// The live session with this cookie value, its idle clock restarted; nil when there is none
    /// or it expired (idle too long, or older than the absolute limit).
    func session(_ id: String?) -> Session? {
        guard let id, id.utf8.count == 64 else { return nil }
        let t = now()
        return state.withLock { s in
            prune(&s, at: t)
            guard var session = s.sessions[id] else { return nil }
            session.lastSeen = t
            s.sessions[id] = session
            return session
        }
    }

    /// The session, without restarting its idle clock (a live page's event stream checks it).
    func peek(_ id: String) -> Session? {
        let t = now()
        return state.withLock { s in
            prune(&s, at: t)
            return s.sessions[id]
        }
    }

    func logout(_ id: String) { _ = state.withLock { $0.sessions.removeValue(forKey: id) } }

    var count: Int { state.withLock { $0.sessions.count } }

    private func prune(_ s: inout State, at t: Date) {
        s.sessions = s.sessions.filter { _, v in t.timeIntervalSince(v.lastSeen) <= idleTimeout && t.timeIntervalSince(v.created) <= absoluteTimeout }
    }

    /// Equal lengths and bytes, in time that depends on the length only.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var d: UInt8 = 0
        for i in a.indices { d |= a[i] ^ b[i] }
        return d == 0
    }

    static func equal(_ a: String, _ b: String) -> Bool { equal(Array(a.utf8), Array(b.utf8)) }
}
