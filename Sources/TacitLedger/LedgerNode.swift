import TacitBytes
import Foundation
public import Logging
public import TacitNet

/// A member's ledger node: the replica and the consensus engine, wired to the party mesh.
///
/// Messages travel on the mesh under one fixed session (`LedgerNode.session`) with two
/// tags: consensus messages and batches of pending transactions. Each peer has one outbound
/// queue, drained by its own task, so the actor never waits on the network.
///
/// The peers are the replica's current members that are also parties of the channel: the
/// set is re-derived after every commit and on `refreshPeers()`, so a member added on the
/// ledger is sent to and heard without a restart, and a removed one's tasks end.
public actor LedgerNode {
    public static let session = SessionID(0x7461_6369_746C_6467)  // "tacitldg"
    static let consensusTag = Tag(1)
    static let transactionsTag = Tag(2)

    public let identity: SigningIdentity
    let channel: any PartyChannel
    let logger: Logger
    private var replica: Replica
    private var core: ConsensusCore
    /// One per current peer: its outbound queue and the tasks that drain it and receive from it.
    private struct PeerLink {
        let peer: PartyID
        let outbound: AsyncStream<(Tag, Payload)>.Continuation
        /// Messages yielded to `outbound` that its task has not yet handed to the channel.
        let queued: Locked<Int>
        let tasks: [Task<Void, Never>]
    }
    private var links: [String: PeerLink] = [:]
    private var started = false
    private var waiters: [Hash256: [CheckedContinuation<UInt64, any Error>]] = [:]
    private var committedAt: [Hash256: UInt64] = [:]
    private var gossip: [[UInt8]] = []
    private var gossipScheduled = false
    private var nextNonce: UInt64 = 0
    private var stopped = false
    private var commitListeners: [UInt64: AsyncStream<UInt64>.Continuation] = [:]
    private var nextListener: UInt64 = 0
    /// Consensus timeouts not yet fired, by the height they are for: a commit cancels those
    /// of the heights it ends, which would only fire to be ignored.
    private var armedTimeouts: [UInt64: [UInt64]] = [:]
    private var tickTimer: UInt64?

    public init(identity: SigningIdentity, replica: Replica, channel: any PartyChannel, timeouts: ConsensusTimeouts = .init(), logger: Logger = Logger(label: "tacit.ledger")) throws {
        self.identity = identity
        self.replica = replica
        self.channel = channel
        self.logger = logger
        guard replica.state.membership.keys[identity.name] == identity.key.publicKey else {
            throw LedgerError(.unknownMember, "\(identity.name) is not a member with this signing key; check --name and the key file")
        }
        let signState = try replica.store.signState()
        core = ConsensusCore(
            identity: identity, chainID: replica.state.chainID, nextHeight: replica.state.height + 1, signState: signState, timeouts: timeouts)
        nextNonce = (replica.state.lastNonce[identity.name] ?? 0) + 1
    }

    public var height: UInt64 { replica.state.height }
    public var lastHash: Hash256 { replica.state.lastHash }
    public var state: LedgerState { replica.state }
    public var pending: Int { replica.pendingCount }
    /// The hash of committed block `height`, nil above the head: replicas agree iff these agree.
    public func hash(at height: UInt64) -> Hash256? { replica.committed(at: height)?.0.hash }

    public func start() {
        guard !started, !stopped else { return }
        started = true
        syncPeers(initial: true)
        let actions = core.start(&replica)
        perform(actions)
    }

    /// Re-reads the channel's parties: call it when they change (the mesh's membership was
    /// updated), so that a member the ledger added is linked as soon as the transport knows it.
    /// Commits re-check the ledger side by themselves.
    public func refreshPeers() { syncPeers() }

    /// The members this node currently sends to and listens to (sorted; for tests and status).
    public var linkedPeers: [String] { links.keys.sorted() }

    /// Links every peer that is a member of the replica and a party of the channel, and
    /// unlinks the rest: their queue is finished (what is queued is dropped) and their tasks
    /// are cancelled.
    private func syncPeers(initial: Bool = false) {
        guard started, !stopped else { return }
        let members = replica.state.membership.records
        let wanted = Dictionary(
            channel.peers.filter { members[$0.name] != nil }.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        for (name, link) in links where wanted[name] == nil {
            link.outbound.finish()
            for t in link.tasks { t.cancel() }
            links[name] = nil
            logger.info("ledger peer unlinked", metadata: ["member": "\(name)"])
        }
        for (name, peer) in wanted where links[name] == nil {
            links[name] = link(peer)
            // A change of membership is worth the operator's eye; the links made at start are not.
            logger.log(level: initial ? .debug : .info, "ledger peer linked", metadata: ["member": "\(name)"])
        }
    }

    private func link(_ peer: PartyID) -> PeerLink {
        let (stream, cont) = AsyncStream<(Tag, Payload)>.makeStream(bufferingPolicy: .unbounded)
        let ch = channel
        let queued = Locked(0)
        var tasks = [
            Task.detached {
                for await (tag, payload) in stream {
                    do { try await ch.send(payload, to: peer, session: LedgerNode.session, tag: tag) } catch {}
                    queued.withLock { $0 -= 1 }
                }
            }
        ]
        for tag in [LedgerNode.consensusTag, LedgerNode.transactionsTag] {
            tasks.append(Task.detached { [weak self] in
                while !Task.isCancelled {
                    let p: Payload
                    do { p = try await ch.receive(from: peer, session: LedgerNode.session, tag: tag, timeout: nil) } catch {
                        if let e = error as? NetError, e.code == .closed || e.code == .cancelled { return }
                        continue
                    }
                    guard let self else { return }
                    if tag == LedgerNode.consensusTag {
                        await self.onConsensus(p, from: peer.name)
                    } else {
                        await self.onTransactions(p, from: peer.name)
                    }
                }
            })
        }
        return PeerLink(peer: peer, outbound: cont, queued: queued, tasks: tasks)
    }

    /// Straight to the channel when nothing is queued for this peer and the transport takes it
    /// at once (a task switch less per message: with four members on two cores the ledger is
    /// CPU-bound); otherwise behind the rest, through the peer's task. Only this actor adds
    /// to `queued`, so seeing zero means no earlier message is still on its way to the channel.
    private func deliver(_ tag: Tag, _ payload: Payload, to link: PeerLink) {
        if link.queued.withLock({ $0 == 0 }), channel.trySend(payload, to: link.peer, session: LedgerNode.session, tag: tag) { return }
        link.queued.withLock { $0 += 1 }
        link.outbound.yield((tag, payload))
    }

    /// Yields the new height after each block this replica commits (coalesced to the latest
    /// when the reader is slow); finishes when the node stops.
    public func commits() -> AsyncStream<UInt64> {
        let (stream, c) = AsyncStream<UInt64>.makeStream(bufferingPolicy: .bufferingNewest(1))
        if stopped {
            c.finish()
            return stream
        }
        nextListener += 1
        let id = nextListener
        commitListeners[id] = c
        c.onTermination = { [weak self] _ in Task { await self?.removeListener(id) } }
        return stream
    }

    private func removeListener(_ id: UInt64) { commitListeners[id] = nil }

    public func stop() {
        stopped = true
        for c in commitListeners.values { c.finish() }
        commitListeners = [:]
        for link in links.values {
            link.outbound.finish()
            for t in link.tasks { t.cancel() }
        }
        links = [:]
        cancelTimeouts(through: .max)
        if let t = tickTimer { DeadlineTimer.shared.cancel(t) }
        for (_, ws) in waiters { for w in ws { w.resume(throwing: LedgerError(.closed, "the ledger node stopped")) } }
        waiters = [:]
        // Committed blocks sit in `-wal` until a checkpoint: without one, copying the database
        // file after a clean stop copies an empty ledger.
        do { try replica.store.checkpoint() } catch {
            logger.warning("WAL checkpoint on stop failed", metadata: ["reason": "\((error as? LedgerError)?.reason ?? "\(error)")"])
        }
    }

    // MARK: Submitting

    /// A transaction authored by this member, with its next nonce.
    public func author(_ body: TransactionBody, sealed: [SealedField] = []) -> Transaction {
        let n = max(nextNonce, (replica.state.lastNonce[identity.name] ?? 0) + 1)
        nextNonce = n + 1
        return Transaction(chainID: replica.state.chainID, author: identity, nonce: n, body: body, sealed: sealed)
    }

    /// Admits transactions to the pool and sends them to the other members. Signatures are
    /// checked on every core before entering the actor's queue of work.
    public func submit(_ txs: [Transaction]) throws {
        let errs = Replica.verifyAll(txs, replica.state.membership)
        var firstError: LedgerError?
        for (tx, e) in zip(txs, errs) {
            if let e { firstError = firstError ?? e; continue }
            do {
                try replica.admit(tx, signaturesVerified: true)
                gossip.append(tx.encoded)
            } catch let e as LedgerError { firstError = firstError ?? e } catch {}
        }
        scheduleGossip()
        perform(core.transactionsAvailable(&replica))
        if let firstError { throw firstError }
    }

    /// Waits until `id` is committed; returns its height.
    public func waitCommitted(_ id: Hash256, timeout: Duration = .seconds(60)) async throws -> UInt64 {
        if let h = committedAt[id] { return h }
        // The mesh's deadline thread rather than a sleeping task: a task per wait cost a
        // timer registration and a wake-up to cancel it, on a commit's critical path.
        let timer = DeadlineTimer.shared.schedule(at: .now + timeout) { [weak self] in
            Task { await self?.expire(id) }
        }
        defer { DeadlineTimer.shared.cancel(timer) }
        return try await withCheckedThrowingContinuation { waiters[id, default: []].append($0) }
    }

    private func expire(_ id: Hash256) {
        for w in waiters.removeValue(forKey: id) ?? [] {
            w.resume(throwing: LedgerError(.timeout, "transaction \(id.short) not committed in time; is a quorum of members up?"))
        }
    }

    public func submitAndWait(_ tx: Transaction, timeout: Duration = .seconds(60)) async throws -> UInt64 {
        try submit([tx])
        return try await waitCommitted(tx.id, timeout: timeout)
    }

    // MARK: Events

    private func onConsensus(_ p: Payload, from peer: String) {
        guard !stopped else { return }
        let message: ConsensusMessage
        do { message = try ConsensusMessage(decoding: p.bytes) } catch {
            logger.warning("dropped a malformed consensus message", metadata: ["from": "\(peer)", "error": "\(error)"])
            return
        }
        perform(core.receive(message, from: peer, &replica))
    }

    private func onTransactions(_ p: Payload, from peer: String) {
        guard !stopped else { return }
        var txs: [Transaction] = []
        do {
            var r = LedgerReader(p.bytes, what: "transaction batch")
            let n = try r.count("transactions", minSize: 4, max: 1 << 20)
            for _ in 0..<n { txs.append(try Transaction(decoding: try r.data("transaction", max: LedgerLimits.maxTransactionBytes))) }
            try r.finish()
        } catch {
            logger.warning("dropped a malformed transaction batch", metadata: ["from": "\(peer)"])
            return
        }
        txs.removeAll { replica.isKnown($0) }
        guard !txs.isEmpty else { return }
        // Those a proposal brought first were verified then.
        let fresh = txs.filter { !replica.isVerified($0.id) }
        let errs = Replica.verifyAll(fresh, replica.state.membership)
        let bad = Set(zip(fresh, errs).compactMap { $1 == nil ? nil : $0.id })
        for tx in txs where !bad.contains(tx.id) {
            try? replica.admit(tx, signaturesVerified: true)
        }
        perform(core.transactionsAvailable(&replica))
    }

    private func onTimeout(_ t: TimeoutEvent) {
        guard !stopped else { return }
        perform(core.timeout(t, &replica))
    }

    private func scheduleGossip() {
        guard !gossipScheduled, !gossip.isEmpty else { return }
        gossipScheduled = true
        Task { self.flushGossip() }
    }

    private func flushGossip() {
        gossipScheduled = false
        guard !gossip.isEmpty else { return }
        // Batches of at most `maxBlockBytes` of transactions: several large sealed outputs
        // pending at once must not add up to one message above what peers accept.
        var batches: [[[UInt8]]] = [[]]
        var bytes = 0
        for t in gossip {
            if !batches[batches.count - 1].isEmpty, bytes + t.count > LedgerLimits.maxBlockBytes {
                batches.append([])
                bytes = 0
            }
            batches[batches.count - 1].append(t)
            bytes += t.count
        }
        gossip = []
        for batch in batches {
            var w = ByteWriter(capacity: batch.reduce(8) { $0 + $1.count + 4 })
            w.u32(UInt32(batch.count))
            for t in batch { w.data(t) }
            let payload = Payload(w.bytes)
            for link in links.values { deliver(LedgerNode.transactionsTag, payload, to: link) }
        }
    }

    /// Cancels the armed timeouts of every height up to `height`.
    private func cancelTimeouts(through height: UInt64) {
        for (h, ids) in armedTimeouts where h <= height {
            for id in ids { DeadlineTimer.shared.cancel(id) }
            armedTimeouts[h] = nil
        }
    }

    private func perform(_ actions: [ConsensusAction]) {
        for a in actions {
            switch a {
            case .broadcast(let m):
                let payload = Payload(m.encoded)
                for link in links.values { deliver(LedgerNode.consensusTag, payload, to: link) }
            case .send(let to, let m):
                if let link = links[to] { deliver(LedgerNode.consensusTag, Payload(m.encoded), to: link) }
            case .schedule(let t, let after):
                let id = DeadlineTimer.shared.schedule(at: .now + after) { [weak self] in
                    Task { await self?.onTimeout(t) }
                }
                if t.kind == .tick {
                    // Re-armed by each tick it fires, for the node's life: only `stop` cancels it.
                    tickTimer = id
                } else {
                    armedTimeouts[t.height, default: []].append(id)
                }
            case .committed(let h, let hash):
                logger.debug("committed", metadata: ["height": "\(h)", "hash": "\(hash.short)"])
                cancelTimeouts(through: h)
                for c in commitListeners.values { c.yield(h) }
                // The block may have added or removed a member. The replica is already at the
                // batch's last block, so the broadcasts after this action reach the new peers.
                syncPeers()
            case .equivocation(let who, let what):
                logger.warning("equivocation", metadata: ["member": "\(who)", "what": "\(what)"])
            }
        }
        for (id, h) in replica.recentlyCommitted {
            if let ws = waiters.removeValue(forKey: id) { for w in ws { w.resume(returning: h) } }
            committedAt[id] = h
        }
        replica.recentlyCommitted = []
        for (id, e) in replica.recentlyRejected {
            if let ws = waiters.removeValue(forKey: id) { for w in ws { w.resume(throwing: e) } }
        }
        replica.recentlyRejected = []
        if committedAt.count > 200_000 { committedAt = [:] }
    }
}
