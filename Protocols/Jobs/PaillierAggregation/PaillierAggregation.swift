public import TacitJob
public import TacitMPC
import Logging
import TacitBytes
public import TacitCrypto
import TacitMath
public import TacitNet

/// Sum, count or mean of one column across input parties under the consortium's threshold
/// Paillier key. See README.md beside this file.
///
/// 1. Each input party sums its own column locally, encrypts (sum, count) and sends every
///    other party a commitment to those ciphertexts (a hash bound to the job and the party).
/// 2. Only once it holds every other input party's commitment does it send its ciphertexts,
///    so nobody can make its input depend on another's (`E(x)·c^(2^k)`). Every party checks
///    each list against its commitment, then the parties compare the commitments they hold,
///    so an input party cannot show different parties different ciphertexts; a mismatch fails
///    the job naming the sender before anything is decrypted.
/// 3. Every party of the job computes decryption shares of the totals (with proofs) and
///    sends them to the output's recipients only; a recipient checks every proof and combines
///    a threshold of them. Nobody else receives shares, so nobody else can decrypt.
public struct PaillierAggregation: JobProtocol {
    public init() { misbehaviour = nil }

    /// How a cheating input party deviates, for tests that check the honest parties catch it.
    /// A misbehaving party checks nothing of what it receives, so the failures a test sees are
    /// the honest parties'.
    @_spi(Testing) public struct Misbehaviour: Sendable {
        /// Wait for the other input parties' ciphertexts before sending one's own.
        public var waitForOthers: Bool
        /// The ciphertexts to send to `peer`, from one's own honest ones and those received
        /// so far (empty unless `waitForOthers`).
        public var ciphertexts: @Sendable (_ mine: [Paillier.Ciphertext], _ peer: PartyID, _ received: [PartyID: [Paillier.Ciphertext]],
                                           _ key: Paillier.PublicKey) throws -> [Paillier.Ciphertext]

        public init(
            waitForOthers: Bool,
            ciphertexts: @escaping @Sendable (_ mine: [Paillier.Ciphertext], _ peer: PartyID, _ received: [PartyID: [Paillier.Ciphertext]],
                                              _ key: Paillier.PublicKey) throws -> [Paillier.Ciphertext]
        ) {
            self.waitForOthers = waitForOthers
            self.ciphertexts = ciphertexts
        }
    }

    let misbehaviour: Misbehaviour?

    /// A cheating variant (tests only): run it for one party with `JobHarness`'s `misbehaving:`.
    @_spi(Testing) public init(misbehaving: Misbehaviour) { misbehaviour = misbehaving }

    public let descriptor = JobDescriptor(
        name: "paillier-aggregation",
        summary: "sum, count or mean of one numeric column across parties under threshold Paillier",
        security: "semi-honest: private against fewer than t colluding parties (t = the key's threshold); the key is the one on the ledger, made by its holders without a dealer (tacit paillier keygen) or, in a local try-out, dealt by tacit init, whose dealer sees it whole. Checked against a cheating party: ciphertexts are committed to before any is sent, every party holds the same ones, decryption shares carry proofs. Not checked: that a ciphertext encrypts the party's approved input",
        learns: "Recipients learn the statistic (for a mean, also the total and the row count); every party learns the number of input parties and the result digest; nobody learns another party's rows or local sum. Still possible for a malicious input party: contributing any value (no proof ties a ciphertext to its approved input), including one made from ciphertexts of an earlier job, so a recipient colluding with it could learn another party's local sum from that earlier job; it cannot use the other parties' ciphertexts of this job.",
        parameters: [
            JobParameter("statistic", "sum, count or mean (default sum)"),
            JobParameter("fractionDigits", "fixed-point digits values are scaled to, 0...18 (default 2)"),
        ],
        // At least two parties: decryption is a threshold of their shares.
        needs: .paillierKeyShare, partyCounts: 2...64)

    enum Statistic: String, CaseIterable { case sum, count, mean }

    static let ciphertextTag: Tag = 1
    static let transcriptTag: Tag = 2
    static let shareTag: Tag = 3
    static let commitmentTag: Tag = 4

    /// `SHA-256(LP("tacit.paillier-aggregation.commitment.v1") ‖ LP(job id) ‖ u64 session ‖
    /// LP(party) ‖ LP(ciphertext-list wire bytes))`: bound to the job's session and to the
    /// party, so no party can present another's commitment (or one from another job) as its
    /// own. The ciphertexts are semantically secure, so the hash hides nothing they don't.
    static func commitment(to wire: [UInt8], from party: PartyID, jobID: String, session: SessionID) -> [UInt8] {
        var w = ByteWriter()
        w.string("tacit.paillier-aggregation.commitment.v1")
        w.string(jobID)
        w.u64(session.rawValue)
        w.string(party.name)
        w.data(wire)
        return SHA256Bytes.hash(w.bytes)
    }

