import Testing
@testable import TacitMPC
import TacitMath
import TacitCrypto
import TacitBytes

/// The runtime's word kernels against naive references.
struct KernelTests {
    @Test func transposeRowsMatchesBitByBit() {
        let words = 37  // not a multiple of the chunk size
        let prg = AESPRG(seed: [UInt8](repeating: 7, count: 16))
        let cols = prg.words(128 * words)
        var out = [UInt64](repeating: 0, count: 128 * words)
        cols.withUnsafeBufferPointer { c in
            out.withUnsafeMutableBufferPointer { o in
                // In two pieces, as the OT source does chunk by chunk.
                OTTripleSource.transposeRows(c, words: words, from: 0, count: 16, into: o)
                OTTripleSource.transposeRows(
                    c, words: words, from: 16, count: words - 16,
                    into: UnsafeMutableBufferPointer(rebasing: o[(128 * 16)...]))
            }
        }
        for row in 0..<(64 * words) {
            for j in 0..<128 {
                let colBit = (cols[j * words + row / 64] >> UInt64(row % 64)) & 1
                let rowBit = (out[2 * row + j / 64] >> UInt64(j % 64)) & 1
                #expect(colBit == rowBit, "row \(row) bit \(j)")
                if colBit != rowBit { return }
            }
        }
    }

    @Test func chunkMajorLayoutTransposesLikeColumnMajor() {
        let words = 45
        let prg = AESPRG(seed: [UInt8](repeating: 8, count: 16))
        let cols = prg.words(128 * words)
        var chunked = [UInt64](repeating: 0, count: 128 * words)
        chunked.withUnsafeMutableBufferPointer { ch in
            cols.withUnsafeBufferPointer { c in
                for j in 0..<128 {
                    OTTripleSource.scatterColumn(UnsafeBufferPointer(rebasing: c[(j * words)..<((j + 1) * words)]), j, into: ch)
                }
            }
        }
        var viaColumns = [UInt64](repeating: 0, count: 128 * words)
        var viaChunks = viaColumns
        cols.withUnsafeBufferPointer { c in
            viaColumns.withUnsafeMutableBufferPointer {
                OTTripleSource.transposeRows(c, words: words, from: 0, count: words, into: $0)
            }
        }
        chunked.withUnsafeBufferPointer { ch in
            viaChunks.withUnsafeMutableBufferPointer { out in
                var w0 = 0
                while w0 < words {
                    let cw = min(OTTripleSource.chunkWords, words - w0)
                    OTTripleSource.transposeBlock(
                        UnsafeBufferPointer(rebasing: ch[(128 * w0)..<(128 * (w0 + cw))]), count: cw,
                        into: UnsafeMutableBufferPointer(rebasing: out[(128 * w0)...]))
                    w0 += cw
                }
            }
        }
        #expect(viaColumns == viaChunks)
    }

