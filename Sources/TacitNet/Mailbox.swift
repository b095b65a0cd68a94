import TacitBytes
import Logging

/// Received messages waiting for a `receive`, and `receive`s waiting for a message. Both
/// meshes (ZeroMQ and in-memory) deliver into one of these, so ordering, timeout and
/// cancellation behave identically in tests and in production.
///
/// Invariant: every continuation is resumed exactly once, by whoever removes its waiter from
/// `state` under the lock (delivery, timeout, cancellation or close), and what it resumes with
/// (payload or error) is built before that lock is released.
///
/// That second half is for the thread sanitizer. A delivery can resume a receive's
/// continuation before the receiving task has suspended; the task then goes on through the
/// Swift runtime's fast path in `swift_continuation_await`, whose ordering is an atomic in
/// the uninstrumented runtime with no TSan annotation, so TSan saw no happens-before between
/// building the payload (on the mesh I/O thread) and reading it, and reported a race (issue
/// 11, in the MPC peer). A receive that waited therefore takes the lock once more after it
/// resumes: TSan sees that as ordered after the resumer's unlock.
///
/// Unread messages are bounded per sender (`MailboxLimits`: count and bytes) and expire when
/// nobody has received from their session for a while, so a member cannot grow this party's
/// memory with messages for sessions it never reads.
final class Mailbox: Sendable {
    private struct Waiter: Sendable {
        let id: UInt64
        let continuation: CheckedContinuation<Payload, any Error>
        var timer: UInt64?
    }

    private struct State: Sendable {
        var queues: [MailboxKey: FIFO<Payload>] = [:]
        var waiters: [MailboxKey: [Waiter]] = [:]
        var waiterKeys: [UInt64: MailboxKey] = [:]
        // Cancellation can be signalled before the waiter is registered; remember it.
        var cancelledEarly: Set<UInt64> = []
        var endedSessions: Set<SessionID> = []
        var nextID: UInt64 = 1
        var closedError: NetError?
        var bufferedBytes = 0
        var droppedLate = 0
        var droppedOverLimit = 0
        var droppedExpired = 0
        /// Unread messages and bytes per sender.
        var perPeer: [PartyID: (count: Int, bytes: Int)] = [:]
        /// Per session with unread messages: how many, and when it was last read from (or
        /// first got one).
        var perSession: [SessionID: (count: Int, touched: ContinuousClock.Instant)] = [:]
        var sweepScheduled = false
    }

    private let state = Locked(State())
    private let limits: MailboxLimits
    private let log: RateLimitedLog?

    init(limits: MailboxLimits = MailboxLimits(), logger: Logger? = nil) {
        self.limits = limits
        self.log = logger.map { RateLimitedLog(logger: $0) }
    }

    var bufferedBytes: Int { state.withLock { $0.bufferedBytes } }
    var droppedLate: Int { state.withLock { $0.droppedLate } }
    var droppedOverLimit: Int { state.withLock { $0.droppedOverLimit } }
    var droppedExpired: Int { state.withLock { $0.droppedExpired } }
    /// Receives waiting for a message.
    var waitingCount: Int { state.withLock { $0.waiterKeys.count } }
    /// Unread messages from `peer`.
    func queuedCount(from peer: PartyID) -> Int { state.withLock { $0.perPeer[peer]?.count ?? 0 } }

    /// Hands `payload` to the oldest waiting receiver for `key`, or queues it if its sender is
    /// within its limits (dropped, counted and logged otherwise).
    func deliver(_ payload: Payload, for key: MailboxKey) {
        enum Outcome { case none, resume(Waiter), late, overLimit(Int, Int), queued(schedule: Bool) }
        let outcome: Outcome = state.withLock { s in
            if s.closedError != nil { return .none }
            if s.endedSessions.contains(key.session) {
                s.droppedLate += 1
                return .late
            }
            if var list = s.waiters[key], !list.isEmpty {
                let w = list.removeFirst()
                s.waiters[key] = list.isEmpty ? nil : list
                s.waiterKeys[w.id] = nil
                return .resume(w)
            }
            let used = s.perPeer[key.peer] ?? (0, 0)
            guard used.count < limits.maxMessagesPerPeer, payload.count <= limits.maxBytesPerPeer - used.bytes else {
                s.droppedOverLimit += 1
                return .overLimit(used.count, used.bytes)
            }
            s.queues[key, default: FIFO()].append(payload)
            s.bufferedBytes += payload.count
            s.perPeer[key.peer] = (used.count + 1, used.bytes + payload.count)
            let session = s.perSession[key.session]
            s.perSession[key.session] = (session.map { $0.count + 1 } ?? 1, session?.touched ?? .now)
            let schedule = !s.sweepScheduled
            s.sweepScheduled = true
            return .queued(schedule: schedule)
        }
        switch outcome {
        case .none: return
        case .resume(let waiter):
            if let t = waiter.timer { DeadlineTimer.shared.cancel(t) }
            waiter.continuation.resume(returning: payload)
        case .late:
            log?.warning(
                "dropped incoming message", "its session has ended",
                metadata: ["from": "\(key.peer)", "session": "\(key.session)"])
        case .overLimit(let count, let bytes):
            log?.warning(
                "dropped incoming message",
                "its sender already has \(count) messages (\(bytes) bytes) waiting unread; limits are "
                    + "\(limits.maxMessagesPerPeer) messages and \(limits.maxBytesPerPeer) bytes per peer",
                metadata: ["from": "\(key.peer)", "session": "\(key.session)"])
        case .queued(let schedule):
            if schedule { scheduleSweep(at: .now + limits.unreadSessionExpiry) }
        }
    }

