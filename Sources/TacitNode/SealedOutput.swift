import Foundation
import TacitBytes
public import TacitJob
public import TacitNet

/// A job output sealed on the ledger (`sealed: true` in the spec): how its sealing party packs
/// the value into sealed fields of its `ResultRecorded` transaction, and how a member it is
/// sealed to unpacks and checks it, at its node (`tacit job result`) or offline from any
/// replica (`tacit ledger open`). Both go through ``read(jobID:output:as:entries:openField:)``.
///
/// The format is a contract an auditor can decrypt and check with their own tools
/// (Docs/TacitLedger.md, "Sealed job outputs"):
///
///     payload = LP("tacit.sealed-output.v1") ‖ LP(job id) ‖ LP(output name) ‖ LP(salt) ‖ LP(canonical text)
///
/// `LP(x)` is x's length as 4 bytes big-endian, then x; the salt is the 32 bytes behind the
/// output's ``ResultDigest``; the text is the value's ``JobValue/canonicalText``. The payload is
/// cut into chunks of at most ``chunkBytes``; chunk i of n (from 1) is the sealed field
/// `output/NAME/i/n`, and the chunks in order are the payload.
public enum SealedOutput {
    public static let tag = "tacit.sealed-output.v1"
    /// The largest canonical text a sealed output may have (a million-row payout table is
    /// about 30 MB); a larger one fails the job at its sealing party, naming the size.
    public static let maxTextBytes = 48 << 20
    /// The largest chunk, below the ledger's bound on a sealed field (16 MiB).
    public static let chunkBytes = 8 << 20
    /// Everything in the payload but the text: five lengths, the tag, a job id and an output
    /// name (at most 64 bytes each by the name rules) and the salt.
    static let maxHeaderBytes = 5 * 4 + tag.utf8.count + 64 + 64 + ResultDigest.saltBytes
    public static let maxPayloadBytes = maxTextBytes + maxHeaderBytes
    /// 7: with its transaction's other bytes it stays within `LedgerLimits.maxTransactionBytes`
    /// (64 MiB) and far within the 64 sealed fields a transaction may carry.
    public static let maxChunks = (maxPayloadBytes + chunkBytes - 1) / chunkBytes

    public static func fieldName(output: String, chunk i: Int, of n: Int) -> String { "output/\(output)/\(i)/\(n)" }

    public static func payload(jobID: String, output: String, salt: [UInt8], text: String) -> [UInt8] {
        var w = ByteWriter(capacity: text.utf8.count + maxHeaderBytes)
        w.string(tag)
        w.string(jobID)
        w.string(output)
        w.data(salt)
        w.string(text)
        return w.bytes
    }

    /// The sealed fields of `output` for the sealing party's `ResultRecorded`: the payload's
    /// chunks, each sealed to the output's recipients and readers.
    public static func fields(jobID: String, output: JobSpec.Output, result: OutputResult) throws -> [SealedPayload] {
        guard let value = result.value, let saltHex = result.salt, let salt = Hex.decode(saltHex), salt.count == ResultDigest.saltBytes else {
            throw NodeError(.protocolFailure, "output '\(output.name)' has no value and salt at this party; only its sealing party seals it")
        }
        let text = value.canonicalText
        guard text.utf8.count <= maxTextBytes else {
            throw NodeError(
                .protocolFailure,
                "output '\(output.name)' is \(text.utf8.count) bytes as canonical text; a sealed output holds at most \(maxTextBytes) (48 MiB). Split the job's output, or deliver it to its recipients without `sealed: true`")
        }
        return chunks(payload(jobID: jobID, output: output.name, salt: salt, text: text), output: output.name, readers: output.sealedTo)
    }

    static func chunks(_ payload: [UInt8], output: String, readers: [PartyID]) -> [SealedPayload] {
        let n = max(1, (payload.count + chunkBytes - 1) / chunkBytes)
        return (0..<n).map { i in
            SealedPayload(
                name: fieldName(output: output, chunk: i + 1, of: n), readers: readers,
                bytes: Array(payload[(i * chunkBytes)..<min(payload.count, (i + 1) * chunkBytes)]))
        }
    }

