public import TacitJob
import TacitBytes
public import TacitMPC
public import TacitNet

/// Yao's millionaires' problem as a job: two input parties each hold a column of numbers and
/// learn, row by row, how `x` (the `left` party's value) compares with `y` (the other's), and
/// nothing else. See README.md beside this file.
///
/// 1. The parties exchange their row counts (they must be equal).
/// 2. The chosen path (`he`: DGK with Veugen's improvements; `ot`: CrypTFlow2's tree of
///    1-out-of-16 OTs) leaves each party with XOR shares of `[x < y]` and `[x = y]` per row.
/// 3. Each party turns those into a share of the predicate locally (no message), then sends
///    its share to the output's recipients only; a non-recipient's shares are uniformly random
///    to it, so it learns nothing.
public struct Millionaires: JobProtocol {
    public init() {}

    public let descriptor = JobDescriptor(
        name: "millionaires",
        summary: "compares two parties' numbers row by row (x < y, ≤, =, ≠, ≥, >) and reveals only the answer",
        security: "semi-honest, two parties, no dealer and no third party: the OT path (default) rests on oblivious-transfer extension (IKNP, base OTs over P-256), the HE path on the DGK cryptosystem (2048-bit modulus); a party that deviates from the protocol can make the answer wrong or learn more, so it is for parties trusted to run it as written",
        learns: "Recipients of the output learn, for each row, whether the predicate holds, and nothing else about the other party's numbers; both parties learn the number of rows; a party that is not a recipient learns nothing.",
        parameters: [
            JobParameter("predicate", "lt, le, eq, ne, ge or gt: the answer is `x <predicate> y` (default lt)"),
            JobParameter("left", "the input party whose value is x (default: the first input party listed)"),
            JobParameter("path", "ot (oblivious transfer, default) or he (DGK homomorphic encryption)"),
            JobParameter("signed", "true (default: values within ±2^(bits−1)) or false (0 to 2^bits − 1)"),
            JobParameter("bits", "the width of the values compared, 1...64 (default 64); fewer is faster"),
            JobParameter("fractionDigits", "fixed-point digits values are scaled to, 0...18 (default 0)"),
        ],
        partyCounts: 2...2)

    /// What `x <predicate> y` asks.
    public enum Predicate: String, CaseIterable, Sendable {
        case lt, le, eq, ne, ge, gt

        /// This party's XOR share of the predicate from its shares of `[x < y]` and `[x = y]`:
        /// local, because `<` and `=` are disjoint (so `≤ = < ⊕ =`) and negation is one
        /// party (the x-holder) flipping its share.
        public func share(_ s: ComparisonShares, role: ComparisonRole) -> [Bool] {
            let flip = role == .holdsX
            switch self {
            case .lt: return s.lessThan
            case .eq: return s.equal
            case .le: return zip(s.lessThan, s.equal).map { $0 != $1 }
            case .ne: return s.equal.map { $0 != flip }
            case .ge: return s.lessThan.map { $0 != flip }
            case .gt: return zip(s.lessThan, s.equal).map { ($0 != $1) != flip }
            }
        }

        /// The plaintext answer: what the tests compare against.
        public func holds(_ x: UInt64, _ y: UInt64) -> Bool {
            switch self {
            case .lt: return x < y
            case .le: return x <= y
            case .eq: return x == y
            case .ne: return x != y
            case .ge: return x >= y
            case .gt: return x > y
            }
        }
    }

    /// Which comparison protocol runs under the job.
    public enum PathKind: String, CaseIterable, Sendable { case ot, he }

    struct Settings {
        var predicate: Predicate
        var left: PartyID
        var path: PathKind
        var signed: Bool
        var bits: Int
        var fractionDigits: Int
    }

