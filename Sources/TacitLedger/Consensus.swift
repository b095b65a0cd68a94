/// Tendermint consensus (Buchman, Kwon, Milosevic, "The latest gossip on BFT consensus",
/// 2018, Algorithm 1) as a deterministic state machine: it is driven only by `start`,
/// `receive`, `timeout` and `transactionsAvailable`, and answers with actions (messages to
/// send, timeouts to schedule). The same engine runs in the node and in the simulated
/// network of the tests.
///
/// Deviations from the paper, all listed in Docs/TacitLedger.md:
/// - quorum ⌈(n+f+1)/2⌉ instead of 2f+1 (equal when n = 3f+1; correct for every n);
/// - a height starts idle: the proposer proposes and the others arm `timeoutPropose` only
///   once transactions are pending (or a message for the height arrives), so an idle chain
///   sends nothing but a periodic status;
/// - gossip is replaced by re-sending this round's own messages on a periodic tick while no
///   progress is made, plus `status`/`syncRequest` and `blockRequest` for members that fell
///   behind or missed a proposal;
/// - every signature is preceded by a durable `SignState` write, so a restart cannot sign a
///   conflicting message; the lock is persisted with it.
public struct ConsensusCore {
    enum Step: Int { case propose = 0, prevote = 1, precommit = 2 }

    public let identity: SigningIdentity
    public let chainID: Hash256
    public let timeouts: ConsensusTimeouts

    public private(set) var height: UInt64
    public private(set) var round: UInt32 = 0
    var step: Step = .propose
    var active = false
    var lockedRound: Int32 = -1
    var lockedBlock: Block?
    var validRound: Int32 = -1
    var validBlock: Block?
    var lastSigned: SignState?

    var validators: [String: VerifyingKey] = [:]
    var order: [String] = []
    var proposals: [UInt32: Proposal] = [:]
    var blocks: [Hash256: Block] = [:]
    var validity: [Hash256: Bool] = [:]
    /// Votes per round and voter: normally one; an equivocating voter may have two (kept, so
    /// that every honest member can count the polka or commit it took part in).
    var prevotes: [UInt32: [String: [Vote]]] = [:]
    var precommits: [UInt32: [String: [Vote]]] = [:]
    var roundSenders: [UInt32: Set<String>] = [:]
    var prevoteTimerArmed: Set<UInt32> = []
    var precommitTimerArmed: Set<UInt32> = []
    var proposeTimerArmed: Set<UInt32> = []
    var polkaHandled: Set<UInt32> = []
    var blockRequested: Set<Hash256> = []
    var myProposal: Proposal?
    var myVotes: [Vote] = []
    /// Messages for the next height, replayed when it starts.
    var future: [(String, ConsensusMessage)] = []
    /// Certified blocks above the next height, from sync answers.
    var pendingCommits: [UInt64: (Block, CommitCertificate)] = [:]
    var syncAsked: Set<String> = []
    /// Committed blocks sent to each peer since the last tick (sync and block requests): a
    /// request is 9 bytes, an answer up to 32 blocks, so answers are rationed per peer.
    var syncServed: [String: Int] = [:]
    /// The transaction bytes of those blocks: 32 blocks of sealed outputs are gigabytes.
    var syncBytesServed: [String: Int] = [:]
    /// Blocks of the current height sent to each peer since the last tick (`blockRequest`).
    var proposedServed: [String: Int] = [:]
    var lastTick: (UInt64, UInt32, Int) = (0, 0, -1)
    /// Proposal bytes earned by the ticks stuck since this round's proposal was last re-sent.
    var resendCredit = 0

    var actions: [ConsensusAction] = []

    /// Committed blocks answered to one peer's sync requests per tick.
    public static let syncBlocksPerTick = 32
    /// Transaction bytes of committed blocks answered to one peer per tick: a block is sent
    /// while the tick's total is below this, so one block of any allowed size still goes.
    public static let syncBytesPerTick = LedgerLimits.maxBlockBytes
    /// Proposal bytes a member re-sends per stuck tick, on average: a block above it is
    /// re-sent every ⌈its transaction bytes / this⌉ stuck ticks rather than every tick, so a
    /// round stuck on a 48 MiB sealed output does not queue a copy per tick to every peer
    /// faster than the link carries one. Smaller blocks are re-sent every stuck tick.
    public static let proposalResendBytesPerTick = 4 << 20
    /// Blocks of the current height (proposed, not committed) answered to one peer's
    /// `blockRequest`s per tick.
    public static let proposedBlocksPerTick = 2