    /// Gilboa corrections at their widths round-trip through the fixed-position packing, in
    /// 2080 bits per element (the tail word shared by two elements included), for random
    /// values and for all-ones values (any overlap of two fields would corrupt those).
    @Test func gilboaPackingRoundTripsAtTheirWidths() {
        for count in [1, 5, 64] {
            let prg = AESPRG(seed: [UInt8](repeating: UInt8(count), count: 16))
            #expect(GilboaPacking.words(count) == (count * 2080 + 63) / 64)
            for allOnes in [false, true] {
                let values = (0..<(64 * count)).map { i in
                    (allOnes ? UInt64.max : prg.next()) & (UInt64.max >> UInt64(i % 64))
                }
                var packed = [UInt64](repeating: 0, count: GilboaPacking.words(count))
                var x = [UInt64](repeating: 0, count: 64)
                packed.withUnsafeMutableBufferPointer { p in
                    x.withUnsafeMutableBufferPointer { xb in
                        for e in 0..<count {
                            for k in 0..<64 { xb[k] = values[64 * e + k] }
                            GilboaPacking.pack(xb.baseAddress!, element: e, count: count, into: p)
                        }
                    }
                }
                let bits = packed.reduce(0) { $0 + $1.nonzeroBitCount }
                if allOnes { #expect(bits == 2080 * count, "every bit of every field set once") }
                packed.withUnsafeBufferPointer { p in
                    x.withUnsafeMutableBufferPointer { xb in
                        for e in 0..<count {
                            GilboaPacking.unpack(p, element: e, count: count, into: xb.baseAddress!)
                            for k in 0..<64 { #expect(xb[k] == values[64 * e + k], "element \(e) value \(k)") }
                        }
                    }
                }
            }
        }
    }

    /// IKNP's hash against its definition, H(i, x) = π(π(x) ⊕ i) ⊕ π(x) (Guo et al. 2020,
    /// §7.4), across the chunk boundary, with the tweak following the block's position.
    @Test func tweakableHashMatchesItsDefinition() {
        let h = TweakableHash()
        let prg = AESPRG(seed: [UInt8](repeating: 5, count: 16))
        let input = prg.words(2 * 700)
        var whole = input
        whole.withUnsafeMutableBufferPointer { h.hash(inPlace: $0, tweakBase: 1000) }
        var parts = input
        parts.withUnsafeMutableBufferPointer { p in
            h.hash(inPlace: UnsafeMutableBufferPointer(rebasing: p[0..<600]), tweakBase: 1000)
            h.hash(inPlace: UnsafeMutableBufferPointer(rebasing: p[600...]), tweakBase: 1300)
        }
        #expect(whole == parts)
        for k in [0, 5, 255, 256, 699] {
            var y = [input[2 * k], input[2 * k + 1]]
            y.withUnsafeMutableBytes { h.permute(inPlace: $0) }
            var z = [y[0] ^ (1000 + UInt64(k)), y[1]]
            z.withUnsafeMutableBytes { h.permute(inPlace: $0) }
            #expect(whole[2 * k] == z[0] ^ y[0] && whole[2 * k + 1] == z[1] ^ y[1], "block \(k)")
        }
    }

    /// The property the old one-call hash π(x ⊕ i) ⊕ x ⊕ i lacked: related queries
    /// (i, x) and (i′, x ⊕ i ⊕ i′) gave equal outputs for every x, which a tweakable
    /// correlation-robust hash must not. Failed with the old hash (all 64 pairs equal).
    @Test func tweakableHashHasNoRelatedTweakCollisions() {
        let h = TweakableHash()
        let prg = AESPRG(seed: [UInt8](repeating: 9, count: 16))
        var equal = 0
        for _ in 0..<64 {
            let x0 = prg.next(), x1 = prg.next()
            let i = prg.next() >> 1, j = prg.next() >> 1
            var a = [x0, x1], b = [x0 ^ i ^ j, x1]
            a.withUnsafeMutableBufferPointer { h.hash(inPlace: $0, tweakBase: i) }
            b.withUnsafeMutableBufferPointer { h.hash(inPlace: $0, tweakBase: j) }
            if a == b { equal += 1 }
        }
        #expect(equal == 0, "\(equal) of 64 related pairs collided")
    }

    @Test func prgIsAESCounterModeAcrossChunks() {
        let key = (0..<16).map { UInt8($0) }
        // Block i of the stream is AES_k(i) (big-endian counter from a zero IV).
        var counters = [UInt8](repeating: 0, count: 48)
        counters[31] = 1
        counters[47] = 2
        counters.withUnsafeMutableBytes { FixedKeyAES(key: key).encrypt(inPlace: $0) }
        #expect(AESPRG(seed: key).bytes(48) == counters)
        // Over the 64 KiB zero-block boundary, and in pieces.
        let whole = AESPRG(seed: key).bytes(150_000)
        let g = AESPRG(seed: key)
        #expect(g.bytes(70_001) + g.bytes(79_999) == whole)
    }

    @Test func scratchGrowsAndKeepsItsSize() {
        let s = WordScratch()
        let a = s.words(10)
        #expect(a.count == 10)
        let b = s.words(1000)
        #expect(b.count == 1000)
        #expect(s.words(5).count == 5 && s.buffer.count >= 1000)
    }
}

/// The Chou–Orlandi key derivation binds the whole base-OT transcript.
struct BaseOTKeyTests {
    static let a = [UInt8]([2] + [UInt8](repeating: 0x11, count: 32))
    static let b = [UInt8]([3] + [UInt8](repeating: 0x22, count: 32))
    static let point = [UInt8]([2] + [UInt8](repeating: 0x33, count: 32))

    static func key(session: UInt64 = 42, sender: String = "alice", receiver: String = "bob",
                    a: [UInt8] = a, b: [UInt8] = b, index: Int = 7) -> [UInt8] {
        P256.key(fromPoint: point, index: index, session: session, sender: sender, receiver: receiver, a: a, b: b)
    }

    /// SHA-256 of domain ‖ session ‖ sender ‖ receiver ‖ A ‖ B ‖ index ‖ point (u32 length
    /// prefixes, big-endian u64s), truncated to 16 bytes; the digest was computed
    /// independently with Python's hashlib from that definition.
    @Test func keyIsTheDocumentedHash() {
        #expect(Hex.encode(Self.key()) == "d152169f8cf3f6486ce6ac88dbae9233")
    }

    /// Before, the key was H(index ‖ point) only: the same shared point gave the same key in
    /// another session, between other parties or in the other direction.
    @Test func everyTranscriptFieldChangesTheKey() {
        let base = Self.key()
        let variants = [
            Self.key(session: 43), Self.key(sender: "bob", receiver: "alice"), Self.key(sender: "carol"),
            Self.key(receiver: "carol"), Self.key(a: Self.b, b: Self.a), Self.key(b: Self.point), Self.key(index: 8),
        ]
        for (k, v) in variants.enumerated() { #expect(v != base, "variant \(k)") }
        #expect(Set(variants.map { Hex.encode($0) }).count == variants.count)
    }
}
