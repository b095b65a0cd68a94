import TacitMath

/// SoftSpokenOT's small-field VOLE (Roy, "SoftSpokenOT: Quieter OT Extension from Small-Field
/// Silent VOLE in the Minicrypt Model", CRYPTO 2022, semi-honest variant), the layer under
/// ``OTTripleSource``'s OT extension. IKNP spends one base OT and one m-bit message per column
/// of the 128-column matrix; SoftSpokenOT groups the columns into blocks of k and spends one
/// m-bit message per block, so the extension receiver sends 128/k bits per OT instead of 128,
/// at the price of 2^k PRG streams per block instead of 2k (k = 1 is IKNP).
///
/// Per block: the extension receiver knows 2^k seeds sᵪ, x ∈ {0,1}^k; the extension sender
/// knows every seed but s_D, where D is its k bits of Δ. With Gᵪ the m-bit PRG stream of sᵪ:
///
///     receiver: u = ⊕ₓ Gᵪ,  vᵢ = ⊕_{x: xᵢ = 1} Gᵪ          (i < k)
///     sender:   wᵢ = ⊕_{x ≠ D: (x ⊕ D)ᵢ = 1} Gᵪ  =  Dᵢ·u ⊕ vᵢ
///
/// The receiver sends c = u ⊕ r (r its choice bits); the sender's column qᵢ = wᵢ ⊕ Dᵢ·c =
/// vᵢ ⊕ Dᵢ·r, which is IKNP's relation q_j = t_j ⊕ Δ_j·r with t_j = vᵢ, so transposes, hashes
/// and Gilboa products are unchanged. c hides r because u includes G_D, which the sender
/// cannot compute.
///
/// The seeds come from k base OTs per block through a GGM tree (the all-but-one OT of the
/// paper's §4): the receiver expands a random root, level ℓ deciding leaf bit k − 1 − ℓ, and
/// sends for each level the XOR of its left children masked with the base OT's key for
/// choice 1 and the XOR of its right children masked with the key for choice 0. The sender,
/// whose base-OT choice bit at that level is Dᵢ, unmasks the sum of the side off its path
/// and so rebuilds every leaf but D. Each base-OT key masks one 16-byte value once.
enum SubspaceVOLE {
    /// Bytes of a seed (an AES-128 key).
    static let seedBytes = 16

    /// The GGM expansion: a node's two children, AES-CTR under the node as key.
    static func children(_ node: [UInt8]) -> ([UInt8], [UInt8]) {
        let g = AESPRG(seed: node).bytes(2 * seedBytes)
        return (Array(g[0..<seedBytes]), Array(g[seedBytes...]))
    }

    static func xor(_ a: inout [UInt8], _ b: [UInt8]) {
        for i in 0..<a.count { a[i] ^= b[i] }
    }

    /// The receiver's side of one block: its 2^k leaves and, per level, the sums to send
    /// (left children ⊕ key1, right children ⊕ key0), `keys[i]` being the base-OT key pair of
    /// leaf bit i.
    static func expand(root: [UInt8], keys: [(zero: [UInt8], one: [UInt8])]) -> (leaves: [[UInt8]], message: [UInt8]) {
        let k = keys.count
        var nodes = [root]
        var message: [UInt8] = []
        message.reserveCapacity(k * 2 * seedBytes)
        for level in 0..<k {
            var next: [[UInt8]] = []
            next.reserveCapacity(2 * nodes.count)
            var left = [UInt8](repeating: 0, count: seedBytes), right = left
            for n in nodes {
                let (l, r) = children(n)
                xor(&left, l)
                xor(&right, r)
                next.append(l)
                next.append(r)
            }
            let key = keys[k - 1 - level]
            xor(&left, key.one)
            xor(&right, key.zero)
            message += left
            message += right
            nodes = next
        }
        return (nodes, message)
    }