    public init(identity: SigningIdentity, chainID: Hash256, nextHeight: UInt64, signState: SignState?, timeouts: ConsensusTimeouts = .init()) {
        self.identity = identity
        self.chainID = chainID
        self.timeouts = timeouts
        self.height = nextHeight
        self.lastSigned = signState
        if let s = signState, s.height == nextHeight {
            round = s.round
            step = s.step == .precommit ? .precommit : s.step == .prevote ? .prevote : .propose
            lockedRound = s.lockedRound
            lockedBlock = s.lockedBlock
            validRound = s.lockedRound
            validBlock = s.lockedBlock
            active = true
        }
    }

    var quorum: Int { Quorum.size(order.count) }
    var faults: Int { Quorum.faults(order.count) }

    func proposer(_ h: UInt64, _ r: UInt32) -> String {
        order[Int((h &+ UInt64(r)) % UInt64(max(order.count, 1)))]
    }

    // MARK: Entry points

    public mutating func start(_ app: inout some ConsensusApplication) -> [ConsensusAction] {
        loadValidators(app)
        let resumeStep = step
        enterRound(round, &app, resumed: resumeStep != .propose)
        actions.append(.schedule(TimeoutEvent(kind: .tick, height: 0, round: 0), after: timeouts.tick))
        actions.append(.broadcast(.status(committed: height - 1)))
        return flush()
    }

    public mutating func transactionsAvailable(_ app: inout some ConsensusApplication) -> [ConsensusAction] {
        activate(&app)
        if step == .propose, proposer(height, round) == identity.name { tryPropose(&app) }
        process(&app)
        return flush()
    }

    public mutating func timeout(_ t: TimeoutEvent, _ app: inout some ConsensusApplication) -> [ConsensusAction] {
        switch t.kind {
        case .tick:
            onTick(&app)
            actions.append(.schedule(TimeoutEvent(kind: .tick, height: 0, round: 0), after: timeouts.tick))
        case .propose:
            if t.height == height, t.round == round, step == .propose {
                signVote(.prevote, nil, &app)
                step = .prevote
            }
        case .prevote:
            if t.height == height, t.round == round, step == .prevote {
                signVote(.precommit, nil, &app)
                step = .precommit
            }
        case .precommit:
            if t.height == height, t.round == round { enterRound(round + 1, &app) }
        }
        process(&app)
        return flush()
    }

    public mutating func receive(_ message: ConsensusMessage, from sender: String, _ app: inout some ConsensusApplication) -> [ConsensusAction] {
        handle(message, from: sender, &app)
        process(&app)
        return flush()
    }

    // MARK: Internals

    private mutating func flush() -> [ConsensusAction] {
        defer { actions = [] }
        return actions
    }

    private mutating func loadValidators(_ app: some ConsensusApplication) {
        validators = app.validators
        order = validators.keys.sorted()
    }

    private mutating func activate(_ app: inout some ConsensusApplication) {
        if !active {
            active = true
            armProposeTimer()
        }
    }

    private mutating func armProposeTimer() {
        guard step == .propose, !proposeTimerArmed.contains(round) else { return }
        proposeTimerArmed.insert(round)
        actions.append(.schedule(TimeoutEvent(kind: .propose, height: height, round: round), after: timeouts.propose + timeouts.delta * Int(round)))
    }

    private mutating func enterRound(_ r: UInt32, _ app: inout some ConsensusApplication, resumed: Bool = false) {
        round = r
        if !resumed { step = .propose }
        myProposal = nil
        myVotes = []
        if r > 0 || app.hasPending { active = true }
        if active { armProposeTimer() }
        if step == .propose, proposer(height, r) == identity.name { tryPropose(&app) }
    }

    private mutating func tryPropose(_ app: inout some ConsensusApplication) {
        guard myProposal == nil, step == .propose else { return }
        let block: Block
        if let v = validBlock {
            block = v
        } else if let b = app.makeBlock(height: height, previousHash: app.lastCommittedHash, proposer: identity.name) {
            block = b
        } else {
            return
        }
        guard guardAndPersist(.proposal, block.hash, &app) else { return }
        let p = Proposal(chainID: chainID, height: height, round: round, polRound: validBlock == nil ? -1 : validRound, block: block, signer: identity)
        myProposal = p
        active = true
        actions.append(.broadcast(.proposal(p)))
        // The proof of lock travels with a re-proposal: members that missed those prevotes
        // could not accept it otherwise (Tendermint's gossip would deliver them eventually).
        if p.polRound >= 0 { broadcastPolka(UInt32(p.polRound), block.hash) }
        handle(.proposal(p), from: identity.name, signedHere: true, &app)
    }