    /// The names of `output`'s chunks among an entry's sealed fields, in order; nil when the
    /// entry seals nothing of it. Throws when the fields are not exactly chunks 1...n of n.
    static func chunkNames(output: String, jobID: String, in fields: [SealedFieldInfo]) throws -> [String]? {
        let prefix = "output/\(output)/"
        let mine = fields.map(\.name).filter { $0.hasPrefix(prefix) }
        guard let first = mine.first else { return nil }
        let bad = NodeError(
            .ledger,
            "the sealed copy of output '\(output)' of job \(jobID) is malformed: its fields are not chunks 1...n of n (first: '\(first.prefix(80))'); its sealing party did not follow the format")
        guard let n = first.split(separator: "/").last.flatMap({ Int($0) }), (1...maxChunks).contains(n), mine.count == n else { throw bad }
        let names = (1...n).map { fieldName(output: output, chunk: $0, of: n) }
        guard Set(mine) == Set(names) else { throw bad }
        return names
    }

    /// An output read back from its sealed copy and checked against the ledger.
    public struct Opened: Sendable, Hashable {
        public var jobID: String
        public var output: String
        public var value: JobValue
        public var salt: [UInt8]
        /// The digest recomputed from the salt and text: every party recorded this one.
        public var digest: String
        /// The parties whose `ResultRecorded` carries that digest (every party of the job).
        public var recordedBy: [PartyID]
        /// Who the copy is sealed to.
        public var sealedTo: [PartyID]
    }

    /// Reassembles `chunks`, checks the payload names `jobID` and `output`, recomputes the
    /// result digest from its salt and text and requires it to equal `digest`, the one every
    /// party recorded. The value is never returned otherwise.
    public static func open(chunks: [[UInt8]], jobID: String, output: String, digest: String) throws -> (value: JobValue, salt: [UInt8]) {
        let total = chunks.reduce(0) { $0 + $1.count }
        let bad = { (why: String) in
            NodeError(.ledger, "the sealed copy of output '\(output)' of job \(jobID) \(why); it is refused")
        }
        guard total <= maxPayloadBytes else { throw bad("holds \(total) bytes, more than a sealed output may (\(maxPayloadBytes))") }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        for c in chunks { bytes += c }
        var r = ByteReader(bytes, what: "sealed output", errors: ByteReadFailure.self)
        let fields: (String, String, String, [UInt8], String)
        do {
            fields = (
                try r.string("tag", max: 64), try r.string("job id", max: 256), try r.string("output name", max: 256),
                try r.data("salt", max: 64), try r.string("text", max: maxTextBytes)
            )
            try r.finish()
        } catch {
            throw bad("does not decode (\(error))")
        }
        let (tag, id, name, salt, text) = fields
        guard tag == Self.tag else { throw bad("is not a \(Self.tag) payload") }
        guard id == jobID, name == output else {
            throw bad("names another output (job \(String(reflecting: String(id.prefix(64)))), output \(String(reflecting: String(name.prefix(64)))))")
        }
        guard salt.count == ResultDigest.saltBytes else { throw bad("has a salt of \(salt.count) bytes, not \(ResultDigest.saltBytes)") }
        guard ResultDigest.compute(jobID: jobID, output: output, value: text, salt: salt) == digest.lowercased() else {
            throw bad("does not match the result digest every party recorded (\(digest.prefix(16))…): its sealing party sealed another value than the one the parties agreed on")
        }
        let value: JobValue
        if text.hasPrefix("{") {
            guard let v = try? JSONDecoder().decode(JobValue.self, from: Data(text.utf8)) else { throw bad("holds a value that does not decode") }
            value = v
        } else {
            value = .number(text)
        }
        return (value, salt)
    }

