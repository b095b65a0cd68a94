import TacitBytes
import Foundation
public import X509

/// One consortium member as the ledger records it.
public struct MemberRecord: Sendable, Equatable {
    public var name: String
    /// DER X.509 certificate issued by the consortium CA; it holds the Ed25519 signing key.
    public var certificateDER: [UInt8]
    /// The member's CURVE transport key (Z85) and endpoint, for the party mesh.
    public var curveKey: String
    public var endpoint: String
    /// Free-form roles, e.g. `data-owner`, `proposer`, `auditor`; policies refer to them.
    public var roles: [String]
    /// X25519 public key for fields encrypted to this member (32 bytes).
    public var encryptionKey: [UInt8]

    public init(
        name: String, certificateDER: [UInt8], curveKey: String, endpoint: String, roles: [String],
        encryptionKey: [UInt8]
    ) {
        self.name = name
        self.certificateDER = certificateDER
        self.curveKey = curveKey
        self.endpoint = endpoint
        self.roles = roles
        self.encryptionKey = encryptionKey
    }

    func encode(_ w: inout ByteWriter) {
        w.string(name)
        w.data(certificateDER)
        w.string(curveKey)
        w.string(endpoint)
        w.strings(roles)
        w.raw(encryptionKey)
    }

    static func decode(_ r: inout LedgerReader) throws -> MemberRecord {
        let name = try r.string("member name", max: 64)
        let cert = try r.data("member certificate", max: 16 << 10)
        let curve = try r.string("member CURVE key", max: 64)
        let endpoint = try r.string("member endpoint", max: 512)
        let roles = try r.strings("member roles", maxCount: 64)
        let enc = try r.raw(32, "member encryption key")
        return MemberRecord(name: name, certificateDER: cert, curveKey: curve, endpoint: endpoint, roles: roles, encryptionKey: enc)
    }
}

/// Rules the ledger enforces; changed only by a `PolicyChanged` transaction endorsed by
/// `changeThreshold` members.
public struct Policies: Sendable, Equatable {
    /// Member signatures (author included) a membership or policy change needs; 0 means all.
    public var changeThreshold: UInt16 = 0
    /// Role a member needs to propose a job; empty means any member may.
    public var jobProposerRole: String = ""
    /// Largest number of transactions in one block.
    public var maxBlockTransactions: UInt32 = 8192

    public init(changeThreshold: UInt16 = 0, jobProposerRole: String = "", maxBlockTransactions: UInt32 = 8192) {
        self.changeThreshold = changeThreshold
        self.jobProposerRole = jobProposerRole
        self.maxBlockTransactions = maxBlockTransactions
    }

    func encode(_ w: inout ByteWriter) {
        w.u16(changeThreshold)
        w.string(jobProposerRole)
        w.u32(maxBlockTransactions)
    }
    static func decode(_ r: inout LedgerReader) throws -> Policies {
        let p = Policies(
            changeThreshold: try r.u16("changeThreshold"),
            jobProposerRole: try r.string("jobProposerRole", max: 64),
            maxBlockTransactions: try r.u32("maxBlockTransactions"))
        guard p.maxBlockTransactions >= 1 else { throw LedgerError(.malformed, "maxBlockTransactions must be at least 1") }
        return p
    }
}

/// The members at one height, with their verified signing keys; the validator set of the
/// consensus is every member.
public struct Membership: Sendable {
    public let ca: Certificate
    public private(set) var records: [String: MemberRecord]
    public private(set) var keys: [String: VerifyingKey]
    public var policies: Policies

    init(ca: Certificate, policies: Policies) {
        self.ca = ca
        self.records = [:]
        self.keys = [:]
        self.policies = policies
    }

    /// Sorted by name: the consensus proposer order.
    public var names: [String] { records.keys.sorted() }
    public var count: Int { records.count }

    /// f = ⌊(n−1)/3⌋ faulty members tolerated.
    public var faultTolerance: Int { Quorum.faults(count) }
    /// ⌈(n+f+1)/2⌉: any two quorums share at least f+1 members, hence an honest one.
    public var quorum: Int { Quorum.size(count) }

    mutating func add(_ record: MemberRecord, at time: Date) throws {
        if let problem = Membership.validateName(record.name) {
            throw LedgerError(.invalidTransaction, "member name '\(record.name)' \(problem)")
        }
        guard records[record.name] == nil else {
            throw LedgerError(.invalidTransaction, "member \(record.name) already exists")
        }
        guard record.encryptionKey.count == 32 else {
            throw LedgerError(.invalidTransaction, "member \(record.name): encryption key must be 32 bytes")
        }
        let key = try ConsortiumCA.verifyMember(certificateDER: record.certificateDER, name: record.name, ca: ca, at: time)
        if let other = keys.first(where: { $0.value == key }) {
            throw LedgerError(.invalidTransaction, "member \(record.name) reuses the signing key of \(other.key)")
        }
        records[record.name] = record
        keys[record.name] = key
    }

    mutating func remove(_ name: String) throws {
        guard records[name] != nil else { throw LedgerError(.unknownMember, "\(name) is not a member; nothing to remove") }
        guard records.count > 1 else { throw LedgerError(.invalidTransaction, "cannot remove the last member") }
        records[name] = nil
        keys[name] = nil
    }

    /// Endorsements a change needs.
    var changeThreshold: Int {
        policies.changeThreshold == 0 ? count : min(Int(policies.changeThreshold), count)
    }

    static func validateName(_ name: String) -> String? {
        if name.isEmpty { return "is empty" }
        if name.utf8.count > 64 { return "is longer than 64 bytes" }
        let ok = name.unicodeScalars.allSatisfy { s in
            (s >= "a" && s <= "z") || (s >= "A" && s <= "Z") || (s >= "0" && s <= "9") || s == "-" || s == "_" || s == "."
        }
        return ok ? nil : "may contain only letters, digits, '-', '_' and '.'"
    }
}

public enum Quorum {
    public static func faults(_ n: Int) -> Int { max(0, (n - 1) / 3) }
    public static func size(_ n: Int) -> Int { (n + faults(n) + 1 + 1) / 2 }
}