    private mutating func broadcastPolka(_ r: UInt32, _ hash: Hash256) {
        for (_, vs) in (prevotes[r] ?? [:]).sorted(by: { $0.key < $1.key }) {
            for v in vs where v.blockHash == hash { actions.append(.broadcast(.vote(v))) }
        }
    }

    /// Persists the intent to sign; false (and nothing is signed) if it would conflict with
    /// what this member signed before.
    private mutating func guardAndPersist(_ s: SignState.Step, _ hash: Hash256?, _ app: inout some ConsensusApplication) -> Bool {
        if let last = lastSigned, !last.permits(height: height, round: round, step: s, hash: hash) { return false }
        let state = SignState(height: height, round: round, step: s, blockHash: hash, lockedRound: lockedRound, lockedBlock: lockedBlock)
        do { try app.persist(state) } catch { return false }
        lastSigned = state
        return true
    }

    private mutating func signVote(_ type: VoteType, _ hash: Hash256?, _ app: inout some ConsensusApplication) {
        guard guardAndPersist(type == .prevote ? .prevote : .precommit, hash, &app) else { return }
        let v = Vote(chainID: chainID, type: type, height: height, round: round, blockHash: hash, signer: identity)
        myVotes.append(v)
        actions.append(.broadcast(.vote(v)))
        handle(.vote(v), from: identity.name, signedHere: true, &app)
    }

    private mutating func valid(_ block: Block, _ app: inout some ConsensusApplication) -> Bool {
        if let v = validity[block.hash] { return v }
        let v = block.header.height == height && app.isValid(block)
        validity[block.hash] = v
        return v
    }

    /// `signedHere`: the message is this member's own, just signed; its signature is not
    /// checked again (two verifications per height saved; a peer's message never has it set).
    private mutating func handle(
        _ message: ConsensusMessage, from sender: String, signedHere: Bool = false, _ app: inout some ConsensusApplication
    ) {
        switch message {
        case .proposal(let p):
            if p.height == height + 1 { bufferFuture(sender, message); return }
            guard p.height == height, !order.isEmpty, p.proposer == proposer(p.height, p.round),
                let key = validators[p.proposer], p.polRound < Int32(clamping: p.round)
            else { return }
            if let existing = proposals[p.round] {
                if existing.block.hash != p.block.hash, signedHere || p.verify(chainID: chainID, key: key) {
                    actions.append(.equivocation(p.proposer, "two proposals at height \(p.height) round \(p.round)"))
                    blocks[p.block.hash] = p.block
                }
                return
            }
            guard signedHere || p.verify(chainID: chainID, key: key) else { return }
            proposals[p.round] = p
            blocks[p.block.hash] = p.block
            noteRoundSender(p.round, p.proposer)
            activate(&app)
        case .vote(let v):
            if v.height == height + 1 { bufferFuture(sender, message); return }
            guard v.height == height, let key = validators[v.voter] else { return }
            let existing = (v.type == .prevote ? prevotes : precommits)[v.round]?[v.voter] ?? []
            if existing.contains(where: { $0.blockHash == v.blockHash }) || existing.count >= 2 { return }
            guard signedHere || v.verify(chainID: chainID, key: key) else { return }
            if !existing.isEmpty {
                actions.append(.equivocation(v.voter, "two \(v.type)s at height \(v.height) round \(v.round)"))
            }
            if v.type == .prevote { prevotes[v.round, default: [:]][v.voter, default: []].append(v) } else {
                precommits[v.round, default: [:]][v.voter, default: []].append(v)
            }
            noteRoundSender(v.round, v.voter)
            activate(&app)
        case .commit(let block, let cert):
            let h = block.header.height
            if h == height {
                applyCertified(block, cert, &app)
            } else if h > height, h <= height + 256, pendingCommits[h] == nil {
                pendingCommits[h] = (block, cert)
            }
        case .status(let committed):
            if committed >= height, !syncAsked.contains(sender) {
                syncAsked.insert(sender)
                actions.append(.send(sender, .syncRequest(from: height)))
            }
        case .syncRequest(let from):
            // An honest member asks once per status it hears (one a tick) from its own height,
            // so a tick's allowance is a whole answer; a flood gets nothing more until the tick.
            let allowance = Self.syncBlocksPerTick - syncServed[sender, default: 0]
            var h = from
            var sent = 0
            while sent < allowance, syncBytesServed[sender, default: 0] < Self.syncBytesPerTick, let (b, c) = app.committed(at: h) {
                actions.append(.send(sender, .commit(b, c)))
                syncBytesServed[sender, default: 0] += b.transactionBytes
                h += 1
                sent += 1
            }
            syncServed[sender, default: 0] += sent
        case .blockRequest(let h, let hash):
            if h < height, let (b, c) = app.committed(at: h), b.hash == hash {
                guard syncServed[sender, default: 0] < Self.syncBlocksPerTick,
                      syncBytesServed[sender, default: 0] < Self.syncBytesPerTick else { return }
                syncServed[sender, default: 0] += 1
                syncBytesServed[sender, default: 0] += b.transactionBytes
                actions.append(.send(sender, .commit(b, c)))
            } else if let b = blocks[hash] {
                // A block of the current height is as large as a committed one, and this
                // 41-byte request could draw it again and again. An honest member asks each
                // voter once per block it missed (`blockRequested`), so two answers per peer
                // per tick are plenty; not counted in `syncServed`, whose 32 would let a
                // flood draw 32 proposed blocks a tick.
                guard proposedServed[sender, default: 0] < Self.proposedBlocksPerTick else { return }
                proposedServed[sender, default: 0] += 1
                actions.append(.send(sender, .block(b)))
            }
        case .block(let b):
            if b.header.height == height, blockRequested.contains(b.hash) { blocks[b.hash] = b }
        }
    }

