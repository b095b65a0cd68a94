import TacitBytes
import Foundation

/// What a job spec looks like to the ledger: a structured header the ledger checks
/// invariants against, and the full spec as opaque bytes (the node layer defines its format).
public struct JobHeader: Sendable, Equatable {
    public struct Party: Sendable, Equatable {
        public var name: String
        public var role: String
        /// The fields of its data this party contributes; non-empty makes it an input party,
        /// whose approval and input commitment the job needs.
        public var inputFields: [String]
        public init(name: String, role: String, inputFields: [String]) {
            self.name = name
            self.role = role
            self.inputFields = inputFields
        }
    }
    public enum Approval: UInt8, Sendable {
        /// Every input party approves.
        case inputParties = 0
        /// Every party approves.
        case allParties = 1
    }
    public var jobID: String
    public var protocolName: String
    public var parties: [Party]
    public var approval: Approval
    public init(jobID: String, protocolName: String, parties: [Party], approval: Approval = .inputParties) {
        self.jobID = jobID
        self.protocolName = protocolName
        self.parties = parties
        self.approval = approval
    }
    public var inputParties: [String] { parties.filter { !$0.inputFields.isEmpty }.map(\.name) }
    public var approvers: [String] { approval == .allParties ? parties.map(\.name) : inputParties }
}

/// The body of a transaction, by kind.
public enum TransactionBody: Sendable, Equatable {
    case jobProposed(JobHeader, spec: [UInt8])
    case jobApproved(jobID: String, fields: [String])
    case jobRejected(jobID: String, reason: String)
    case inputCommitted(jobID: String, commitment: Hash256)
    /// `result` is the public result, empty when it is not public (then it may be in a
    /// sealed field, readable only by the members it is sealed to).
    case resultRecorded(jobID: String, resultDigest: Hash256, result: [UInt8])
    case jobFailed(jobID: String, reason: String)
    case memberAdded(MemberRecord)
    case memberRemoved(name: String)
    case policyChanged(Policies)
    /// Signed by every holder (author and endorsers); replaces an earlier key of its scheme.
    case keyRegistered(ThresholdKeyRecord)

    public var kind: UInt8 {
        switch self {
        case .jobProposed: 1
        case .jobApproved: 2
        case .jobRejected: 3
        case .inputCommitted: 4
        case .resultRecorded: 5
        case .jobFailed: 6
        case .memberAdded: 7
        case .memberRemoved: 8
        case .policyChanged: 9
        case .keyRegistered: 10
        }
    }

    public var kindName: String {
        switch self {
        case .jobProposed: "JobProposed"
        case .jobApproved: "JobApproved"
        case .jobRejected: "JobRejected"
        case .inputCommitted: "InputCommitted"
        case .resultRecorded: "ResultRecorded"
        case .jobFailed: "JobFailed"
        case .memberAdded: "MemberAdded"
        case .memberRemoved: "MemberRemoved"
        case .policyChanged: "PolicyChanged"
        case .keyRegistered: "KeyRegistered"
        }
    }

    public var jobID: String? {
        switch self {
        case .jobProposed(let h, _): h.jobID
        case .jobApproved(let j, _), .jobRejected(let j, _), .inputCommitted(let j, _), .resultRecorded(let j, _, _),
            .jobFailed(let j, _):
            j
        default: nil
        }
    }

    /// Membership and policy changes (endorsed under the change policy) and key registrations
    /// (endorsed by every holder) carry endorsements; job transactions do not.
    var isGovernance: Bool { kind >= 7 }

    func encode(_ w: inout ByteWriter) {
        switch self {
        case .jobProposed(let h, let spec):
            w.string(h.jobID)
            w.string(h.protocolName)
            w.u32(UInt32(h.parties.count))
            for p in h.parties {
                w.string(p.name)
                w.string(p.role)
                w.strings(p.inputFields)
            }
            w.u8(h.approval.rawValue)
            w.data(spec)
        case .jobApproved(let j, let fields):
            w.string(j)
            w.strings(fields)
        case .jobRejected(let j, let reason), .jobFailed(let j, let reason):
            w.string(j)
            w.string(reason)
        case .inputCommitted(let j, let c):
            w.string(j)
            w.raw(c.bytes)
        case .resultRecorded(let j, let d, let result):
            w.string(j)
            w.raw(d.bytes)
            w.data(result)
        case .memberAdded(let m):
            m.encode(&w)
        case .memberRemoved(let name):
            w.string(name)
        case .policyChanged(let p):
            p.encode(&w)
        case .keyRegistered(let k):
            k.encode(&w)
        }
    }

