import TacitBytes

/// Fields each behind a 4-byte big-endian length (TacitBytes' codec), for job protocol
/// messages.
public enum LengthPrefixedFields {
    public static func encode(_ fields: [[UInt8]]) -> [UInt8] {
        var w = ByteWriter()
        for f in fields { w.data(f) }
        return w.bytes
    }

    /// nil when the bytes are truncated, a length runs past the end, or there are more than
    /// `maxFields` fields: a peer's message never sizes more than it carries.
    public static func decode(_ bytes: [UInt8], maxFields: Int) -> [[UInt8]]? {
        var r = ByteReader(bytes, what: "a length-prefixed message", errors: ByteReadFailure.self)
        var out: [[UInt8]] = []
        while !r.isAtEnd {
            guard out.count < maxFields, let field = try? r.data("field", max: bytes.count) else { return nil }
            out.append(field)
        }
        return out
    }
}