    private mutating func bufferFuture(_ sender: String, _ m: ConsensusMessage) {
        if future.count < 4096 { future.append((sender, m)) }
    }

    private mutating func noteRoundSender(_ r: UInt32, _ who: String) {
        if r > round { roundSenders[r, default: []].insert(who) }
    }

    /// A block with a valid commit certificate from a quorum: verified, then applied.
    private mutating func applyCertified(_ block: Block, _ cert: CommitCertificate, _ app: inout some ConsensusApplication) {
        guard cert.height == height, cert.blockHash == block.hash else { return }
        let message = Vote.signBytes(chainID: chainID, type: .precommit, height: height, round: cert.round, blockHash: block.hash)
        var signers: Set<String> = []
        for s in cert.signatures {
            guard let k = validators[s.member], k.isValid(signature: s.signature, for: message) else { return }
            signers.insert(s.member)
        }
        guard signers.count >= quorum, valid(block, &app) else { return }
        decide(block, cert, &app)
    }

    /// Distinct voters: for `hash` (`.some(nil)` counts nil votes), or for anything (`nil`).
    private func count(_ votes: [String: [Vote]]?, _ hash: Hash256??) -> Int {
        guard let votes else { return 0 }
        guard let hash else { return votes.count }
        return votes.values.reduce(0) { $0 + ($1.contains { $0.blockHash == hash } ? 1 : 0) }
    }

    /// Evaluates the "upon" rules of Algorithm 1 until none fires.
    private mutating func process(_ app: inout some ConsensusApplication) {
        var progressed = true
        var guardCount = 0
        while progressed, guardCount < 64 {
            progressed = false
            guardCount += 1
            let h = height
            let r = round
            // Lines 22 and 28: the proposal of this round.
            if step == .propose, let p = proposals[r] {
                let v = p.block
                if p.polRound == -1 {
                    let ok = valid(v, &app) && (lockedRound == -1 || lockedBlock?.hash == v.hash)
                    signVote(.prevote, ok ? v.hash : nil, &app)
                    step = .prevote
                    progressed = true
                } else if p.polRound >= 0, count(prevotes[UInt32(p.polRound)], .some(v.hash)) >= quorum {
                    let ok = valid(v, &app) && (lockedRound <= p.polRound || lockedBlock?.hash == v.hash)
                    signVote(.prevote, ok ? v.hash : nil, &app)
                    step = .prevote
                    progressed = true
                }
            }
            // Line 34: any quorum of prevotes arms the prevote timeout.
            if step == .prevote, !prevoteTimerArmed.contains(r), count(prevotes[r], nil) >= quorum {
                prevoteTimerArmed.insert(r)
                actions.append(.schedule(TimeoutEvent(kind: .prevote, height: h, round: r), after: timeouts.prevote + timeouts.delta * Int(r)))
            }
            // Line 36: a polka for this round's proposal: lock and precommit.
            if step != .propose, !polkaHandled.contains(r), let p = proposals[r],
                count(prevotes[r], .some(p.block.hash)) >= quorum, valid(p.block, &app)
            {
                polkaHandled.insert(r)
                if step == .prevote {
                    lockedRound = Int32(r)
                    lockedBlock = p.block
                    signVote(.precommit, p.block.hash, &app)
                    step = .precommit
                }
                validRound = Int32(r)
                validBlock = p.block
                progressed = true
            }
            // Line 44: a polka for nil.
            if step == .prevote, count(prevotes[r], .some(nil)) >= quorum {
                signVote(.precommit, nil, &app)
                step = .precommit
                progressed = true
            }
            // Line 47: any quorum of precommits arms the precommit timeout.
            if !precommitTimerArmed.contains(r), count(precommits[r], nil) >= quorum {
                precommitTimerArmed.insert(r)
                actions.append(.schedule(TimeoutEvent(kind: .precommit, height: h, round: r), after: timeouts.precommit + timeouts.delta * Int(r)))
            }
            // Line 49: a quorum of precommits for a block, in any round: decide.
            if tryDecide(&app) { progressed = true; continue }
            // Line 55: f+1 members are in a later round: skip to it.
            if let skip = roundSenders.keys.sorted().last(where: { $0 > round && (roundSenders[$0]?.count ?? 0) >= faults + 1 }) {
                roundSenders = roundSenders.filter { $0.key > skip }
                enterRound(skip, &app)
                progressed = true
            }
        }
    }