    static func settings(_ spec: JobSpec) -> (Settings?, [SpecProblem]) {
        var problems: [SpecProblem] = []
        let p = spec.parameters
        let predicate = Predicate(rawValue: p["predicate"] ?? "lt")
        if predicate == nil { problems.append(SpecProblem(path: "parameters.predicate", "'\(p["predicate"] ?? "")' is not one of lt, le, eq, ne, ge, gt")) }
        let path = PathKind(rawValue: p["path"] ?? "ot")
        if path == nil { problems.append(SpecProblem(path: "parameters.path", "'\(p["path"] ?? "")' is not ot or he")) }
        let signedText = p["signed"] ?? "true"
        let signed = signedText == "true" ? true : signedText == "false" ? false : nil
        if signed == nil { problems.append(SpecProblem(path: "parameters.signed", "'\(signedText)' is not true or false")) }
        let bits = Int(p["bits"] ?? "64")
        if bits.map({ (1...64).contains($0) }) != true { problems.append(SpecProblem(path: "parameters.bits", "'\(p["bits"] ?? "")' is not a whole number 1...64")) }
        let digits = Int(p["fractionDigits"] ?? "0")
        if digits.map({ (0...18).contains($0) }) != true {
            problems.append(SpecProblem(path: "parameters.fractionDigits", "'\(p["fractionDigits"] ?? "")' is not a whole number 0...18"))
        }
        let inputs = spec.inputParties
        if inputs.count != 2 {
            problems.append(SpecProblem(path: "parties", "millionaires compares exactly two input parties' values; this spec has \(inputs.count) with roles: [input]"))
        }
        var left = inputs.first
        if let l = p["left"] {
            if inputs.contains(PartyID(l)) { left = PartyID(l) } else {
                problems.append(SpecProblem(path: "parameters.left", "'\(l)' is not an input party of this job; name one of \(inputs.map(\.name).joined(separator: ", "))"))
            }
        }
        problems += spec.oneColumnProblems("millionaires")
        guard problems.isEmpty, let predicate, let path, let signed, let bits, let digits, let left else { return (nil, problems) }
        return (Settings(predicate: predicate, left: left, path: path, signed: signed, bits: bits, fractionDigits: digits), [])
    }