    static func decode(kind: UInt8, _ r: inout LedgerReader) throws -> TransactionBody {
        switch kind {
        case 1:
            let id = try r.string("job id", max: 256)
            let proto = try r.string("protocol name", max: 256)
            let n = try r.count("job parties", minSize: 12, max: 1024)
            var parties: [JobHeader.Party] = []
            for _ in 0..<n {
                parties.append(
                    .init(
                        name: try r.string("party name", max: 64), role: try r.string("party role", max: 256),
                        inputFields: try r.strings("party input fields")))
            }
            guard let approval = JobHeader.Approval(rawValue: try r.u8("approval policy")) else {
                throw LedgerError(.malformed, "\(r.what): unknown approval policy")
            }
            let spec = try r.data("job spec", max: 16 << 20)
            return .jobProposed(JobHeader(jobID: id, protocolName: proto, parties: parties, approval: approval), spec: spec)
        case 2: return .jobApproved(jobID: try r.string("job id", max: 256), fields: try r.strings("approved fields"))
        case 3: return .jobRejected(jobID: try r.string("job id", max: 256), reason: try r.string("reason", max: 4096))
        case 4:
            return .inputCommitted(jobID: try r.string("job id", max: 256), commitment: Hash256(bytes: try r.raw(32, "commitment")))
        case 5:
            return .resultRecorded(
                jobID: try r.string("job id", max: 256), resultDigest: Hash256(bytes: try r.raw(32, "result digest")),
                result: try r.data("result", max: 16 << 20))
        case 6: return .jobFailed(jobID: try r.string("job id", max: 256), reason: try r.string("reason", max: 4096))
        case 7: return .memberAdded(try MemberRecord.decode(&r))
        case 8: return .memberRemoved(name: try r.string("member name", max: 64))
        case 9: return .policyChanged(try Policies.decode(&r))
        case 10: return .keyRegistered(try ThresholdKeyRecord.decode(&r))
        default: throw LedgerError(.malformed, "\(r.what): unknown transaction kind \(kind)")
        }
    }
}

/// A transaction: signed by its author, bound to one chain, unique per (author, nonce).
///
/// Its canonical bytes (`encoded`) are the signing payload followed by the author's
/// signature and any endorsements; the Merkle leaf and the transaction id both cover all of
/// them, sealed fields' ciphertexts included.
public struct Transaction: Sendable, Equatable {
    public static let version: UInt8 = 1

    public let chainID: Hash256
    public let author: String
    /// Strictly increasing per author (gaps allowed): a nonce at or below the author's last
    /// one on the chain is a replay.
    public let nonce: UInt64
    /// The author's clock, milliseconds since 1970; informational.
    public let timestamp: UInt64
    public let body: TransactionBody
    public let sealed: [SealedField]
    public let signature: [UInt8]
    /// Other members' signatures over the same payload, for changes that need several.
    public let endorsements: [Endorsement]

    public struct Endorsement: Sendable, Equatable {
        public let member: String
        public let signature: [UInt8]
        public init(member: String, signature: [UInt8]) {
            self.member = member
            self.signature = signature
        }
    }

    /// `identity`'s endorsement of this transaction, to send back to its author (who
    /// collected the transaction from the members that must co-sign it).
    public func endorsement(by identity: SigningIdentity) -> Endorsement {
        Endorsement(member: identity.name, signature: identity.key.sign(DomainTag.transaction.bytes + signingPayload))
    }

    /// This transaction with `more` endorsements appended, after checking each against
    /// `keys` (the endorsers' signing keys): a bad one names its member.
    public func adding(_ more: [Endorsement], keys: [String: VerifyingKey]) throws -> Transaction {
        let message = DomainTag.transaction.bytes + signingPayload
        for e in more {
            guard let key = keys[e.member] else { throw LedgerError(.unknownMember, "endorser \(e.member) is not a member") }
            guard key.isValid(signature: e.signature, for: message) else {
                throw LedgerError(.badSignature, "the endorsement by \(e.member) does not verify for transaction \(id.short)")
            }
        }
        return Transaction(
            chainID: chainID, author: author, nonce: nonce, timestamp: timestamp, body: body, sealed: sealed, signature: signature,
            endorsements: endorsements + more, payload: signingPayload)
    }

    /// The bytes the author and endorsers sign (after the domain tag).
    public let signingPayload: [UInt8]
    public let encoded: [UInt8]
    public let id: Hash256

    public init(
        chainID: Hash256, author: SigningIdentity, nonce: UInt64, timestamp: UInt64 = Transaction.now(),
        body: TransactionBody, sealed: [SealedField] = [], endorsers: [SigningIdentity] = []
    ) {
        let payload = Transaction.payload(chainID: chainID, author: author.name, nonce: nonce, timestamp: timestamp, body: body, sealed: sealed)
        let message = DomainTag.transaction.bytes + payload
        let sig = author.key.sign(message)
        let ends = endorsers.map { Endorsement(member: $0.name, signature: $0.key.sign(message)) }
        self.init(
            chainID: chainID, author: author.name, nonce: nonce, timestamp: timestamp, body: body, sealed: sealed,
            signature: sig, endorsements: ends, payload: payload)
    }

