import Foundation

/// One thread that fires deadlines, shared by every mailbox in the process (and the ledger
/// node's consensus timeouts).
///
/// Why not a `Task.sleep` per waiting receive: that costs two extra jobs on the cooperative
/// pool per receive (start the sleeper, wake it to cancel), which on a 2-core machine was most
/// of the round-trip time. Here a receive that suspends inserts into a heap and, only when
/// its deadline is the earliest, signals a condition variable.
package final class DeadlineTimer: @unchecked Sendable {
    // @unchecked: all state is guarded by `condition`.
    package static let shared = DeadlineTimer()

    private struct Entry {
        let deadline: ContinuousClock.Instant
        let id: UInt64
    }

    private let condition = NSCondition()
    private var heap: [Entry] = []
    private var actions: [UInt64: (deadline: ContinuousClock.Instant, fire: @Sendable () -> Void)] = [:]
    private var nextID: UInt64 = 1
    private var started = false

    /// Calls `fire` on the timer thread at `deadline` unless cancelled first.
    package func schedule(at deadline: ContinuousClock.Instant, _ fire: @escaping @Sendable () -> Void) -> UInt64 {
        condition.lock()
        defer { condition.unlock() }
        if !started {
            started = true
            let t = Thread { [self] in run() }
            t.name = "tacit-net-timer"
            t.start()
        }
        let id = nextID
        nextID += 1
        actions[id] = (deadline, fire)
        let wasEarliest = heap.first.map { deadline < $0.deadline } ?? true
        push(Entry(deadline: deadline, id: id))
        // Cancelled entries stay in the heap until they surface; rebuild when they dominate.
        if heap.count > 1024 && heap.count > 4 * actions.count { compact() }
        if wasEarliest { condition.signal() }
        return id
    }

    package func cancel(_ id: UInt64) {
        condition.lock()
        actions[id] = nil
        condition.unlock()
    }

    private func run() {
        condition.lock()
        while true {
            guard let top = heap.first else {
                condition.wait()
                continue
            }
            let now = ContinuousClock.now
            if top.deadline > now {
                let (s, atto) = (top.deadline - now).components
                _ = condition.wait(until: Date(timeIntervalSinceNow: Double(s) + Double(atto) / 1e18))
                continue
            }
            popTop()
            guard let action = actions.removeValue(forKey: top.id) else { continue }
            condition.unlock()
            action.fire()
            condition.lock()
        }
    }

    private func compact() {
        heap = actions.map { Entry(deadline: $0.value.deadline, id: $0.key) }
        heap.sort { $0.deadline < $1.deadline }  // a sorted array is a valid min-heap
    }

    private func push(_ e: Entry) {
        heap.append(e)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard heap[i].deadline < heap[parent].deadline else { break }
            heap.swapAt(i, parent)
            i = parent
        }
    }

    private func popTop() {
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        var i = 0
        while true {
            let l = 2 * i + 1
            let r = l + 1
            var m = i
            if l < heap.count && heap[l].deadline < heap[m].deadline { m = l }
            if r < heap.count && heap[r].deadline < heap[m].deadline { m = r }
            if m == i { break }
            heap.swapAt(i, m)
            i = m
        }
    }
}
