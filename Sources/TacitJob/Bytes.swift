import Crypto
import Foundation

/// SHA-256 for job-level digests (sessions, result digests, commitments).
public enum SHA256Bytes {
    public static func hash(_ bytes: [UInt8]) -> [UInt8] { Array(Crypto.SHA256.hash(data: bytes)) }
}

public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        let t = Array(text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased().utf8)
        guard t.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        func v(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: return c - 48
            case 97...102: return c - 87
            default: return nil
            }
        }
        while i < t.count {
            guard let hi = v(t[i]), let lo = v(t[i + 1]) else { return nil }
            out.append(hi << 4 | lo)
            i += 2
        }
        return out
    }
}

/// Length-prefixed (4-byte big-endian) concatenation: unambiguous input for a hash.
enum LengthPrefixed {
    static func join(_ parts: [[UInt8]]) -> [UInt8] {
        var t: [UInt8] = []
        for part in parts {
            let k = part.count
            t += [UInt8(k >> 24 & 0xff), UInt8(k >> 16 & 0xff), UInt8(k >> 8 & 0xff), UInt8(k & 0xff)] + part
        }
        return t
    }
}

/// Fields each behind a 4-byte big-endian length, for job protocol messages.
public enum LengthPrefixedFields {
    public static func encode(_ fields: [[UInt8]]) -> [UInt8] { LengthPrefixed.join(fields) }

    /// nil when the bytes are truncated, a length runs past the end, or there are more than
    /// `maxFields` fields: a peer's message never sizes more than it carries.
    public static func decode(_ bytes: [UInt8], maxFields: Int) -> [[UInt8]]? {
        var out: [[UInt8]] = []
        var i = 0
        while i < bytes.count {
            guard out.count < maxFields, bytes.count - i >= 4 else { return nil }
            let n = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            i += 4
            guard n <= bytes.count - i else { return nil }
            out.append(Array(bytes[i..<(i + n)]))
            i += n
        }
        return out
    }
}