    private mutating func tryDecide(_ app: inout some ConsensusApplication) -> Bool {
        for r in precommits.keys.sorted() {
            guard let votes = precommits[r] else { continue }
            var tally: [Hash256: Int] = [:]
            for vs in votes.values { for hsh in Set(vs.compactMap(\.blockHash)) { tally[hsh, default: 0] += 1 } }
            guard let (hash, _) = tally.sorted(by: { $0.key < $1.key }).first(where: { $0.value >= quorum }) else { continue }
            guard let block = blocks[hash] else {
                if blockRequested.insert(hash).inserted {
                    for voter in votes.filter({ $0.value.contains { $0.blockHash == hash } }).keys.sorted() where voter != identity.name {
                        actions.append(.send(voter, .blockRequest(height: height, hash: hash)))
                    }
                }
                continue
            }
            guard valid(block, &app) else { continue }
            let sigs = votes.values.flatMap { $0 }.filter { $0.blockHash == hash }.map {
                CommitCertificate.Signature(member: $0.voter, signature: $0.signature)
            }
            decide(block, CommitCertificate(height: height, round: r, blockHash: hash, signatures: sigs), &app)
            return true
        }
        return false
    }

    private mutating func decide(_ block: Block, _ cert: CommitCertificate, _ app: inout some ConsensusApplication) {
        // Every signature in `cert` was verified on its way here (as a vote, or just above in
        // `applyCertified`): the replica need not check them again.
        do { try app.commit(block, cert, signaturesVerified: true) } catch { return }
        actions.append(.committed(height, block.hash))
        height += 1
        round = 0
        step = .propose
        active = false
        lockedRound = -1
        lockedBlock = nil
        validRound = -1
        validBlock = nil
        proposals = [:]
        blocks = [:]
        validity = [:]
        prevotes = [:]
        precommits = [:]
        roundSenders = [:]
        prevoteTimerArmed = []
        precommitTimerArmed = []
        proposeTimerArmed = []
        polkaHandled = []
        blockRequested = []
        syncAsked = []
        loadValidators(app)
        pendingCommits = pendingCommits.filter { $0.key >= height }
        enterRound(0, &app)
        let replay = future
        future = []
        for (s, m) in replay { handle(m, from: s, &app) }
        if let (b, c) = pendingCommits.removeValue(forKey: height) { applyCertified(b, c, &app) }
    }

    private mutating func onTick(_ app: inout some ConsensusApplication) {
        syncAsked = []
        syncServed = [:]
        syncBytesServed = [:]
        proposedServed = [:]
        actions.append(.broadcast(.status(committed: height - 1)))
        let now = (height, round, step.rawValue)
        if now == lastTick, active {
            // No progress since the last tick: say again what this member said this round.
            if let p = proposals[round] {
                resendCredit += Self.proposalResendBytesPerTick
                if resendCredit >= p.block.transactionBytes {
                    actions.append(.broadcast(.proposal(p)))
                    resendCredit = 0
                }
            }
            for v in myVotes { actions.append(.broadcast(.vote(v))) }
            if validRound >= 0, let b = validBlock { broadcastPolka(UInt32(validRound), b.hash) }
            if let r = precommits.keys.sorted().last, r != round, let mine = precommits[r]?[identity.name] {
                for v in mine { actions.append(.broadcast(.vote(v))) }
            }
        } else {
            resendCredit = 0
        }
        lastTick = now
        if !pendingCommits.isEmpty, let (b, c) = pendingCommits.removeValue(forKey: height) { applyCertified(b, c, &app) }
    }
}
