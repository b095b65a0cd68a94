import Foundation
import Logging
public import TacitCrypto
import TacitBytes
import TacitJob
import TacitLedger
import TacitMath
public import TacitNet
import TacitKeygen

/// What `tacit paillier keygen` asks its node: the holders run the same request at the same
/// time (each at its own node), and their nodes make the key together over the mesh.
public struct PaillierKeygenRequest: Sendable, Codable, Hashable {
    /// Shares needed to decrypt; default: a majority of the holders.
    public var threshold: Int?
    public var bits: Int
    /// The members who get a share; default: every current member.
    public var holders: [String]?
    /// A failed ceremony is retried with the next attempt number (its messages are apart).
    public var attempt: Int
    /// A trusted dealer (the first holder) makes the key and sends each share: for tests,
    /// never for a real consortium (the dealer could decrypt everything).
    public var dealer: Bool
    /// Where this node writes its share; default: `keys.paillierShare` of its config, else
    /// `paillier-share.json` beside its transport key.
    public var out: String?

    public init(threshold: Int? = nil, bits: Int = 2048, holders: [String]? = nil, attempt: Int = 1, dealer: Bool = false, out: String? = nil) {
        self.threshold = threshold
        self.bits = bits
        self.holders = holders
        self.attempt = attempt
        self.dealer = dealer
        self.out = out
    }
}

/// Where this node's ceremony is (`paillier-keygen-status`).
public struct PaillierKeygenStatus: Sendable, Codable, Hashable {
    public enum State: String, Sendable, Codable { case idle, running, done, failed }
    public var state: State
    public var step: String?
    public var fraction: Double?
    public var error: String?
    public var fingerprint: String?
    public var sharePath: String?

    public init(state: State, step: String? = nil, fraction: Double? = nil, error: String? = nil, fingerprint: String? = nil, sharePath: String? = nil) {
        self.state = state
        self.step = step
        self.fraction = fraction
        self.error = error
        self.fingerprint = fingerprint
        self.sharePath = sharePath
    }
}

/// Makes this party's share of a new threshold key on `channel` (the ceremony's session),
/// with the other `holders` running the same maker.
public typealias PaillierKeyMaker = @Sendable (
    _ channel: SessionChannel, _ holders: [PartyID], _ threshold: Int, _ bits: Int, _ policy: Paillier.KeySizePolicy,
    _ progress: @escaping @Sendable (String, Double?) -> Void
) async throws -> Paillier.ThresholdKeyShare

/// The ceremony around the key maker: the holders meet and check they run the same
/// parameters, make the key, co-sign its `KeyRegistered` (each after checking it is the key
/// it holds a share of), wait for it to commit, and each writes its share (0600).
enum PaillierCeremony {
    static let helloTag = Tag(1)
    static let registrationTag = Tag(2)
    static let endorsementTag = Tag(3)
    static let registeredTag = Tag(4)
    /// Operators start the command at different times; unread messages wait 600 s.
    static let rendezvousTimeout: Duration = .seconds(540)

    struct Plan {
        var holders: [String]
        var threshold: Int
        var bits: Int
        var policy: Paillier.KeySizePolicy
        var outPath: String
        var digest: [UInt8]
    }