    public func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] { Self.settings(spec).1 }

    static let countTag: Tag = 1
    static let revealTag: Tag = 2

    public func run(_ ctx: JobContext) async throws -> [String: JobValue] {
        let spec = ctx.spec
        guard let s = Self.settings(spec).0 else {
            throw JobError(.invalidSpec, "the job spec does not fit millionaires; run tacit job check on it")
        }
        let me = ctx.localParty
        guard let peer = spec.inputParties.first(where: { $0 != me }), spec.inputParties.contains(me) else {
            throw JobError(.invalidSpec, "millionaires runs between its two input parties; \(me) is not one of them")
        }
        let role: ComparisonRole = me == s.left ? .holdsX : .holdsY
        guard let input = ctx.input, let column = spec.party(me)?.input?.columns.first else {
            throw JobError(.invalidInput, "this party has no approved input column for millionaires")
        }
        let values = try Self.encode(input, column: column, signed: s.signed, bits: s.bits, fractionDigits: s.fractionDigits)

        let output = spec.outputs[0]
        let answer = try await Self.compare(
            values, predicate: s.predicate, path: s.path, bits: s.bits, role: role, channel: ctx.channel,
            pathChannel: ctx.session("millionaires.\(s.path.rawValue)"), peer: peer, recipients: output.recipients,
            timeout: ctx.stepTimeout) { step, f in await ctx.progress(step, f) }
        guard let answer else { return [:] }
        return [output.name: Self.value(answer)]
    }

    /// `values` (this party's x or y, already in `bits` bits) compared with the peer's under
    /// `predicate` on a fresh path: its offline phase, the comparisons, then the answer to the
    /// `recipients` only. The answer at a recipient, nil elsewhere. Both parties call it with
    /// the same arguments but `values` and `role`. `channel` carries the row count and the
    /// answer; `pathChannel` (another session) the path's own messages.
    public static func compare(
        _ values: [UInt64], predicate: Predicate, path kind: PathKind, bits: Int, role: ComparisonRole, channel: SessionChannel,
        pathChannel: SessionChannel, peer: PartyID, recipients: [PartyID], timeout: Duration,
        progress: (String, Double) async -> Void = { _, _ in }
    ) async throws -> [Bool]? {
        // Row counts first: both sides size every later message from the same agreed count.
        var w = ByteWriter()
        w.u64(UInt64(values.count))
        try await channel.send(Payload(w.bytes), to: peer, tag: countTag)
        let theirs = try await channel.receive(from: peer, tag: countTag, timeout: timeout)
        guard theirs.bytes.count == 8 else {
            throw JobError(.protocolFailure, "\(peer) sent a row count of \(theirs.bytes.count) bytes; expected 8", peer: peer.name)
        }
        let count = theirs.bytes.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard count == UInt64(values.count) else {
            throw JobError(.invalidInput, "the two parties have different row counts (\(values.count) here, \(count) at \(peer)); compare columns of equal length", peer: peer.name)
        }
        await progress("comparing \(values.count) rows (\(kind.rawValue) path)", 0.1)
        let path = try makePath(kind, channel: pathChannel, peer: peer, role: role, bits: bits)
        try await path.prepare(count: values.count)
        await progress("preprocessing done", 0.5)
        let shares = try await path.compare(values)
        await progress("revealing to the recipients", 0.9)
        return try await reveal(predicate.share(shares, role: role), to: recipients, me: channel.localParty, peer: peer, channel: channel, stepTimeout: timeout)
    }

    /// One row: `1` or `0`; several: a table with one `result` column of `1`/`0` per row.
    static func value(_ bits: [Bool]) -> JobValue {
        if bits.count == 1 { return .number(bits[0] ? "1" : "0") }
        // One column and rows of one cell each always make a valid table.
        let table = try? JobTable(columns: ["result"], rows: bits.map { [$0 ? "1" : "0"] })
        return table.map { .table($0) } ?? .set([])
    }

    /// The other party's share goes to a recipient only; the answer is mine ⊕ theirs. Nil at a
    /// party that is not a recipient (which has sent its share and learns nothing).
    static func reveal(_ mine: [Bool], to recipients: [PartyID], me: PartyID, peer: PartyID, channel: SessionChannel, stepTimeout: Duration) async throws -> [Bool]? {
        if recipients.contains(peer) { try await channel.send(Payload(pack(mine)), to: peer, tag: revealTag) }
        guard recipients.contains(me) else { return nil }
        let p = try await channel.receive(from: peer, tag: revealTag, timeout: stepTimeout)
        guard let theirs = unpack(p.bytes, count: mine.count) else {
            throw JobError(.protocolFailure, "\(peer) sent \(p.bytes.count) bytes of result shares for \(mine.count) rows; expected \((mine.count + 7) / 8)", peer: peer.name)
        }
        return zip(mine, theirs).map { $0 != $1 }
    }

    static func pack(_ bits: [Bool]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, b) in bits.enumerated() where b { out[i >> 3] |= 1 << UInt8(i & 7) }
        return out
    }

    /// Nil unless `bytes` is exactly `count` bits, the unused high bits zero.
    static func unpack(_ bytes: [UInt8], count: Int) -> [Bool]? {
        guard bytes.count == (count + 7) / 8 else { return nil }
        if count % 8 != 0, let last = bytes.last, last >> UInt8(count % 8) != 0 { return nil }
        return (0..<count).map { bytes[$0 >> 3] & (1 << UInt8($0 & 7)) != 0 }
    }

    /// The column as unsigned values in `bits` bits whose order is the numbers' order.
    static func encode(_ input: DatasetInput, column: String, signed: Bool, bits: Int, fractionDigits: Int) throws -> [UInt64] {
        guard let c = input.column(column) else { throw JobError(.invalidInput, "column '\(column)' is not part of this input") }
        return try c.values.enumerated().map { i, text in
            do { return try encodeValue(text, signed: signed, bits: bits, fractionDigits: fractionDigits, what: "a value of column '\(column)'") } catch let e as JobError {
                throw JobError(e.code, e.message, localDetail: "row \(i + 1) of the input")
            }
        }
    }

    /// One number as an unsigned value in `bits` bits whose order is the numbers' order: a
    /// signed value is offset by 2^(bits−1), which maps −2^(bits−1)...2^(bits−1)−1 onto
    /// 0...2^bits−1. The error never quotes the number (it may be secret).
    public static func encodeValue(_ text: String, signed: Bool, bits: Int, fractionDigits: Int, what: String = "the value") throws -> UInt64 {
        guard (1...64).contains(bits), (0...18).contains(fractionDigits) else {
            throw JobError(.invalidSpec, "bits must be 1...64 and fraction digits 0...18")
        }
        guard let v = FixedDecimal.parse(text, fractionDigits: fractionDigits) else {
            throw JobError(.invalidInput, "\(what) is not a number with at most \(fractionDigits) fraction digits; fix it or the fraction digits")
        }
        if signed {
            let half = UInt64(1) << UInt64(bits - 1)
            // −half ≤ v < half, as magnitude and sign.
            if v.negative ? v.magnitude > half : v.magnitude >= half {
                throw JobError(.invalidInput, "\(what) is outside ±2^\(bits - 1) at \(fractionDigits) fraction digits; widen bits or fix it")
            }
            return v.negative ? half &- v.magnitude : half &+ v.magnitude
        }
        if v.negative && v.magnitude != 0 {
            throw JobError(.invalidInput, "\(what) is negative; compare with signed values or fix it")
        }
        if bits < 64, v.magnitude >> UInt64(bits) != 0 {
            throw JobError(.invalidInput, "\(what) is not below 2^\(bits) at \(fractionDigits) fraction digits; widen bits or fix it")
        }
        return v.magnitude
    }
}

