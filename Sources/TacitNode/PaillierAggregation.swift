// Moves to Protocols/PaillierAggregation/ when the MPC plugin API (issue #5) lands.

import Foundation
import Logging
public import TacitCrypto
import TacitMath
public import TacitNet

/// Sum, count or mean of one column across input parties under the consortium's threshold
/// Paillier key.
///
/// 1. Each input party sums its own column locally and encrypts (sum, count).
/// 2. It sends the two ciphertexts to every other party of the job; every party multiplies
///    all of them into the encrypted totals, and the parties compare a digest of what they
///    received, so an input party cannot show different parties different ciphertexts.
/// 3. Every party of the job computes decryption shares of the totals (with proofs) and
///    sends them to the output's recipients only; a recipient checks every proof and combines
///    a threshold of them. Nobody else receives shares, so nobody else can decrypt.
/// 4. The first recipient picks a salt for the result digest and shares it with the other
///    recipients; every party records the digest.
public struct PaillierAggregation: JobProtocol {
    public init() {}

    public let name = "paillier-aggregation"
    public let summary = "sum, count or mean of one numeric column across parties under threshold Paillier"
    public let securityModel =
        "semi-honest; secure against fewer than t colluding parties (t = the key's threshold); trusted dealer at consortium setup"
    public let learns =
        "recipients learn the statistic (for a mean, also the total and the row count); every party learns the number of input parties and the result digest; nobody learns another party's rows or local sum"
    public let parameterNames = ["statistic", "fractionDigits"]

    enum Statistic: String, CaseIterable { case sum, count, mean }

    static let ciphertextTag: Tag = 10
    static let transcriptTag: Tag = 11
    static let shareTag: Tag = 12
    static let saltTag: Tag = 13
    static let digestTag: Tag = 14