    public func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] {
        var out: [SpecProblem] = []
        if let s = spec.parameters["statistic"], Statistic(rawValue: s) == nil {
            out.append(SpecProblem(path: "parameters.statistic", "unknown statistic '\(s)'; use one of \(Statistic.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if let f = spec.parameters["fractionDigits"], Int(f).map({ (0...18).contains($0) }) != true {
            out.append(SpecProblem(path: "parameters.fractionDigits", "'\(f)' is not a whole number 0...18"))
        }
        out += spec.oneColumnProblems("paillier-aggregation")
        return out
    }

    public func run(_ ctx: JobContext) async throws -> [String: JobValue] {
        let spec = ctx.spec
        let me = ctx.localParty
        let statistic = Statistic(rawValue: spec.parameters["statistic"] ?? "sum") ?? .sum
        let digits = Int(spec.parameters["fractionDigits"] ?? "2") ?? 2
        let keys = try ctx.paillierKeyShare()
        let share = keys.share
        let key = share.thresholdKey
        let pk = key.publicKey
        let others = spec.partyNames.filter { $0 != me }
        let inputs = spec.inputParties
        let output = spec.outputs[0]
        let recipients = output.recipients.sorted()
        for p in spec.partyNames where keys.indexOf[p] == nil {
            throw JobError(.missingResource, "\(p) holds no share of the consortium's Paillier key; paillier-aggregation needs every party of the job to hold one")
        }
        guard spec.parties.count >= key.threshold else {
            throw JobError(.invalidSpec, "the job has \(spec.parties.count) parties but decryption needs \(key.threshold) key shares; add parties with roles: [compute]")
        }

        // 1. Local aggregate, encrypted, and a commitment to the ciphertexts sent before any
        // ciphertext is: nobody can make its ciphertext depend on another's (E(x)·c^(2^k)).
        let sorted = inputs.sorted()
        let commit = { (wire: [UInt8], p: PartyID) in
            Self.commitment(to: wire, from: p, jobID: spec.id, session: ctx.channel.session)
        }
        var mine: [Paillier.Ciphertext]?
        var toSend: [PartyID: [Paillier.Ciphertext]] = [:]
        if inputs.contains(me) {
            guard let input = ctx.input, let column = spec.party(me)?.input?.columns.first else {
                throw JobError(.missingResource, "\(me) is an input party but has no approved input")
            }
            await ctx.progress("encrypting local aggregate", 0.1)
            let values = try input.encoded(column, fractionDigits: digits)
            let sum = values.reduce(BigInt(), +)
            try pk.checkNoOverflow(terms: 1, magnitude: sum.magnitude)
            let honest = [try pk.encrypt(sum), try pk.encrypt(BigInt(values.count))]
            for p in others {
                if let cheat = misbehaviour, !cheat.waitForOthers {
                    toSend[p] = try cheat.ciphertexts(honest, p, [:], pk)
                } else {
                    toSend[p] = honest
                }
            }
            // A cheater's own view is what it sent (to the first peer, when it sent several).
            mine = others.min().flatMap { toSend[$0] } ?? honest
            for p in others {
                let c = commit(Paillier.Wire.encode(toSend[p] ?? honest, publicKey: pk), me)
                try await ctx.channel.send(Payload(c), to: p, tag: Self.commitmentTag)
            }
        }
        await ctx.progress("gathering commitments to encrypted inputs", 0.2)
        var commitments: [PartyID: [UInt8]] = [:]
        if let mine { commitments[me] = commit(Paillier.Wire.encode(mine, publicKey: pk), me) }
        for (p, payload) in try await ctx.gather(from: sorted.filter { $0 != me }, tag: Self.commitmentTag) {
            guard payload.bytes.count == SHA256Bytes.byteCount else {
                throw JobError(.protocolFailure, "\(p) sent a commitment of \(payload.bytes.count) bytes; expected \(SHA256Bytes.byteCount)", peer: p.name)
            }
            commitments[p] = payload.bytes
        }

        // 2. Only now the ciphertexts; every party checks them against their commitments,
        // then that every party holds the same commitments (an input party could show
        // different parties different ciphertexts).
        await ctx.progress("gathering encrypted inputs", 0.3)
        var byParty: [PartyID: [Paillier.Ciphertext]] = [:]
        var early: [PartyID: Payload]?
        if let mine {
            if let cheat = misbehaviour, cheat.waitForOthers {
                let got = try await ctx.gather(from: sorted.filter { $0 != me }, tag: Self.ciphertextTag)
                let received = try got.mapValues { try Paillier.Wire.decodeCiphertexts($0.bytes, publicKey: pk) }
                for p in others { toSend[p] = try cheat.ciphertexts(mine, p, received, pk) }
                early = got
            }
            for p in others {
                try await ctx.channel.send(Payload(Paillier.Wire.encode(toSend[p] ?? mine, publicKey: pk)), to: p, tag: Self.ciphertextTag)
            }
            byParty[me] = mine
        }
        var arrived = early ?? [:]
        if early == nil { arrived = try await ctx.gather(from: sorted.filter { $0 != me }, tag: Self.ciphertextTag) }
        for (p, payload) in arrived.sorted(by: { $0.key < $1.key }) {
            guard misbehaviour != nil || commit(payload.bytes, p) == commitments[p] else {
                throw JobError(.protocolFailure, "\(p) sent ciphertexts that do not match the commitment it sent before seeing anyone's: it changed its input after the others' were sent (or the message was corrupted); nothing was decrypted", peer: p.name)
            }
            let list = try Paillier.Wire.decodeCiphertexts(payload.bytes, publicKey: pk)
            guard list.count == 2 else { throw JobError(.protocolFailure, "\(p) sent \(list.count) ciphertexts; expected 2", peer: p.name) }
            byParty[p] = list
        }
        let seen = sorted.flatMap { commitments[$0] ?? [] }
        for p in others { try await ctx.channel.send(Payload(seen), to: p, tag: Self.transcriptTag) }
        for (x, theirs) in try await ctx.gather(from: others, tag: Self.transcriptTag).sorted(by: { $0.key < $1.key }) where misbehaviour == nil {
            guard theirs.bytes.count == seen.count else {
                throw JobError(.protocolFailure, "\(x) sent a list of \(theirs.bytes.count) commitment bytes; expected \(seen.count) for \(sorted.count) input parties", peer: x.name)
            }
            for (i, s) in sorted.enumerated() {
                let range = i * SHA256Bytes.byteCount..<(i + 1) * SHA256Bytes.byteCount
                guard Array(theirs.bytes[range]) != Array(seen[range]) else { continue }
                // Either s showed x and this party different ciphertexts, or x misreports; x
                // misreporting this party's own commitment can only be x's doing.
                let culprit = s == me ? x : s
                throw JobError(.protocolFailure, "\(s)'s commitment as \(x) received it differs from the one \(me) received: \(culprit == s ? "\(s) sent different encrypted inputs to different parties (or \(x) misreports)" : "\(x) misreports what \(me) sent"); nothing was decrypted", peer: culprit.name)
            }
        }
        let lists = sorted.compactMap { byParty[$0] }
        guard lists.count == sorted.count, let first = lists.first else { throw JobError(.protocolFailure, "not every input party's encrypted input arrived") }
        let totals = [0, 1].map { k in lists.dropFirst().reduce(first[k]) { pk.add($0, $1[k]) } }
        await ctx.progress("encrypted totals agreed", 0.5)

        // 3. Decryption shares go to recipients only.
        let needed = statistic == .sum ? [0] : statistic == .count ? [1] : [0, 1]
        let myShares = needed.map { share.decrypt(totals[$0]) }
        let shareWire = Payload(LengthPrefixedFields.encode(myShares.map { Paillier.Wire.encode($0, publicKey: pk) }))
        for r in recipients where r != me { try await ctx.channel.send(shareWire, to: r, tag: Self.shareTag) }
        guard recipients.contains(me) else { return [:] }

        await ctx.progress("combining decryption shares", 0.7)
        var all: [[Paillier.DecryptionShare]] = needed.map { _ in [] }
        for (k, s) in myShares.enumerated() { all[k].append(s) }
        for (p, payload) in try await ctx.gather(from: others, tag: Self.shareTag) {
            guard let fields = LengthPrefixedFields.decode(payload.bytes, maxFields: needed.count) else {
                throw JobError(.protocolFailure, "\(p) sent a truncated or oversized decryption-share message", peer: p.name)
            }
            let list = try fields.map { try Paillier.Wire.decodeDecryptionShare($0, publicKey: pk) }
            guard list.count == needed.count, list.allSatisfy({ $0.index == keys.indexOf[p] }) else {
                throw JobError(.protocolFailure, "\(p) sent decryption shares for the wrong party index or count", peer: p.name)
            }
            for (k, s) in list.enumerated() { all[k].append(s) }
        }
        var plain: [BigInt] = []
        for (k, which) in needed.enumerated() {
            let (valid, rejected) = key.sortShares(all[k], for: totals[which])
            for r in rejected { ctx.logger.warning("rejected a decryption share: \(r.message)") }
            plain.append(try key.combine(Array(valid.prefix(key.threshold)), for: totals[which]))
        }
        let format = FixedPointFormat(fractionalDigits: digits, bits: 128)
        switch statistic {
        case .sum: return [output.name: .number(try format.decode(plain[0]))]
        case .count: return [output.name: .number(plain[0].description)]
        case .mean:
            guard plain[1] > 0 else { throw JobError(.invalidInput, "no rows were contributed; the mean is undefined") }
            var (q, r) = plain[0].quotientAndRemainder(dividingBy: plain[1])
            if 2 * r.magnitude >= plain[1].magnitude { q += plain[0].isNegative ? -1 : 1 }
            return [output.name: .number(try format.decode(q))]
        }
    }
}
