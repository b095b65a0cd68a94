/// A consortium member's name, as listed in the consortium file. On the wire it travels as
/// UTF-8 of at most 255 bytes; `ZeroMQMesh` derives it from the peer's CURVE key, never from
/// what the peer claims.
public struct PartyID: Hashable, Sendable, Comparable, Codable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    public let name: String

    public init(_ name: String) { self.name = name }
    public init(stringLiteral value: String) { self.name = value }
    public init(from decoder: any Decoder) throws {
        self.name = try decoder.singleValueContainer().decode(String.self)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(name)
    }

    public var description: String { name }
    public static func < (a: PartyID, b: PartyID) -> Bool { a.name < b.name }

    /// Names are restricted so that they are safe in logs, file names and ZAP user ids.
    static func validate(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 64 { return "is longer than 64 bytes" }
        let ok = name.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9")
                || s == "-" || s == "_" || s == "."
        }
        return ok ? nil : "may contain only letters, digits, '-', '_' and '.'"
    }
}

/// Scopes messages to one job: a message sent under one session is never delivered to a
/// receive for another. The MPC runtime derives it from the job id.
public struct SessionID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public static func random() -> SessionID { SessionID(UInt64.random(in: 1...UInt64.max)) }
    public var description: String { "session-\(rawValue)" }
}

/// Distinguishes the messages of one protocol step from another's inside a session.
public struct Tag: Hashable, Sendable, Codable, CustomStringConvertible,
    ExpressibleByIntegerLiteral
{
    public let rawValue: UInt64
    public init(_ rawValue: UInt64) { self.rawValue = rawValue }
    public init(integerLiteral value: UInt64) { self.rawValue = value }
    public var description: String { "tag-\(rawValue)" }
}

/// Where queued messages wait: one FIFO per (sender, session, tag), which is also the unit
/// of ordering the channel API guarantees.
struct MailboxKey: Hashable, Sendable {
    let peer: PartyID
    let session: SessionID
    let tag: Tag
}
