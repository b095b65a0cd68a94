public import TacitJob
public import TacitMPC
import Logging
import TacitBytes
import TacitCrypto
import TacitMath
import TacitNet

/// Sum, count or mean of one column across input parties under the consortium's threshold
/// Paillier key. See README.md beside this file.
///
/// 1. Each input party sums its own column locally and encrypts (sum, count).
/// 2. It sends the two ciphertexts to every other party of the job; every party multiplies
///    all of them into the encrypted totals, and the parties compare a digest of what they
///    received, so an input party cannot show different parties different ciphertexts.
/// 3. Every party of the job computes decryption shares of the totals (with proofs) and
///    sends them to the output's recipients only; a recipient checks every proof and combines
///    a threshold of them. Nobody else receives shares, so nobody else can decrypt.
public struct PaillierAggregation: JobProtocol {
    public init() {}

    public let descriptor = JobDescriptor(
        name: "paillier-aggregation",
        summary: "sum, count or mean of one numeric column across parties under threshold Paillier",
        security: "semi-honest; secure against fewer than t colluding parties (t = the key's threshold); trusted dealer at consortium setup",
        learns: "Recipients learn the statistic (for a mean, also the total and the row count); every party learns the number of input parties and the result digest; nobody learns another party's rows or local sum.",
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

        // 1. Local aggregate, encrypted.
        var mine: [Paillier.Ciphertext]?
        if inputs.contains(me) {
            guard let input = ctx.input, let column = spec.party(me)?.input?.columns.first else {
                throw JobError(.missingResource, "\(me) is an input party but has no approved input")
            }
            await ctx.progress("encrypting local aggregate", 0.1)
            let values = try input.encoded(column, fractionDigits: digits)
            let sum = values.reduce(BigInt(), +)
            try pk.checkNoOverflow(terms: 1, magnitude: sum.magnitude)
            mine = [try pk.encrypt(sum), try pk.encrypt(BigInt(values.count))]
            let wire = Payload(Paillier.Wire.encode(mine ?? [], publicKey: pk))
            for p in others { try await ctx.channel.send(wire, to: p, tag: Self.ciphertextTag) }
        }

        // 2. Every party gathers the input ciphertexts and checks it saw what the others saw.
        await ctx.progress("gathering encrypted inputs", 0.3)
        var byParty: [PartyID: [Paillier.Ciphertext]] = [:]
        if let mine { byParty[me] = mine }
        for (p, payload) in try await ctx.gather(from: inputs.filter { $0 != me }, tag: Self.ciphertextTag) {
            let list = try Paillier.Wire.decodeCiphertexts(payload.bytes, publicKey: pk)
            guard list.count == 2 else { throw JobError(.protocolFailure, "\(p) sent \(list.count) ciphertexts; expected 2", peer: p.name) }
            byParty[p] = list
        }
        var transcript: [UInt8] = Array("tacit.paillier-aggregation.inputs.v1:\(spec.id)".utf8)
        for p in inputs.sorted() { transcript += Paillier.Wire.encode(byParty[p] ?? [], publicKey: pk) }
        let seen = SHA256Bytes.hash(transcript)
        for p in others { try await ctx.channel.send(Payload(seen), to: p, tag: Self.transcriptTag) }
        for (p, theirs) in try await ctx.gather(from: others, tag: Self.transcriptTag) where theirs.bytes != seen {
            throw JobError(.protocolFailure, "\(p) received different encrypted inputs than \(me): an input party equivocated or a message was corrupted; nothing was decrypted", peer: p.name)
        }
        let lists = inputs.sorted().compactMap { byParty[$0] }
        guard let first = lists.first else { throw JobError(.protocolFailure, "no encrypted inputs arrived") }
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
