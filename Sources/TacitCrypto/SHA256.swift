import TacitMath

internal import COpenSSL

/// SHA-256 through OpenSSL's libcrypto (already linked for randomness).
enum SHA256Digest {
    static func hash(_ data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                _ = SHA256(input.baseAddress, input.count, output.baseAddress)
            }
        }
        return out
    }
}

/// Builds an unambiguous byte string for hashing: every item is length-prefixed.
struct TranscriptBuilder {
    private(set) var bytes: [UInt8] = []

    init(domain: String) {
        append(Array(domain.utf8))
    }

    mutating func append(_ data: [UInt8]) {
        let count = UInt32(data.count)
        bytes.append(contentsOf: [UInt8(count >> 24), UInt8((count >> 16) & 0xff), UInt8((count >> 8) & 0xff), UInt8(count & 0xff)])
        bytes.append(contentsOf: data)
    }

    mutating func append(_ value: BigInt) {
        append(value.bigEndianBytes)
    }

    mutating func append(_ value: Int) {
        append(BigInt(value))
    }

    func digest() -> [UInt8] { SHA256Digest.hash(bytes) }
}
