import TacitBytes

/// A SHA-256 digest: block hashes, transaction ids, Merkle nodes, commitments.
public struct Hash256: Hashable, Sendable, Comparable, CustomStringConvertible {
    public let bytes: [UInt8]

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a SHA-256 digest has 32 bytes")
        self.bytes = bytes
    }

    public static let zero = Hash256(bytes: [UInt8](repeating: 0, count: 32))

    public init?(hex: String) {
        guard let b = [UInt8](hex: hex), b.count == 32 else { return nil }
        self.bytes = b
    }

    public static func of(_ data: some Collection<UInt8>) -> Hash256 {
        Hash256(bytes: SHA256Bytes.hash(data))
    }

    /// SHA-256 over a domain tag followed by `data`.
    static func tagged(_ tag: DomainTag, _ data: [UInt8]) -> Hash256 {
        Hash256(bytes: SHA256Bytes.hash(concatenating: [tag.bytes, data]))
    }

    public var hex: String { bytes.hex }
    public var short: String { String(hex.prefix(12)) }
    public var description: String { hex }
    public static func < (a: Hash256, b: Hash256) -> Bool { a.bytes.lexicographicallyPrecedes(b.bytes) }
}

/// The ASCII prefixes that separate what is hashed or signed for different purposes, so that
/// no signature over one kind of object can be replayed as another. Each ends in a NUL byte.
enum DomainTag: String {
    case transaction = "TACIT-LEDGER-TX-V1"
    case block = "TACIT-LEDGER-BLOCK-V1"
    case genesis = "TACIT-LEDGER-GENESIS-V1"
    case vote = "TACIT-LEDGER-VOTE-V1"
    case proposal = "TACIT-LEDGER-PROPOSAL-V1"
    case seal = "TACIT-LEDGER-SEAL-V1"
    case thresholdKey = "TACIT-LEDGER-THRESHOLD-KEY-V1"

    var bytes: [UInt8] { Array(rawValue.utf8) + [0] }
}

/// The Merkle tree of RFC 6962 (Certificate Transparency), section 2.1: leaves hashed as
/// SHA-256(0x00 || leaf), inner nodes as SHA-256(0x01 || left || right), split at the largest
/// power of two below the count, and SHA-256 of nothing for the empty tree.
public enum MerkleTree {
    public static func leafHash(_ leaf: [UInt8]) -> Hash256 {
        Hash256(bytes: SHA256Bytes.hash(concatenating: [[0], leaf]))
    }

    static func nodeHash(_ l: Hash256, _ r: Hash256) -> Hash256 {
        Hash256(bytes: SHA256Bytes.hash(concatenating: [[1], l.bytes, r.bytes]))
    }

    public static func root(leaves: [[UInt8]]) -> Hash256 {
        root(leafHashes: leaves.map(leafHash))
    }

    public static func root(leafHashes: [Hash256]) -> Hash256 {
        if leafHashes.isEmpty { return Hash256.of([UInt8]()) }
        return subtree(leafHashes[...])
    }

    private static func subtree(_ hs: ArraySlice<Hash256>) -> Hash256 {
        if hs.count == 1 { return hs.first! }
        var k = 1
        while k << 1 < hs.count { k <<= 1 }
        let mid = hs.startIndex + k
        return nodeHash(subtree(hs[hs.startIndex..<mid]), subtree(hs[mid...]))
    }
}