    public func validate(_ spec: JobSpec) -> [SpecProblem] {
        var out: [SpecProblem] = []
        if let s = spec.parameters["statistic"], Statistic(rawValue: s) == nil {
            out.append(SpecProblem(path: "parameters.statistic", "unknown statistic '\(s)'; use one of \(Statistic.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if let f = spec.parameters["fractionDigits"], Int(f).map({ (0...18).contains($0) }) != true {
            out.append(SpecProblem(path: "parameters.fractionDigits", "'\(f)' is not a whole number 0...18"))
        }
        if spec.inputParties.isEmpty {
            out.append(SpecProblem(path: "parties", "\(name) needs at least one party with roles: [input]"))
        }
        if spec.parties.count < 2 {
            out.append(SpecProblem(path: "parties", "\(name) needs at least two parties (threshold decryption)"))
        }
        for (i, p) in spec.parties.enumerated() {
            if let input = p.input, input.columns.count != 1 {
                out.append(SpecProblem(path: "parties[\(i + 1)].input", "\(name) aggregates exactly one column per input party; \(p.name) lists \(input.columns.count)"))
            }
        }
        if spec.outputs.count != 1 {
            out.append(SpecProblem(path: "outputs", "\(name) has exactly one output (the statistic); this spec lists \(spec.outputs.count)"))
        }
        return out
    }

    public func run(_ ctx: JobContext) async throws -> JobRunResult {
        let spec = ctx.spec
        let me = ctx.localParty
        let statistic = Statistic(rawValue: spec.parameters["statistic"] ?? "sum") ?? .sum
        let digits = Int(spec.parameters["fractionDigits"] ?? "2") ?? 2
        guard let share = ctx.secrets.paillierShare else {
            throw NodeError(.keys, "\(me) holds no threshold Paillier key share (keys.paillierShare in its config); it cannot take part in \(name)")
        }
        let key = share.thresholdKey
        let pk = key.publicKey
        let others = spec.partyNames.filter { $0 != me }
        let inputs = spec.inputParties
        let output = spec.outputs[0]
        let recipients = output.recipients.sorted()
        for p in spec.partyNames where ctx.secrets.paillierShareIndex[p] == nil {
            throw NodeError(.protocolFailure, "\(p) holds no share of the consortium's Paillier key; \(name) needs every party of the job to hold one")
        }
        guard spec.parties.count >= key.threshold else {
            throw NodeError(.protocolFailure, "the job has \(spec.parties.count) parties but decryption needs \(key.threshold) key shares; add parties with roles: [compute]")
        }

        // 1. Local aggregate, encrypted.
        var mine: [Paillier.Ciphertext]?
        if inputs.contains(me) {
            guard let input = ctx.input, let column = spec.party(me)?.input?.columns.first else {
                throw NodeError(.protocolFailure, "\(me) is an input party but has no approved input")
            }
            await ctx.progress("encrypting local aggregate", 0.1)
            let values = try input.encoded(column, fractionDigits: digits)
            let sum = values.reduce(BigInt(), +)
            try pk.checkNoOverflow(terms: 1, magnitude: sum.magnitude)
            mine = [try pk.encrypt(sum), try pk.encrypt(BigInt(values.count))]
            let wire = Payload(Paillier.Wire.encode(mine!, publicKey: pk))
            for p in others { try await ctx.channel.send(wire, to: p, tag: Self.ciphertextTag) }
        }

        // 2. Every party gathers the input ciphertexts and checks it saw what the others saw.
        await ctx.progress("gathering encrypted inputs", 0.3)
        var byParty: [PartyID: [Paillier.Ciphertext]] = [:]
        if let mine { byParty[me] = mine }
        for (p, payload) in try await ctx.gather(from: inputs.filter { $0 != me }, tag: Self.ciphertextTag) {
            let list = try Paillier.Wire.decodeCiphertexts(payload.bytes, publicKey: pk)
            guard list.count == 2 else { throw NodeError(.protocolFailure, "\(p) sent \(list.count) ciphertexts; expected 2") }
            byParty[p] = list
        }
        var transcript: [UInt8] = Array("tacit.paillier-aggregation.inputs.v1:\(spec.id)".utf8)
        for p in inputs.sorted() { transcript += Paillier.Wire.encode(byParty[p]!, publicKey: pk) }
        let seen = SHA256Bytes.hash(transcript)
        for p in others { try await ctx.channel.send(Payload(seen), to: p, tag: Self.transcriptTag) }
        for (p, theirs) in try await ctx.gather(from: others, tag: Self.transcriptTag) where theirs.bytes != seen {
            throw NodeError(.protocolFailure, "\(p) received different encrypted inputs than \(me): an input party equivocated or a message was corrupted; nothing was decrypted")
        }
        let totals = [0, 1].map { k in byParty.values.dropFirst().reduce(byParty.values.first![k]) { pk.add($0, $1[k]) } }
        await ctx.progress("encrypted totals agreed", 0.5)

        // 3. Decryption shares go to recipients only.
        let needed = statistic == .sum ? [0] : statistic == .count ? [1] : [0, 1]
        let myShares = needed.map { share.decrypt(totals[$0]) }
        let shareWire = Payload(myShares.flatMap { s -> [UInt8] in
            let b = Paillier.Wire.encode(s, publicKey: pk)
            return [UInt8(b.count >> 24 & 0xff), UInt8(b.count >> 16 & 0xff), UInt8(b.count >> 8 & 0xff), UInt8(b.count & 0xff)] + b
        })
        for r in recipients where r != me { try await ctx.channel.send(shareWire, to: r, tag: Self.shareTag) }

        var value: String?
        if recipients.contains(me) {
            await ctx.progress("combining decryption shares", 0.7)
            var all: [[Paillier.DecryptionShare]] = needed.map { _ in [] }
            for (k, s) in myShares.enumerated() { all[k].append(s) }
            for (p, payload) in try await ctx.gather(from: others, tag: Self.shareTag) {
                let list = try Self.splitShares(payload.bytes, publicKey: pk)
                guard list.count == needed.count, list.allSatisfy({ $0.index == ctx.secrets.paillierShareIndex[p] }) else {
                    throw NodeError(.protocolFailure, "\(p) sent decryption shares for the wrong party index or count")
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
            case .sum: value = try format.decode(plain[0])
            case .count: value = plain[0].description
            case .mean:
                guard plain[1] > 0 else { throw NodeError(.protocolFailure, "no rows were contributed; the mean is undefined") }
                var (q, r) = plain[0].quotientAndRemainder(dividingBy: plain[1])
                if 2 * r.magnitude >= plain[1].magnitude { q += plain[0].isNegative ? -1 : 1 }
                value = try format.decode(q)
            }
        }

        // 4. Result digest: salted by the first recipient, known to all.
        await ctx.progress("recording result digest", 0.9)
        let lead = recipients[0]
        var salt: [UInt8]?
        var digest: String
        var publicValue: String?
        if me == lead {
            salt = SecureRandom.bytes(32)
            for r in recipients where r != me { try await ctx.channel.send(Payload(salt!), to: r, tag: Self.saltTag) }
            digest = ResultDigest.compute(jobID: spec.id, output: output.name, value: value!, salt: salt!)
            publicValue = output.isPublic ? value : nil
            let note = try JSONEncoder.sorted.encode(DigestNote(digest: digest, publicValue: publicValue))
            for p in others where !recipients.contains(p) { try await ctx.channel.send(Payload(note), to: p, tag: Self.digestTag) }
        } else if recipients.contains(me) {
            salt = try await ctx.receive(from: lead, tag: Self.saltTag).bytes
            digest = ResultDigest.compute(jobID: spec.id, output: output.name, value: value!, salt: salt!)
            publicValue = output.isPublic ? value : nil
        } else {
            let note = try JSONDecoder().decode(DigestNote.self, from: Data(try await ctx.receive(from: lead, tag: Self.digestTag).bytes))
            digest = note.digest
            publicValue = note.publicValue
        }
        return JobRunResult(
            outputs: [OutputResult(name: output.name, value: value, digest: digest, publicValue: publicValue)],
            digestSalt: salt.map(Hex.encode))
    }

    struct DigestNote: Codable { var digest: String; var publicValue: String? }

    static func splitShares(_ bytes: [UInt8], publicKey: Paillier.PublicKey) throws -> [Paillier.DecryptionShare] {
        var out: [Paillier.DecryptionShare] = []
        var i = 0
        while i < bytes.count {
            guard i + 4 <= bytes.count else { throw NodeError(.protocolFailure, "truncated decryption-share message") }
            let n = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            i += 4
            guard n <= bytes.count - i else { throw NodeError(.protocolFailure, "truncated decryption-share message") }
            out.append(try Paillier.Wire.decodeDecryptionShare(Array(bytes[i..<(i + n)]), publicKey: publicKey))
            i += n
        }
        return out
    }
}

/// The threshold Paillier key share a node holds, as `tacit init` writes it (JSON, mode 0600).
/// Also records which consortium member holds which share index.
public struct PaillierShareFile: Codable, Sendable {
    public var format = "tacit.paillier-threshold-share.v1"
    public var n: String
    public var hs: String?
    public var threshold: Int
    public var verificationBase: String
    public var verificationKeys: [String]
    /// Consortium members in share-index order (index = position + 1).
    public var holders: [String]
    public var index: Int
    public var secret: String

    public init(share: Paillier.ThresholdKeyShare, holders: [String]) {
        let k = share.thresholdKey
        n = k.publicKey.n.description
        hs = k.publicKey.hs?.description
        threshold = k.threshold
        verificationBase = k.verificationBase.description
        verificationKeys = k.verificationKeys.map(\.description)
        self.holders = holders
        index = share.index
        secret = share.secretShare.description
    }

    public func load(allowInsecureKeySizes: Bool) throws -> (Paillier.ThresholdKeyShare, [PartyID: Int]) {
        func big(_ s: String, _ what: String) throws -> BigInt {
            guard let v = BigInt(s) else { throw NodeError(.keys, "the key share's \(what) is not a decimal integer") }
            return v
        }
        let policy: Paillier.KeySizePolicy = allowInsecureKeySizes ? .insecureAnySizeForTesting : .standard
        do {
            let pk = try Paillier.PublicKey(n: try big(n, "n"), hs: try hs.map { try big($0, "hs") }, policy: policy)
            let tk = try Paillier.ThresholdPublicKey(
                publicKey: pk, threshold: threshold, parties: holders.count, verificationBase: try big(verificationBase, "verification base"),
                verificationKeys: try verificationKeys.map { try big($0, "verification key") })
            let share = try Paillier.ThresholdKeyShare(thresholdKey: tk, index: index, secret: try big(secret, "secret"))
            var map: [PartyID: Int] = [:]
            for (i, h) in holders.enumerated() { map[PartyID(h)] = i + 1 }
            return (share, map)
        } catch let e as PaillierError {
            throw NodeError(.keys, "threshold key share: \(e.message)\(allowInsecureKeySizes ? "" : " (keys below 2048 bits need allowInsecureKeySizes: true)")")
        }
    }
}