    private func scheduleSweep(at when: ContinuousClock.Instant) {
        _ = DeadlineTimer.shared.schedule(at: when) { [weak self] in self?.sweep() }
    }

    /// Drops the unread messages of sessions nobody has received from for
    /// `unreadSessionExpiry`, then schedules itself for the next session due.
    func sweep(now: ContinuousClock.Instant = .now) {
        let expiry = limits.unreadSessionExpiry
        let (expired, next): ([(SessionID, Int)], ContinuousClock.Instant?) = state.withLock { s in
            var expired: [(SessionID, Int)] = []
            var next: ContinuousClock.Instant?
            for (session, info) in s.perSession {
                let due = info.touched + expiry
                // A waiting receive means someone reads this session now.
                if due <= now && !s.waiters.keys.contains(where: { $0.session == session }) {
                    expired.append((session, info.count))
                } else {
                    next = min(next ?? due, due)
                }
            }
            for (session, count) in expired {
                Self.removeQueues(&s) { $0.session == session }
                s.droppedExpired += count
            }
            s.sweepScheduled = next != nil
            return (expired, next)
        }
        for (session, count) in expired {
            log?.warning(
                "dropped unread messages", "nobody received from their session for \(expiry)",
                metadata: ["session": "\(session)", "count": "\(count)"])
        }
        // Not sooner than a second from now: a session read constantly must not make this spin.
        if let next { scheduleSweep(at: max(next, now + .seconds(1))) }
    }

    /// Removes every queue whose key matches, keeping the per-peer and per-session tallies.
    private static func removeQueues(_ s: inout State, where match: (MailboxKey) -> Bool) {
        for (k, q) in s.queues where match(k) {
            let bytes = q.totalBytes
            s.bufferedBytes -= bytes
            Self.uncount(&s, k, count: q.count, bytes: bytes)
            s.queues[k] = nil
        }
    }

    private static func uncount(_ s: inout State, _ k: MailboxKey, count: Int, bytes: Int) {
        if let p = s.perPeer[k.peer] {
            s.perPeer[k.peer] = p.count - count <= 0 ? nil : (p.count - count, p.bytes - bytes)
        }
        if let q = s.perSession[k.session] {
            s.perSession[k.session] = q.count - count <= 0 ? nil : (q.count - count, q.touched)
        }
    }