    /// Output `output` of job `jobID` from its sealed copy, as member `me` reads it from
    /// `entries` (every committed entry): the job must be complete, the output sealed to `me`;
    /// the copy is the sealing party's and must match the digest every party recorded.
    /// `openField(entry id, field name)` decrypts one field for `me`; `label` names `me` in
    /// errors ("this node (NAME)" at a node, "member NAME" offline).
    public static func read(
        jobID: String, output: String, as me: PartyID, label: String? = nil, entries: [LedgerEntry],
        openField: (String, String) async throws -> [UInt8]
    ) async throws -> Opened {
        guard let job = JobBook(entries: entries).jobs[jobID] else {
            throw NodeError(.notFound, "no job '\(jobID)' on the ledger; `tacit job list` shows the jobs")
        }
        let spec = job.spec
        guard let o = spec.output(output) else {
            throw NodeError(.notFound, "job \(jobID) has no output '\(output)'; its outputs: \(spec.outputs.map(\.name).joined(separator: ", "))")
        }
        guard o.sealed else {
            throw NodeError(.notFound, "output '\(output)' of job \(jobID) is not sealed on the ledger; only its recipients (\(o.recipients.map(\.name).joined(separator: ", "))) hold its value")
        }
        guard o.sealedTo.contains(me) else { throw notAmongReaders(o, jobID: jobID, label: label ?? "this node (\(me))") }
        guard job.phase == .completed else {
            throw NodeError(.invalidState, "job \(jobID) is \(job.phase.rawValue)\(job.reason.map { ": \($0)" } ?? ""); no result yet")
        }
        // Completed: every party recorded, and the records agree (JobRecord.resultsAgree).
        let recorded = job.results.compactMap { party, outputs in outputs.first { $0.name == output }.map { (party, $0.digest) } }
        guard recorded.count == spec.parties.count, let digest = recorded.first?.1, recorded.allSatisfy({ $0.1 == digest }) else {
            throw NodeError(.ledger, "the parties of job \(jobID) did not all record one digest for output '\(output)'; nothing to check the sealed copy against")
        }
        guard let lead = o.sealingParty,
              let entry = entries.first(where: { e in
                  guard e.author == lead, case .resultRecorded(let j, _) = e.transaction else { return false }
                  return j == jobID
              }),
              let names = try chunkNames(output: output, jobID: jobID, in: entry.sealed)
        else {
            throw NodeError(.notFound, "\(o.sealingParty?.name ?? "the sealing party") recorded no sealed copy of output '\(output)' of job \(jobID) on the ledger")
        }
        var chunks: [[UInt8]] = []
        for name in names { chunks.append(try await openField(entry.id, name)) }
        let (value, salt) = try open(chunks: chunks, jobID: jobID, output: output, digest: digest)
        return Opened(
            jobID: jobID, output: output, value: value, salt: salt, digest: digest.lowercased(), recordedBy: recorded.map(\.0).sorted(),
            sealedTo: o.sealedTo)
    }

    static func notAmongReaders(_ o: JobSpec.Output, jobID: String, label: String) -> NodeError {
        NodeError(
            .notApproved,
            "output '\(o.name)' of job \(jobID) is sealed to \(o.sealedTo.map(\.name).joined(separator: ", ")); \(label) is not among them")
    }
}

extension SealedOutput.Opened {
    /// The value as `tacit ledger open` prints it: a table as CSV with a header row, a set one
    /// item per line, a number as its text.
    public var printed: String {
        switch value {
        case .number(let s): return s + "\n"
        case .set(let items): return items.map { $0 + "\n" }.joined()
        case .table(let t): return t.csv
        }
    }

    /// Writes ``printed`` to the new file `path`, mode 0600: the value is sealed because it is
    /// private, so it is never written over an existing file or readable by others.
    public func write(to path: String) throws {
        do { try SecretFile.create(atPath: path, contents: Array(printed.utf8)) } catch {
            throw NodeError(.invalidConfig, "--out: \(error.message)")
        }
    }
}