    /// Checks the request against the node before anything is sent.
    static func plan(_ r: PaillierKeygenRequest, config: NodeConfig, members: [String], chainID: Hash256) throws -> Plan {
        let me = config.name.name
        let holders = (r.holders ?? members).sorted()
        guard Set(holders).count == holders.count else { throw NodeError(.keys, "--holders lists a member twice") }
        guard holders.contains(me) else { throw NodeError(.keys, "\(me) is not among the holders \(holders.joined(separator: ", ")); run keygen at the holders' nodes") }
        for h in holders where !members.contains(h) { throw NodeError(.keys, "holder \(h) is not a member of the consortium (members: \(members.joined(separator: ", ")))") }
        guard holders.count >= 2 else { throw NodeError(.keys, "a threshold key needs at least two holders") }
        let t = r.threshold ?? holders.count / 2 + 1
        guard (1...holders.count).contains(t) else { throw NodeError(.keys, "--threshold \(t) is impossible with \(holders.count) holders: use 1...\(holders.count)") }
        let policy: Paillier.KeySizePolicy = config.allowInsecureKeySizes ? .insecureAnySizeForTesting : .standard
        guard r.bits >= 2048 || config.allowInsecureKeySizes else {
            throw NodeError(.keys, "--bits \(r.bits) is below 2048; only a node with allowInsecureKeySizes: true (tests) makes such keys")
        }
        guard r.bits >= 256, r.bits <= 8192, r.bits % 2 == 0 else { throw NodeError(.keys, "--bits must be even, 256...8192") }
        guard r.attempt >= 1 else { throw NodeError(.keys, "--attempt starts at 1") }
        let keyDir = (config.transportKeyPath as NSString).deletingLastPathComponent
        let out = r.out ?? config.paillierSharePath ?? (keyDir as NSString).appendingPathComponent("paillier-share.json")
        guard !FileManager.default.fileExists(atPath: out) else {
            throw NodeError(.keys, "\(out) already exists; move the old share away (or give --out) before making a new key")
        }
        var w = ByteWriter()
        w.string("tacit.paillier-keygen.v1")
        w.raw(chainID.bytes)
        w.strings(holders)
        w.u32(UInt32(t))
        w.u32(UInt32(r.bits))
        w.u8(r.dealer ? 1 : 0)
        return Plan(holders: holders, threshold: t, bits: r.bits, policy: policy, outPath: out, digest: SHA256Bytes.hash(concatenating: [w.bytes]))
    }

    static func session(_ label: String, chainID: Hash256, attempt: Int, digest: [UInt8] = []) -> SessionID {
        var w = ByteWriter()
        w.string(label)
        w.raw(chainID.bytes)
        w.u32(UInt32(attempt))
        w.raw(digest)
        let h = SHA256Bytes.hash(concatenating: [w.bytes])
        let v = h.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        return SessionID(v | 1 << 63)  // apart from job sessions' and the ledger's range
    }

