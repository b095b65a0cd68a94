public import Foundation
import TacitBytes
import TacitMath
public import TacitJob
import TacitNet


/// A salted SHA-256 commitment to exactly the input a party contributes to a job. Hiding
/// (the 32-byte random salt) and binding (SHA-256). The salt stays with the party, who can
/// open the commitment to an auditor later.
///
/// Canonical encoding (version 1), written with TacitBytes' `ByteWriter`: each `frame(x)` a
/// 4-byte big-endian length then the bytes of `x` (`data`/`string`), strings in UTF-8,
/// `u32(k)` a 4-byte big-endian integer:
///
/// ```
/// SHA-256( frame("tacit.input-commitment.v1") || frame(salt)
///          || frame(jobID) || frame(party) || frame(dataset) || u32(#columns)
///          || for each column, in the job spec's order:
///               frame(name) || frame(type) || u32(#rows) || frame(value_1) || ... || frame(value_rows) )
/// ```
///
/// where `type` is `decimal:D` (D fraction digits) or `integer`, and each value is its
/// canonical decimal text: optional `-`, no leading zeros, exactly D digits after a `.` when
/// D > 0 (`1200.50`, `-0.07`, `42`). Documented in Docs/TacitNode.md so an auditor can recompute it
/// with their own tools.
public struct InputCommitment: Sendable, Hashable, Codable {
    public static let domain = "tacit.input-commitment.v1"

    /// Hex of the 32-byte digest.
    public var digest: String

    public static func compute(_ input: DatasetInput, salt: [UInt8]) -> InputCommitment {
        InputCommitment(digest: Hex.encode(SHA256Bytes.hash(encoding(input, salt: salt))))
    }

    public static func encoding(_ input: DatasetInput, salt: [UInt8]) -> [UInt8] {
        var w = ByteWriter()
        w.string(domain)
        w.data(salt)
        w.string(input.jobID)
        w.string(input.party.name)
        w.string(input.dataset)
        w.u32(UInt32(input.columns.count))
        for c in input.columns {
            w.string(c.declaration.name)
            w.string(c.declaration.typeText)
            w.u32(UInt32(c.values.count))
            for v in c.values { w.string(v) }
        }
        return w.bytes
    }
}

/// What a party keeps to open its commitment later: the exact input and the salt. Written to
/// `openings/JOB.json` in its data directory, mode 0600; handed to an auditor on request.
public struct CommitmentOpening: Sendable, Hashable, Codable {
    public var format = "tacit.input-opening.v1"
    public var input: DatasetInput
    public var salt: String
    public var commitment: String

    public init(input: DatasetInput, salt: [UInt8]) {
        self.input = input
        self.salt = Hex.encode(salt)
        self.commitment = InputCommitment.compute(input, salt: salt).digest
    }

    /// Recomputes the commitment; true when `input` and `salt` match `commitment`.
    public func verify(against digest: String) -> Bool {
        guard let s = Hex.decode(salt) else { return false }
        return InputCommitment.compute(input, salt: s).digest == digest.lowercased()
    }

    /// A fresh 32-byte salt from `SecureRandom`.
    public static func freshSalt() -> [UInt8] { SecureRandom.bytes(32) }
}

extension CommitmentOpening {
    /// Writes this opening, as JSON, to a new file for an auditor. It holds the party's input
    /// and salt, so the file is created with mode 0600 by the call that creates it (never
    /// written first and restricted after) and an existing file is never replaced.
    public func writeForAuditor(toNewFile path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try SecretFile.create(atPath: path, contents: Array(try encoder.encode(self)))
        } catch let e as SecretFile.Failure {
            throw NodeError(.audit, e.message)
        }
    }
}

extension CommitmentOpening {
    /// The opening as JSON that `JSONDecoder` reads back to this value, written directly:
    /// `JSONEncoder` takes seconds on a million-row input, and the node writes this file on the
    /// way to committing, so a big job waited for it.
    public func encodedJSON() -> Data {
        var out: [UInt8] = []
        out.reserveCapacity(64 + input.columns.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.utf8.count + 3 } })
        func string(_ s: String) { JSONText.string(s, into: &out) }
        func raw(_ s: String) { out += Array(s.utf8) }
        raw("{\"commitment\":"); string(commitment)
        raw(",\"format\":"); string(format)
        raw(",\"input\":{\"columns\":[")
        for (i, c) in input.columns.enumerated() {
            if i > 0 { raw(",") }
            raw("{\"declaration\":{\"fractionDigits\":\(c.declaration.fractionDigits),\"name\":")
            string(c.declaration.name)
            raw(",\"type\":"); string(c.declaration.type.rawValue)
            raw("},\"values\":[")
            for (k, v) in c.values.enumerated() {
                if k > 0 { out.append(UInt8(ascii: ",")) }
                string(v)
            }
            raw("]}")
        }
        raw("],\"dataset\":"); string(input.dataset)
        raw(",\"jobID\":"); string(input.jobID)
        raw(",\"party\":"); string(input.party.name)
        raw("},\"salt\":"); string(salt)
        raw("}")
        return Data(out)
    }
}

/// JSON written directly for the node's big files (an opening, a stored result), which
/// `JSONDecoder` reads back.
enum JSONText {
    /// `s` as a JSON string: quote, backslash and control characters escaped, the rest as is.
    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): out += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
            case UInt8(ascii: "\\"): out += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out += Array("\\u00".utf8) + [hex[Int(b >> 4)], hex[Int(b & 15)]]
            default: out.append(b)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}

extension StoredResult {
    /// The stored result as JSON that `JSONDecoder` reads back to this value, written directly
    /// (a table's value is its canonical text, which is its JSON encoding).
    func encodedJSON() -> Data {
        var out: [UInt8] = []
        func raw(_ s: String) { out += Array(s.utf8) }
        raw("{\"jobID\":")
        JSONText.string(jobID, into: &out)
        raw(",\"outputs\":[")
        for (i, o) in outputs.enumerated() {
            if i > 0 { raw(",") }
            raw("{\"digest\":")
            JSONText.string(o.digest, into: &out)
            raw(",\"name\":")
            JSONText.string(o.name, into: &out)
            if let p = o.publicValue { raw(",\"publicValue\":"); JSONText.string(p, into: &out) }
            if let salt = o.salt { raw(",\"salt\":"); JSONText.string(salt, into: &out) }
            switch o.value {
            case nil: break
            case .number(let n)?:
                raw(",\"value\":{\"kind\":\"number\",\"value\":")
                JSONText.string(n, into: &out)
                raw("}")
            case let v?:
                raw(",\"value\":")
                raw(v.canonicalText)
            }
            raw("}")
        }
        raw("]}")
        return Data(out)
    }
}