    func receive(_ key: MailboxKey, timeout: Duration?) async throws -> Payload {
        // Fast path: no suspension, no timer, when the message is already here.
        let immediate: Result<Payload, NetError>? = state.withLock { s in
            if let e = s.closedError { return .failure(e) }
            if let info = s.perSession[key.session] { s.perSession[key.session] = (info.count, .now) }
            return Self.popQueued(&s, key).map { .success($0) }
        }
        if let immediate { return try immediate.get() }
        try Task.checkCancellation()

        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
        // After the continuation returns or throws, so TSan orders the hand-off (type comment).
        defer { state.withLock { _ in } }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Payload, any Error>) in
                enum Action { case none, deliver(Payload), fail(NetError) }
                let action: Action = state.withLock { s in
                    if let e = s.closedError { return .fail(e) }
                    if let p = Self.popQueued(&s, key) { return .deliver(p) }
                    if s.cancelledEarly.remove(id) != nil {
                        return .fail(NetError(.cancelled, "receive from \(key.peer) was cancelled"))
                    }
                    s.waiters[key, default: []].append(Waiter(id: id, continuation: c))
                    s.waiterKeys[id] = key
                    return .none
                }
                switch action {
                case .deliver(let p): c.resume(returning: p); return
                case .fail(let e): c.resume(throwing: e); return
                case .none: break
                }
                guard let timeout else { return }
                let timer = DeadlineTimer.shared.schedule(at: .now + timeout) { [self] in
                    fail(
                        id,
                        NetError(
                            .timeout,
                            "no message from \(key.peer) for \(key.session) \(key.tag) within \(timeout); "
                                + "the peer may be down or at another protocol step"))
                }
                // The waiter may already be gone (delivered, cancelled): then drop the timer.
                let stored = state.withLock { s -> Bool in
                    guard let k = s.waiterKeys[id], var list = s.waiters[k],
                        let i = list.firstIndex(where: { $0.id == id })
                    else { return false }
                    list[i].timer = timer
                    s.waiters[k] = list
                    return true
                }
                if !stored { DeadlineTimer.shared.cancel(timer) }
            }
        } onCancel: {
            fail(id, NetError(.cancelled, "receive from \(key.peer) was cancelled"), early: true)
        }
    }

    /// Drops what is queued for `session`, fails its waiting receivers, and drops anything
    /// that arrives for it later (counted as late), so a finished job frees its memory.
    func endSession(_ session: SessionID) {
        // Built before the lock is released (the type's invariant).
        let error = NetError(.closed, "\(session) was ended while a receive waited")
        let failed: [Waiter] = state.withLock { s in
            s.endedSessions.insert(session)
            Self.removeQueues(&s) { $0.session == session }
            var out: [Waiter] = []
            for (k, list) in s.waiters where k.session == session {
                out += list
                s.waiters[k] = nil
                for w in list { s.waiterKeys[w.id] = nil }
            }
            return out
        }
        for w in failed {
            if let t = w.timer { DeadlineTimer.shared.cancel(t) }
            w.continuation.resume(throwing: error)
        }
    }

    /// Frees what is queued from `peer` (it left the consortium). Waiting receives stay: a
    /// re-added member is heard again, and until then they time out as usual.
    func dropPeer(_ peer: PartyID) {
        state.withLock { s in Self.removeQueues(&s) { $0.peer == peer } }
    }

    /// Fails every waiter and refuses everything from now on.
    func close(_ error: NetError) {
        let failed: [Waiter] = state.withLock { s in
            if s.closedError != nil { return [] }
            s.closedError = error
            s.queues = [:]
            s.bufferedBytes = 0
            s.perPeer = [:]
            s.perSession = [:]
            let all = s.waiters.values.flatMap { $0 }
            s.waiters = [:]
            s.waiterKeys = [:]
            return all
        }
        for w in failed {
            if let t = w.timer { DeadlineTimer.shared.cancel(t) }
            w.continuation.resume(throwing: error)
        }
    }

    private func fail(_ id: UInt64, _ error: NetError, early: Bool = false) {
        let waiter: Waiter? = state.withLock { s in
            guard let key = s.waiterKeys.removeValue(forKey: id) else {
                if early { s.cancelledEarly.insert(id) }
                return nil
            }
            guard var list = s.waiters[key], let i = list.firstIndex(where: { $0.id == id }) else {
                return nil
            }
            let w = list.remove(at: i)
            s.waiters[key] = list.isEmpty ? nil : list
            return w
        }
        if let waiter {
            if let t = waiter.timer { DeadlineTimer.shared.cancel(t) }
            waiter.continuation.resume(throwing: error)
        }
    }

    private static func popQueued(_ s: inout State, _ key: MailboxKey) -> Payload? {
        // Mutate in place through the dictionary: a local copy would copy the whole queue.
        guard let p = s.queues[key]?.popFirst() else { return nil }
        if s.queues[key]?.isEmpty == true { s.queues[key] = nil }
        s.bufferedBytes -= p.count
        uncount(&s, key, count: 1, bytes: p.count)
        return p
    }
}

/// A queue with O(1) amortised pop from the front, without pulling in swift-collections.
struct FIFO<Element> {
    private var items: [Element] = []
    private var head = 0

    var isEmpty: Bool { head == items.count }
    var count: Int { items.count - head }

    mutating func append(_ e: Element) { items.append(e) }

    mutating func popFirst() -> Element? {
        guard head < items.count else { return nil }
        let e = items[head]
        head += 1
        if head > 64 && head * 2 > items.count {
            items.removeFirst(head)
            head = 0
        }
        return e
    }

    var first: Element? { head < items.count ? items[head] : nil }
}

extension FIFO where Element == Payload {
    var totalBytes: Int { items[head...].reduce(0) { $0 + $1.count } }
}

extension FIFO: Sendable where Element: Sendable {}
