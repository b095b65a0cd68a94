import TacitBytes
import TacitCrypto
import TacitJob

/// A blacklist prepared for unbalanced queries (``ECDHPSI/PreparedSet``) as its node keeps it
/// between jobs: with, for each entry, a local fingerprint and its tag, so that when the list
/// changes only the new entries are hashed and multiplied and the removed ones are dropped by
/// their tags, without redoing the rest. Holds the set's secret key: kept only through the
/// node's protocol state (secret files), never logged.
struct StoredBlacklist {
    private(set) var prepared: ECDHPSI.PreparedSet
    /// Fingerprint of each entry → its tag in `prepared`.
    private(set) var tagOf: [Fingerprint: ECDHPSI.Tag]

    struct Fingerprint: Hashable, Comparable {
        let hi: UInt64, lo: UInt64
        static func < (a: Self, b: Self) -> Bool { (a.hi, a.lo) < (b.hi, b.lo) }
    }

    /// SHA-256 under the set's id, cut to 128 bits: equal entries give equal fingerprints
    /// within one stored set only.
    func fingerprints(_ elements: some ByteStrings) -> [Fingerprint] {
        let hasher = SHA256Bytes.Context()
        let prefix = Self.fingerprintDomain + prepared.id
        var digest = [UInt8](repeating: 0, count: 32)
        return prefix.withUnsafeBytes { pre in
            (0..<elements.count).map { i in
                digest.withUnsafeMutableBytes { out in
                    elements.withMessage(i) { hasher.hash(pre, UnsafeRawBufferPointer($0), into: out) }
                    return Fingerprint(
                        hi: UInt64(bigEndian: out.loadUnaligned(as: UInt64.self)),
                        lo: UInt64(bigEndian: out.loadUnaligned(fromByteOffset: 8, as: UInt64.self)))
                }
            }
        }
    }

    static let fingerprintDomain = Array("TACIT-PSI-V01-stored-entry".utf8)
    static let magic = Array("TACITPSISTORE".utf8)
    static let formatVersion: UInt8 = 1

    /// A new set (fresh key and id) holding `set`.
    init(_ set: PSISet) throws {
        prepared = try ECDHPSI.PreparedSet(PSISet(distinct: []))
        tagOf = [:]
        _ = try sync(set)
    }

    /// Makes the stored set hold exactly `set`: hashes only entries it did not hold, drops the
    /// ones `set` no longer has. Returns how many were added and removed.
    mutating func sync(_ set: PSISet) throws -> (added: Int, removed: Int) {
        guard set.count <= ECDHPSI.maxElements else {
            throw JobError(.invalidInput, "a prepared set holds at most \(ECDHPSI.maxElements) elements, not \(set.count)")
        }
        let prints = fingerprints(set)
        let wanted = Set(prints)
        let gone = tagOf.keys.filter { !wanted.contains($0) }
        var newIndices: [Int] = []
        var seen = Set<Fingerprint>()
        for (i, f) in prints.enumerated() where tagOf[f] == nil && seen.insert(f).inserted { newIndices.append(i) }
        let newTags = try prepared.tagsOf(PSISet.Rows(set: set, order: newIndices, range: 0..<newIndices.count))
        try prepared.apply(adding: newTags, removing: gone.compactMap { tagOf[$0] })
        for f in gone { tagOf[f] = nil }
        for (i, t) in zip(newIndices, newTags) { tagOf[prints[i]] = t }
        return (newIndices.count, gone.count)
    }

    /// magic ‖ format ‖ the prepared set's length (u64) and bytes ‖ entries (u64) ‖
    /// (fingerprint 16, tag 16) in fingerprint order.
    func serialized() -> [UInt8] {
        let p = prepared.serialized()
        var out = Self.magic + [Self.formatVersion] + ECDHPSI.be(UInt64(p.count), 8) + p + ECDHPSI.be(UInt64(tagOf.count), 8)
        out.reserveCapacity(out.count + tagOf.count * 32)
        for (f, t) in tagOf.sorted(by: { $0.key < $1.key }) {
            out += ECDHPSI.be(f.hi, 8) + ECDHPSI.be(f.lo, 8) + ECDHPSI.be(t.hi, 8) + ECDHPSI.be(t.lo, 8)
        }
        return out
    }

    /// Reads what ``serialized()`` wrote, checking lengths before allocating and that the
    /// entries' tags are exactly the prepared set's.
    init(serialized bytes: [UInt8]) throws {
        func bad(_ why: String) -> JobError { JobError(.invalidInput, "not a stored PSI blacklist (\(why))") }
        let head = Self.magic.count + 1 + 8
        guard bytes.count >= head, Array(bytes[0..<Self.magic.count]) == Self.magic else { throw bad("bad header") }
        guard bytes[Self.magic.count] == Self.formatVersion else { throw bad("format \(bytes[Self.magic.count])") }
        let pLength = ECDHPSI.readBE(bytes, Self.magic.count + 1, 8)
        guard pLength <= UInt64(bytes.count - head), bytes.count - head - Int(pLength) >= 8 else { throw bad("truncated") }
        let pEnd = head + Int(pLength)
        prepared = try ECDHPSI.PreparedSet(serialized: Array(bytes[head..<pEnd]))
        let n = ECDHPSI.readBE(bytes, pEnd, 8)
        guard n == UInt64(prepared.count), bytes.count == pEnd + 8 + Int(n) * 32 else { throw bad("\(n) entries for a set of \(prepared.count)") }
        var map: [Fingerprint: ECDHPSI.Tag] = [:]
        map.reserveCapacity(Int(n))
        for i in 0..<Int(n) {
            let at = pEnd + 8 + i * 32
            let f = Fingerprint(hi: ECDHPSI.readBE(bytes, at, 8), lo: ECDHPSI.readBE(bytes, at + 8, 8))
            map[f] = ECDHPSI.Tag(hi: ECDHPSI.readBE(bytes, at + 16, 8), lo: ECDHPSI.readBE(bytes, at + 24, 8))
        }
        guard map.count == Int(n), Set(map.values) == prepared.tags else { throw bad("its entries do not match its tags") }
        tagOf = map
    }
}
