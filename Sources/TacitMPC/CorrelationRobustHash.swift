import TacitMath

/// The hash of IKNP OT extension: the tweakable circular correlation-robust (TCCR) hash of
/// Guo, Katz, Wang and Yu, "Efficient and Secure Multiparty Computation from Fixed-Key Block
/// Ciphers" (IEEE S&P 2020, ePrint 2019/074, §7.4):
///
///     H(i, x) = π(π(x) ⊕ i) ⊕ π(x)
///
/// with π = AES-128 under a fixed public key (``FixedKeyAES``), modelled as a random
/// permutation, and the tweak i a 128-bit block whose low word is the OT's index in its
/// direction and high word zero. TCCR implies the tweakable correlation robustness (TCR)
/// IKNP needs: H(i, q_i ⊕ Δ) looks random to a receiver that knows q_i ⊕ b_i·Δ but not Δ,
/// even across many i with the same Δ. The one-call form used before,
/// π(x ⊕ i) ⊕ x ⊕ i, is not TCR: (i, x) and (i′, x ⊕ i ⊕ i′) give the same output for any
/// x, so oracle answers for related queries are visibly equal. Cost: two AES calls per block
/// instead of one.
///
/// Not thread-safe (the cipher context): one instance per task.
final class TweakableHash {
    // Not Sendable: owned by one OTTripleSource.
    private let aes = FixedKeyAES()

    /// Blocks per AES call: 4 KiB, so a chunk and its saved π(x) stay in L1 while AES-NI
    /// pipelines the independent blocks of one call.
    static let chunkBlocks = 256

    /// Overwrites each 128-bit block x (a (low, high) word pair) at position k with
    /// H(tweakBase + k, x).
    func hash(inPlace blocks: UnsafeMutableBufferPointer<UInt64>, tweakBase: UInt64) {
        precondition(blocks.count % 2 == 0, "TweakableHash: whole 128-bit blocks only")
        let n = blocks.count / 2
        guard let base = blocks.baseAddress, n > 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * Self.chunkBlocks) { saved in
            var start = 0
            while start < n {
                let k = min(Self.chunkBlocks, n - start)
                let chunk = UnsafeMutableBufferPointer(start: base + 2 * start, count: 2 * k)
                aes.encrypt(inPlace: UnsafeMutableRawBufferPointer(chunk))  // π(x)
                for i in 0..<k {
                    saved[2 * i] = chunk[2 * i]
                    saved[2 * i + 1] = chunk[2 * i + 1]
                    chunk[2 * i] ^= tweakBase &+ UInt64(start + i)  // π(x) ⊕ i
                }
                aes.encrypt(inPlace: UnsafeMutableRawBufferPointer(chunk))
                for i in 0..<(2 * k) { chunk[i] ^= saved[i] }
                start += k
            }
        }
    }

    /// π on whole blocks, for tests of the definition.
    func permute(inPlace blocks: UnsafeMutableRawBufferPointer) { aes.encrypt(inPlace: blocks) }
}
