import Foundation
import TacitBytes
import TacitNode

/// What the console reads and does, all through this node: requests on its control socket
/// (the same the CLI sends, so an approval from a page is the same ledger transaction as
/// `tacit job approve`) and reads of its own ledger replica file, opened read-only.
final class NodeAccess: Sendable {
    let socketPath: String
    let ledgerPath: String
    private let queue = DispatchQueue(label: "tacit.console.control", attributes: .concurrent)
    /// Blocks are immutable once committed: the transaction-to-block index is extended, never
    /// rebuilt.
    private let blockIndex = Locked(BlockIndex())

    struct BlockIndex {
        var height: UInt64 = 0
        var blockOf: [String: UInt64] = [:]
    }

    init(socketPath: String, ledgerPath: String) {
        self.socketPath = socketPath
        self.ledgerPath = ledgerPath
    }

    /// One control request, off the server's threads (the control client blocks).
    func send(_ request: ControlRequest) async -> ControlResponse {
        let path = socketPath
        return await withCheckedContinuation { (c: CheckedContinuation<ControlResponse, Never>) in
            queue.async {
                do {
                    let client = try ControlClient(path: path)
                    defer { client.close() }
                    c.resume(returning: try client.send(request))
                } catch let e as NodeError {
                    c.resume(returning: .failure(e.message))
                } catch {
                    c.resume(returning: .failure("the node's control socket failed: \(error)"))
                }
            }
        }
    }

    /// Runs `body` on the replica, off the server's threads.
    func replica<T: Sendable>(_ body: @escaping @Sendable (LedgerReplica) throws -> T) async throws -> T {
        let path = ledgerPath
        return try await withCheckedThrowingContinuation { c in
            queue.async {
                do { c.resume(returning: try body(try LedgerReplica(path: path))) } catch { c.resume(throwing: error) }
            }
        }
    }

    /// The block each transaction (full id) is in, up to the replica's top.
    func blockHeights() async -> [String: UInt64] {
        let known = blockIndex.withLock { $0 }
        let grown = try? await replica { r -> BlockIndex in
            var index = known
            let top = try r.lastHeight()
            while index.height < top {
                guard let b = try r.block(at: index.height + 1) else { break }
                for tx in b.transactions { if let tx { index.blockOf[tx.fullID] = b.height } }
                index.height += 1
            }
            return index
        }
        guard let grown else { return known.blockOf }
        blockIndex.withLock { if grown.height > $0.height { $0 = grown } }
        return grown.blockOf
    }
}
