import Dispatch
import Foundation

/// What this machine allows, measured the way the ledger uses it.
public enum LedgerBounds {
    public struct Result: Sendable {
        public let verifyOneCore: Double
        public let verifyAllCores: Double
        public let durableCommits: Double
    }

    public static func measure(dir: String, seconds: Double = 1) throws -> Result {
        let key = SigningKey.generate()
        let message = [UInt8](repeating: 7, count: 200)
        let sig = key.sign(message)
        let pub = key.publicKey
        func rate(threads: Int) -> Double {
            let counts = UnsafeCounts(threads)
            let start = Date()
            DispatchQueue.concurrentPerform(iterations: threads) { t in
                var n = 0
                while Date().timeIntervalSince(start) < seconds {
                    for _ in 0..<64 { precondition(pub.isValid(signature: sig, for: message)) }
                    n += 64
                }
                counts.set(t, n)
            }
            return Double(counts.total) / Date().timeIntervalSince(start)
        }
        let one = rate(threads: 1)
        let all = rate(threads: ProcessInfo.processInfo.activeProcessorCount)
        let path = "\(dir)/bounds-\(UUID().uuidString).db"
        defer { for s in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + s) } }
        let commits = try LedgerStore(path: path).measureCommitRate(seconds: seconds)
        return Result(verifyOneCore: one, verifyAllCores: all, durableCommits: commits)
    }
}

private final class UnsafeCounts: @unchecked Sendable {
    // @unchecked: slot t is written only by iteration t; read after concurrentPerform returns.
    private var values: [Int]
    init(_ n: Int) { values = Array(repeating: 0, count: n) }
    func set(_ i: Int, _ v: Int) { values.withUnsafeMutableBufferPointer { $0[i] = v } }
    var total: Int { values.reduce(0, +) }
}