    /// Runs it; returns this party's share, the holders, and the committed registration.
    static func run(
        _ r: PaillierKeygenRequest, plan p: Plan, config: NodeConfig, mesh: any PartyChannel, ledger: ConsortiumLedger, maker: PaillierKeyMaker,
        progress: @escaping @Sendable (String, Double?) -> Void
    ) async throws -> (Paillier.ThresholdKeyShare, TacitLedger.Transaction) {
        let me = config.name
        let chainID = await ledger.node.state.chainID
        let others = p.holders.filter { $0 != me.name }.map { PartyID($0) }

        // Meet: every holder announces the parameters it runs; a holder with others fails
        // the ceremony on all, named, instead of everyone waiting for a session nobody joins.
        progress("waiting for \(others.map(\.name).joined(separator: ", ")) to start the same ceremony", nil)
        let meeting = mesh.session(session("tacit.paillier-keygen.rendezvous", chainID: chainID, attempt: r.attempt))
        defer { meeting.end() }
        for o in others { try await meeting.send(Payload(p.digest), to: o, tag: helloTag) }
        let hellos: [PartyID: Payload]
        do { hellos = try await meeting.gather(from: others, tag: helloTag, timeout: rendezvousTimeout) } catch {
            throw NodeError(.keys, "the holders did not all start the ceremony within \(rendezvousTimeout): \(error); run `tacit paillier keygen` at every holder's node, then retry with --attempt \(r.attempt + 1)")
        }
        for o in others where hellos[o]?.bytes != p.digest {
            throw NodeError(.keys, "\(o) runs the ceremony with other parameters (holders, threshold, bits or --dealer); every holder runs the same command (retry with --attempt \(r.attempt + 1))")
        }

        let ch = mesh.session(session("tacit.paillier-keygen", chainID: chainID, attempt: r.attempt, digest: p.digest))
        defer { ch.end() }
        let share = try await maker(ch, p.holders.map { PartyID($0) }, p.threshold, p.bits, p.policy, progress)
        let record = PaillierKeyRegistration.record(share.thresholdKey, holders: p.holders)

        // Registration: the first holder authors it, every other holder endorses it after
        // checking it names exactly the key it holds a share of.
        progress("registering the key on the ledger", nil)
        let author = PartyID(p.holders[0])
        let registered: TacitLedger.Transaction
        if me == author {
            let tx = await ledger.node.author(.keyRegistered(record))
            for o in others { try await ch.send(Payload(tx.encoded), to: o, tag: registrationTag) }
            let answers = try await ch.gather(from: others, tag: endorsementTag)
            var ends: [TacitLedger.Transaction.Endorsement] = []
            for o in others {
                guard let sig = answers[o]?.bytes, sig.count == 64 else { throw NodeError(.keys, "\(o) sent a malformed endorsement of the key's registration") }
                ends.append(.init(member: o.name, signature: sig))
            }
            registered = try tx.adding(ends, keys: await ledger.node.state.membership.keys)
            for o in others { try await ch.send(Payload(registered.encoded), to: o, tag: registeredTag) }
            _ = try await ledger.node.submitAndWait(registered, timeout: .seconds(120))
        } else {
            let bytes = try await ch.receive(from: author, tag: registrationTag).bytes
            guard let tx = try? TacitLedger.Transaction(decoding: bytes), tx.author == author.name, tx.chainID == chainID,
                case .keyRegistered(let theirs) = tx.body, theirs == record
            else { throw NodeError(.keys, "\(author) sent a registration that is not for the key this ceremony made; not endorsed") }
            try await ch.send(Payload(tx.endorsement(by: ledger.node.identity).signature), to: author, tag: endorsementTag)
            let full = try await ch.receive(from: author, tag: registeredTag).bytes
            guard let done = try? TacitLedger.Transaction(decoding: full), done.id != tx.id, done.signingPayload == tx.signingPayload else {
                throw NodeError(.keys, "\(author) sent back a registration other than the one endorsed")
            }
            registered = done
        }
        // Every holder sees it committed in its own replica before it keeps the share.
        let deadline = ContinuousClock.now + .seconds(120)
        while await ledger.node.state.keys[ThresholdKeyRecord.paillierScheme]?.record != record {
            guard ContinuousClock.now < deadline else {
                throw NodeError(.keys, "the key's registration did not commit in this replica within 120 s; is a quorum of members up?")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return (share, registered)
    }

    /// Without a dealer: `TacitKeygen`'s Boneh–Franklin modulus and Nishide–Sakurai shares.
    static let distributed: PaillierKeyMaker = { ch, holders, t, bits, policy, progress in
        var parameters = DistributedPaillier.Parameters(bits: bits, threshold: t, policy: policy)
        parameters.policy = policy
        let outcome = try await DistributedPaillier.generate(
            channel: ch, parties: holders, parameters: parameters, timeout: .seconds(300),
            progress: { p in
                let step: String
                switch p.phase {
                case .modulus: step = "sieving and computing candidate moduli (\(p.candidatesTried) tried)"
                case .biprimality: step = "testing candidates for biprimality (\(p.biprimalityTests) tested, \(p.candidatesTried) tried)"
                case .decryptionKey: step = "sharing the decryption key"
                case .verification: step = "verification keys and a test decryption"
                case .done: step = "key made"
                }
                // Candidates needed are random (a few thousand for 2048 bits): the bar shows
                // the phase's place, and the count inside the modulus search.
                let fraction: Double
                switch p.phase {
                case .modulus, .biprimality: fraction = min(0.85, 0.85 * Double(p.candidatesTried) / Double(max(1, 2 * Self.expectedCandidates(bits))))
                case .decryptionKey: fraction = 0.9
                case .verification: fraction = 0.95
                case .done: fraction = 1
                }
                progress(step, fraction)
            })
        return outcome.share
    }

    /// About how many candidate moduli a search tries (the TacitKeygen README's estimate).
    static func expectedCandidates(_ bits: Int) -> Int { max(100, bits * bits / 1130) }

    /// The trusted-dealer maker (`--dealer`, tests only): the first holder deals and sends each
    /// share to its holder over the encrypted mesh. The dealer sees the whole key.
    static let dealer: PaillierKeyMaker = { ch, holders, t, bits, policy, progress in
        let me = ch.localParty
        let names = holders.map(\.name)
        if me == holders[0] {
            progress("dealing the key (TRUSTED DEALER: \(me) sees it whole; for tests only)", nil)
            let (_, shares) = try Paillier.dealThresholdKey(bits: bits, threshold: t, parties: holders.count, policy: policy)
            for (i, h) in holders.enumerated() where h != me {
                try await ch.send(Payload(Array(try JSONEncoder().encode(PaillierShareFile(share: shares[i], holders: names)))), to: h, tag: Tag(10))
            }
            return shares[0]
        }
        progress("waiting for the dealer \(holders[0]) (TRUSTED DEALER; for tests only)", nil)
        // Safe primes of 1024 bits take the dealer minutes.
        let bytes = try await ch.receive(from: holders[0], tag: Tag(10), timeout: .seconds(900)).bytes
        guard let file = try? JSONDecoder().decode(PaillierShareFile.self, from: Data(bytes)), file.holders == names else {
            throw NodeError(.keys, "the dealer \(holders[0]) sent a malformed share")
        }
        let (share, index) = try file.load(allowInsecureKeySizes: policy == .insecureAnySizeForTesting)
        guard index[me] == share.index, share.thresholdKey.threshold == t, share.thresholdKey.publicKey.bits >= bits - 1 else {
            throw NodeError(.keys, "the dealer \(holders[0]) sent a share that is not \(me)'s of a \(t)-of-\(holders.count) \(bits)-bit key")
        }
        return share
    }
}

extension PartyNode {
    /// Starts this node's part of the ceremony in the background (`paillier-keygen-status`
    /// follows it); one at a time.
    func startKeygen(_ request: PaillierKeygenRequest) async throws {
        let state = await ledger.node.state
        let plan = try PaillierCeremony.plan(request, config: config, members: state.membership.names, chainID: state.chainID)
        let maker: PaillierKeyMaker
        if request.dealer {
            maker = PaillierCeremony.dealer
        } else if let distributed = Self.distributedKeyMaker {
            maker = distributed
        } else {
            throw NodeError(.keys, "this build has no dealer-free key generation; only --dealer (tests) is available")
        }
        let started: Bool = self.keygen.withLock { s in
            guard s.state != .running else { return false }
            s = PaillierKeygenStatus(state: .running, step: "starting")
            return true
        }
        guard started else { throw NodeError(.invalidState, "a key generation is already running on this node; `tacit paillier keygen --status` follows it") }
        let (config, mesh, ledger, jobs, logger, keygen, paillierShare) = (self.config, self.mesh, self.ledger, self.jobs, self.logger, self.keygen, self.paillierShare)
        if request.dealer { logger.critical("Paillier key generation with a TRUSTED DEALER (\(plan.holders[0]) sees the whole key): for tests only") }
        Task.detached {
            do {
                let (share, registration) = try await PaillierCeremony.run(
                    request, plan: plan, config: config, mesh: mesh, ledger: ledger, maker: maker,
                    progress: { step, fraction in keygen.withLock { $0.step = step; $0.fraction = fraction } })
                let file = PaillierShareFile(share: share, holders: plan.holders, registration: registration.encoded)
                do { try SecretFile.create(atPath: plan.outPath, contents: Array(try JSONEncoder().encode(file))) } catch let e as SecretFile.Failure {
                    throw NodeError(.keys, "the key is registered but this share could not be written: \(e.message); the ceremony must be run again (--attempt \(request.attempt + 1))")
                }
                var index: [PartyID: Int] = [:]
                for (i, h) in plan.holders.enumerated() { index[PartyID(h)] = i + 1 }
                let material = PaillierKeyMaterial(share: share, indexOf: index)
                await jobs.install(paillier: material)
                paillierShare.withLock { $0 = (material, plan.holders) }
                let fp = PaillierKeyRegistration.fingerprint(share.thresholdKey, holders: plan.holders)
                logger.notice("Paillier key generated and registered", metadata: ["fingerprint": "\(fp)", "share": "\(plan.outPath)"])
                keygen.withLock { $0 = PaillierKeygenStatus(state: .done, step: "done", fraction: 1, fingerprint: fp, sharePath: plan.outPath) }
            } catch {
                let reason = (error as? NodeError)?.message ?? "\(error)"
                logger.error("Paillier key generation failed: \(reason)")
                keygen.withLock { $0 = PaillierKeygenStatus(state: .failed, step: $0.step, error: reason) }
            }
        }
    }
}
