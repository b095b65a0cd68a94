#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A value behind a pthread mutex, with the same `withLock` shape as `Synchronization.Mutex`.
///
/// Why not `Mutex`: on Linux its lock is atomics and futexes inside the Swift runtime, which
/// is not built with the thread sanitizer, so TSan cannot see that two accesses under the same
/// `Mutex` are ordered and reports false races (seen in `make test-tsan`). TSan intercepts
/// pthread mutexes, so with this lock a report is a real race. Every module uses this instead
/// of `Mutex` so that the MPC, ledger and node suites run under TSan too.
///
/// Sendable only when `Value` is: the lock makes sharing the box safe, not sharing a value
/// that is itself unsafe to hand to another thread.
public final class Locked<Value> {
    private var value: Value
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    public init(_ value: Value) {
        self.value = value
        // pthread_mutex_init initialises the memory itself (a Swift zero-initialiser for the C
        // struct resolves through a different module on each platform).
        mutex = .allocate(capacity: 1)
        let status = pthread_mutex_init(mutex, nil)
        precondition(status == 0, "pthread_mutex_init failed: \(status)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}

// @unchecked: `value` is a `var` the compiler cannot see is only reached under `mutex`;
// every access goes through `withLock`.
extension Locked: @unchecked Sendable where Value: Sendable {}
