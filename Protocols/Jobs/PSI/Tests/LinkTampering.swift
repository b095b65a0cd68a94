import TacitNet

/// Rewrites of PairLink messages for hostile-peer tests (a `TamperingChannel`'s `tamper`).
enum LinkTampering {
    /// Applies `change` to the data messages of one step (header bytes 0 and 1), keeps the rest.
    static func onStep(_ step: UInt8, _ change: @escaping @Sendable ([UInt8]) -> [UInt8]) -> @Sendable (Payload) -> Payload? {
        { p in
            let b = p.bytes
            return b.count >= 2 && b[0] == 0x01 && b[1] == step ? Payload(change(b)) : nil
        }
    }

    /// Replaces the point at `index` of a points message (after the 16-byte header).
    static func point(_ index: Int, _ bytes: [UInt8]) -> @Sendable ([UInt8]) -> [UInt8] {
        { b in
            var b = b
            let at = 16 + 32 * index
            if b.count >= at + 32 { b.replaceSubrange(at..<(at + 32), with: bytes) }
            return b
        }
    }

    static let identity = [UInt8](repeating: 0, count: 32)
    /// RFC 9496 A.2: non-canonical (s ≥ p).
    static let nonCanonical = Array(repeating: UInt8(0xFF), count: 31) + [0x7F]
}