/// An exact decimal scaled to a whole number of `fractionDigits` places, as sign and a 64-bit
/// magnitude (nil if it has more digits, is not a number, or does not fit).
enum FixedDecimal {
    static func parse(_ text: String, fractionDigits: Int) -> (negative: Bool, magnitude: UInt64)? {
        var s = Substring(text.trimmingCharactersInWhitespace())
        var negative = false
        if s.first == "-" || s.first == "+" {
            negative = s.first == "-"
            s = s.dropFirst()
        }
        let parts = s.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard let whole = parts.first, !whole.isEmpty || parts.count == 2 else { return nil }
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.count == 1 || !fraction.isEmpty, fraction.count <= fractionDigits,
            (whole + fraction).allSatisfy({ $0.isASCII && $0.isNumber })
        else { return nil }
        var m: UInt64 = 0
        for ch in whole + fraction + String(repeating: "0", count: fractionDigits - fraction.count) {
            guard let d = ch.wholeNumberValue else { return nil }
            let (a, o1) = m.multipliedReportingOverflow(by: 10)
            let (b, o2) = a.addingReportingOverflow(UInt64(d))
            if o1 || o2 { return nil }
            m = b
        }
        return (negative, m)
    }
}

extension String {
    fileprivate func trimmingCharactersInWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f == " " || f == "\t" { s = s.dropFirst() }
        while let l = s.last, l == " " || l == "\t" { s = s.dropLast() }
        return String(s)
    }
}

extension Millionaires {
    /// A path between this party and `peer` on `channel`'s session. The session may span more
    /// members than the two (a node's mesh is the whole consortium): the path sees only the two.
    public static func makePath(_ kind: PathKind, channel: SessionChannel, peer: PartyID, role: ComparisonRole, bits: Int) throws -> any ComparisonPath {
        let pair = channel.pair(with: peer)
        switch kind {
        case .ot: return try OTComparison(channel: pair, role: role, bits: bits)
        case .he: return try HEComparison(channel: pair, role: role, bits: bits)
        }
    }
}