    /// The sender's side of one block: every leaf but `punctured` (nil there), from the
    /// receiver's `message` (k levels of two masked sums) and, per leaf bit i, the base-OT key
    /// of its choice bit `punctured`'s bit i.
    static func puncturedLeaves(punctured: Int, keys: [[UInt8]], message: [UInt8]) -> [[UInt8]?] {
        let k = keys.count
        precondition(message.count == k * 2 * seedBytes && (0..<(1 << k)).contains(punctured))
        var nodes: [[UInt8]?] = [nil]
        for level in 0..<k {
            let bit = k - 1 - level
            let d = (punctured >> bit) & 1
            let path = punctured >> (bit + 1)  // the unknown node at this level
            var next = [[UInt8]?](repeating: nil, count: 2 * nodes.count)
            let off = level * 2 * seedBytes + (1 - d) * seedBytes
            var missing = Array(message[off..<(off + seedBytes)])
            xor(&missing, keys[bit])  // the sum of this level's children on side 1 − d
            for (i, node) in nodes.enumerated() {
                guard let node else { continue }
                let (l, r) = children(node)
                next[2 * i] = l
                next[2 * i + 1] = r
                xor(&missing, d == 0 ? r : l)
            }
            next[2 * path + (1 - d)] = missing
            nodes = next
        }
        return nodes
    }

    /// Receiver, one block of one batch: fills `leaves`' streams for `words` words and leaves
    /// u ⊕ r in `correction` and vᵢ in `columns[i]`; `scratch` holds one stream.
    static func receiverBlock(
        _ leaves: [AESPRG], choices r: UnsafeBufferPointer<UInt64>, words w: Int,
        correction u: UnsafeMutableBufferPointer<UInt64>, columns v: [UnsafeMutableBufferPointer<UInt64>],
        scratch: UnsafeMutableBufferPointer<UInt64>
    ) {
        let k = v.count
        leaves[0].fill(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(u)[0..<(8 * w)]))
        for x in 1..<(1 << k) {
            if x & (x - 1) == 0 {
                // x = 2^i: the first leaf in vᵢ, written there directly.
                let vi = v[x.trailingZeroBitCount]
                leaves[x].fill(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(vi)[0..<(8 * w)]))
                for j in 0..<w { u[j] ^= vi[j] }
            } else {
                leaves[x].fill(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[0..<(8 * w)]))
                for j in 0..<w { u[j] ^= scratch[j] }
                var bits = x
                while bits != 0 {
                    let vi = v[bits.trailingZeroBitCount]
                    for j in 0..<w { vi[j] ^= scratch[j] }
                    bits &= bits - 1
                }
            }
        }
        for j in 0..<w { u[j] ^= r[j] }
    }

    /// Sender, one block of one batch: qᵢ = wᵢ ⊕ Dᵢ·c into `columns[i]`, from the receiver's
    /// correction c, the leaves' streams (all but D's, which is nil) and D.
    static func senderBlock(
        _ leaves: [AESPRG?], punctured d: Int, correction c: UnsafeBufferPointer<UInt64>, words w: Int,
        columns q: [UnsafeMutableBufferPointer<UInt64>], scratch: UnsafeMutableBufferPointer<UInt64>
    ) {
        let k = q.count
        // Offsets from D ascending: 2^i comes before every other offset with bit i set, so
        // its leaf starts column i.
        for off in 1..<(1 << k) {
            guard let leaf = leaves[d ^ off] else { continue }  // only leaf D is nil, and off ≠ 0
            if off & (off - 1) == 0 {
                let qi = q[off.trailingZeroBitCount]
                leaf.fill(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(qi)[0..<(8 * w)]))
            } else {
                leaf.fill(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(scratch)[0..<(8 * w)]))
                var bits = off
                while bits != 0 {
                    let qi = q[bits.trailingZeroBitCount]
                    for j in 0..<w { qi[j] ^= scratch[j] }
                    bits &= bits - 1
                }
            }
        }
        for i in 0..<k where (d >> i) & 1 == 1 {
            let qi = q[i]
            for j in 0..<w { qi[j] ^= c[j] }
        }
    }
}