    init(
        chainID: Hash256, author: String, nonce: UInt64, timestamp: UInt64, body: TransactionBody, sealed: [SealedField],
        signature: [UInt8], endorsements: [Endorsement], payload: [UInt8]
    ) {
        self.chainID = chainID
        self.author = author
        self.nonce = nonce
        self.timestamp = timestamp
        self.body = body
        self.sealed = sealed
        self.signature = signature
        self.endorsements = endorsements
        self.signingPayload = payload
        var w = ByteWriter(capacity: payload.count + 70)
        w.raw(payload)
        w.raw(signature)
        w.u32(UInt32(endorsements.count))
        for e in endorsements {
            w.string(e.member)
            w.raw(e.signature)
        }
        self.encoded = w.bytes
        self.id = Hash256.of(w.bytes)
    }

    public static func now() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

    static func payload(chainID: Hash256, author: String, nonce: UInt64, timestamp: UInt64, body: TransactionBody, sealed: [SealedField]) -> [UInt8] {
        var w = ByteWriter()
        w.u8(version)
        w.raw(chainID.bytes)
        w.string(author)
        w.u64(nonce)
        w.u64(timestamp)
        w.u8(body.kind)
        var b = ByteWriter()
        body.encode(&b)
        w.data(b.bytes)
        w.u32(UInt32(sealed.count))
        for s in sealed { s.encode(&w) }
        return w.bytes
    }

    /// Parses canonical bytes; checks structure only (signatures: `verifySignatures`).
    public init(decoding bytes: [UInt8]) throws {
        guard bytes.count <= LedgerLimits.maxTransactionBytes else {
            throw LedgerError(.malformed, "transaction: \(bytes.count) bytes; at most \(LedgerLimits.maxTransactionBytes) are allowed")
        }
        var r = LedgerReader(bytes, what: "transaction")
        let v = try r.u8("version")
        guard v == Transaction.version else { throw LedgerError(.malformed, "transaction: unsupported version \(v)") }
        let chain = Hash256(bytes: try r.raw(32, "chain id"))
        let author = try r.string("author", max: 64)
        let nonce = try r.u64("nonce")
        let ts = try r.u64("timestamp")
        let kind = try r.u8("kind")
        var br = LedgerReader(try r.data("body", max: LedgerLimits.maxBodyBytes), what: "transaction body")
        let body = try TransactionBody.decode(kind: kind, &br)
        try br.finish()
        let ns = try r.count("sealed fields", minSize: 8, max: LedgerLimits.maxSealedFields)
        var sealed: [SealedField] = []
        for _ in 0..<ns { sealed.append(try SealedField.decode(&r)) }
        let payloadEnd = r.offset
        let sig = try r.raw(64, "signature")
        let ne = try r.count("endorsements", minSize: 68, max: 1024)
        var ends: [Endorsement] = []
        for _ in 0..<ne {
            ends.append(Endorsement(member: try r.string("endorser", max: 64), signature: try r.raw(64, "endorsement")))
        }
        try r.finish()
        self.init(
            chainID: chain, author: author, nonce: nonce, timestamp: ts, body: body, sealed: sealed, signature: sig,
            endorsements: ends, payload: Array(bytes[0..<payloadEnd]))
    }

    /// Checks the author's signature and every endorsement against `membership`.
    public func verifySignatures(_ membership: Membership) throws {
        guard let key = membership.keys[author] else {
            throw LedgerError(.unknownMember, "transaction \(id.short): author \(author) is not a member; only members may write to the ledger")
        }
        let message = DomainTag.transaction.bytes + signingPayload
        guard key.isValid(signature: signature, for: message) else {
            throw LedgerError(.badSignature, "transaction \(id.short) by \(author): the signature does not verify under \(author)'s certified key")
        }
        var seen: Set<String> = [author]
        for e in endorsements {
            guard let k = membership.keys[e.member] else {
                throw LedgerError(.unknownMember, "transaction \(id.short): endorser \(e.member) is not a member")
            }
            guard seen.insert(e.member).inserted else {
                throw LedgerError(.invalidTransaction, "transaction \(id.short): \(e.member) endorses twice")
            }
            guard k.isValid(signature: e.signature, for: message) else {
                throw LedgerError(.badSignature, "transaction \(id.short): endorsement by \(e.member) does not verify")
            }
        }
    }
}

/// A member's name and signing key: what authoring a transaction or a vote needs.
public struct SigningIdentity: Sendable {
    public let name: String
    public let key: SigningKey
    public init(name: String, key: SigningKey) {
        self.name = name
        self.key = key
    }
}
