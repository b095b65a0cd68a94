import TacitBytes

/// Received messages waiting for a `receive`, and `receive`s waiting for a message. Both
/// meshes (ZeroMQ and in-memory) deliver into one of these, so ordering, timeout and
/// cancellation behave identically in tests and in production.
///
/// Invariant: every continuation is resumed exactly once, by whoever removes its waiter from
/// `state` under the lock (delivery, timeout, cancellation or close).
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
    }

    private let state = Locked(State())

    var bufferedBytes: Int { state.withLock { $0.bufferedBytes } }
    var droppedLate: Int { state.withLock { $0.droppedLate } }

    /// Hands `payload` to the oldest waiting receiver for `key`, or queues it.
    func deliver(_ payload: Payload, for key: MailboxKey) {
        let waiter: Waiter? = state.withLock { s in
            if s.closedError != nil { return nil }
            if s.endedSessions.contains(key.session) {
                s.droppedLate += 1
                return nil
            }
            if var list = s.waiters[key], !list.isEmpty {
                let w = list.removeFirst()
                s.waiters[key] = list.isEmpty ? nil : list
                s.waiterKeys[w.id] = nil
                return w
            }
            s.queues[key, default: FIFO()].append(payload)
            s.bufferedBytes += payload.count
            return nil
        }
        if let waiter {
            if let t = waiter.timer { DeadlineTimer.shared.cancel(t) }
            waiter.continuation.resume(returning: payload)
        }
    }

    func receive(_ key: MailboxKey, timeout: Duration?) async throws -> Payload {
        // Fast path: no suspension, no timer, when the message is already here.
        let immediate: Result<Payload, NetError>? = state.withLock { s in
            if let e = s.closedError { return .failure(e) }
            return Self.popQueued(&s, key).map { .success($0) }
        }
        if let immediate { return try immediate.get() }
        try Task.checkCancellation()

        let id = state.withLock { s in
            defer { s.nextID += 1 }
            return s.nextID
        }
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
        let failed: [Waiter] = state.withLock { s in
            s.endedSessions.insert(session)
            for (k, q) in s.queues where k.session == session {
                s.bufferedBytes -= q.totalBytes
                s.queues[k] = nil
            }
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
            w.continuation.resume(throwing: NetError(.closed, "\(session) was ended while a receive waited"))
        }
    }

    /// Fails every waiter and refuses everything from now on.
    func close(_ error: NetError) {
        let failed: [Waiter] = state.withLock { s in
            if s.closedError != nil { return [] }
            s.closedError = error
            s.queues = [:]
            s.bufferedBytes = 0
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
