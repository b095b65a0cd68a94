// INTERIM: replaced by TacitLedger (issue #6) through an adapter conforming to `NodeLedger`.
// Not a consensus system: a signed, causally ordered log that each party appends its own
// transactions to and that the mesh replicates to every member.

import Crypto
import Foundation
public import Logging
public import TacitNet
import Synchronization

/// Every member's Ed25519 ledger signing key, from `ledger-members.yaml`:
///
/// ```yaml
/// members:
///   - name: st-marys
///     signingKey: "base64 of the 32-byte Ed25519 public key"
/// ```
public struct LedgerMembers: Sendable {
    /// Raw 32-byte Ed25519 public keys.
    public let keys: [PartyID: [UInt8]]

    public init(keys: [PartyID: [UInt8]]) { self.keys = keys }

    func verifier(_ party: PartyID) -> Curve25519.Signing.PublicKey? {
        keys[party].flatMap { try? Curve25519.Signing.PublicKey(rawRepresentation: $0) }
    }

    public static func load(path: String) throws -> LedgerMembers {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(.invalidConfig, "cannot read ledger members file \(path)")
        }
        do {
            let root = try YAMLValue.parse(String(decoding: data, as: UTF8.self), code: .invalidConfig, expected: "a members list")
            let m = try root.mapping(allowed: ["members"], required: ["members"], what: "ledger members")
            var keys: [PartyID: [UInt8]] = [:]
            for item in try m.required("members").list(what: "members") {
                let im = try item.mapping(allowed: ["name", "signingKey"], required: ["name", "signingKey"], what: "a member")
                let name = PartyID(try im.required("name").name("member name"))
                let kv = try im.required("signingKey")
                guard let raw = Data(base64Encoded: try kv.string()), let key = try? Curve25519.Signing.PublicKey(rawRepresentation: raw) else {
                    throw kv.error("not a base64 Ed25519 public key (32 bytes)")
                }
                if keys[name] != nil { throw item.error("member \(name) is listed twice") }
                keys[name] = Array(key.rawRepresentation)
            }
            return LedgerMembers(keys: keys)
        } catch let e as NodeError { throw e.inFile(path) }
    }

    public func yaml() -> String {
        "members:\n" + keys.sorted { $0.key < $1.key }.map {
            "  - name: \($0.key)\n    signingKey: \"\(Data($0.value).base64EncodedString())\"\n"
        }.joined()
    }
}

/// An Ed25519 ledger signing key (the raw 32-byte secret). Never printed.
public struct SigningKey: Sendable, CustomStringConvertible {
    let raw: [UInt8]
    public init() { raw = Array(Curve25519.Signing.PrivateKey().rawRepresentation) }
    init(raw: [UInt8]) { self.raw = raw }
    var key: Curve25519.Signing.PrivateKey { try! Curve25519.Signing.PrivateKey(rawRepresentation: raw) }
    /// The raw 32-byte public key.
    public var publicKey: [UInt8] { Array(key.publicKey.rawRepresentation) }
    public var description: String { "SigningKey(<redacted>)" }
}

/// A ledger signing key file: base64 of the 32-byte Ed25519 secret, mode 0600.
public enum SigningKeyFile {
    public static func write(_ signingKey: SigningKey, path: String) throws {
        let key = signingKey.key
        let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else { throw NodeError(.keys, "cannot create \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let bytes = Array((key.rawRepresentation.base64EncodedString() + "\n").utf8)
        guard Foundation.write(fd, bytes, bytes.count) == bytes.count else { throw NodeError(.keys, "cannot write \(path)") }
    }

    public static func read(path: String) throws -> SigningKey {
        var st = stat()
        guard stat(path, &st) == 0, let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(.keys, "cannot read signing key \(path)")
        }
        guard st.st_mode & 0o077 == 0 else {
            throw NodeError(.keys, "signing key \(path) is readable by group or others; run: chmod 600 \(path)")
        }
        guard let raw = Data(base64Encoded: String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)),
              (try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)) != nil else {
            throw NodeError(.keys, "\(path) is not a base64 Ed25519 secret key")
        }
        return SigningKey(raw: Array(raw))
    }
}

/// One signed event of the interim log. `seen` is the author's vector clock when it signed
/// (the highest sequence it held of each author), which is what makes "approved before
/// committed" checkable by anyone; `lamport` orders events consistently with it.
struct SignedEvent: Codable, Hashable, Sendable {
    var author: String
    var seq: Int
    var prev: String
    var lamport: Int
    var seen: [String: Int]
    var time: Double
    /// JSON of the `JobTransaction`: the exact bytes signed.
    var payload: String
    var signature: String

    func hashBytes() -> [UInt8] {
        var out: [UInt8] = []
        func frame(_ s: String) {
            let b = Array(s.utf8)
            let k = b.count
            out += [UInt8(k >> 24 & 0xff), UInt8(k >> 16 & 0xff), UInt8(k >> 8 & 0xff), UInt8(k & 0xff)] + b
        }
        frame("tacit.interim-ledger.event.v1")
        frame(author)
        frame(String(seq))
        frame(prev)
        frame(String(lamport))
        frame(seen.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ","))
        frame(String(format: "%.3f", time))
        frame(payload)
        return SHA256Bytes.hash(out)
    }

    var id: String { Hex.encode(hashBytes()) }

    func transaction() throws -> JobTransaction {
        try JSONDecoder().decode(JobTransaction.self, from: Data(payload.utf8))
    }
}

/// The interim replicated ledger: each party appends signed events to its own chain, sends
/// them to every member, and every second tells each peer how far it has every chain so the
/// peer resends what is missing (which also brings a restarted node up to date). Stored as
/// JSON lines in `ledger.jsonl`; replayed and re-verified at start.
public final class InterimLedger: NodeLedger {
    static let session = SessionID(1)
    static let tag: Tag = 1

    private struct State {
        var chains: [String: [SignedEvent]] = [:]
        var ordered: [LedgerEntry] = []
        var subscribers: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        var closed = false
    }

    private let me: PartyID
    private let key: SigningKey
    private let members: LedgerMembers
    private let channel: any PartyChannel
    private let path: String
    private let logger: Logger
    private let state = Mutex(State())
    private let tasks = Mutex<[Task<Void, Never>]>([])
    private let submitLock = AsyncLock()

    public init(party: PartyID, signingKey: SigningKey, members: LedgerMembers,
                channel: any PartyChannel, path: String, logger: Logger) throws {
        guard members.keys[party] == signingKey.publicKey else {
            throw NodeError(.keys, "the signing key of \(party) does not match the key ledger-members.yaml lists for it")
        }
        self.me = party
        self.key = signingKey
        self.members = members
        self.channel = channel
        self.path = path
        self.logger = logger
        try load()
    }

    /// Starts replication: a receive loop per peer and the periodic catch-up.
    public func start() {
        var started: [Task<Void, Never>] = []
        for peer in channel.peers {
            started.append(Task { [weak self] in await self?.receiveLoop(from: peer) })
        }
        started.append(Task { [weak self] in
            while !Task.isCancelled {
                await self?.sendSync()
                try? await Task.sleep(for: .milliseconds(700))
            }
        })
        tasks.withLock { $0 = started }
    }

    // MARK: NodeLedger

    public func submit(_ transaction: JobTransaction) async throws -> LedgerEntry {
        try await submitLock.withLock {
            let payload = String(decoding: try JSONEncoder.sorted.encode(transaction), as: UTF8.self)
            let event: SignedEvent = try state.withLock { s in
                if s.closed { throw NodeError(.ledger, "the ledger is closed") }
                let mine = s.chains[me.name] ?? []
                var e = SignedEvent(
                    author: me.name, seq: mine.count + 1, prev: mine.last?.id ?? "",
                    lamport: (s.chains.values.compactMap { $0.last?.lamport }.max() ?? 0) + 1,
                    seen: s.chains.mapValues(\.count).filter { $0.value > 0 },
                    time: (Date().timeIntervalSince1970 * 1000).rounded() / 1000, payload: payload, signature: "")
                e.signature = try key.key.signature(for: e.hashBytes()).base64EncodedString()
                return e
            }
            guard try accept(event, persist: true) else { throw NodeError(.ledger, "could not append own event") }
            let wire = Payload(try JSONEncoder.sorted.encode(Message(t: "event", e: event, have: nil)))
            for peer in channel.peers {
                try? await channel.send(wire, to: peer, session: Self.session, tag: Self.tag)
            }
            return state.withLock { s in s.ordered.first { $0.id == event.id }! }
        }
    }

    public func entries() async -> [LedgerEntry] { state.withLock { $0.ordered } }

    public func changes() -> AsyncStream<Void> {
        let (stream, c) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = state.withLock { s in
            if s.closed { return nil }
            s.nextSubscriber += 1
            s.subscribers[s.nextSubscriber] = c
            return s.nextSubscriber
        }
        guard let id else { c.finish(); return stream }
        c.onTermination = { [weak self] _ in _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) } }
        c.yield()
        return stream
    }

    public func verify() async -> LedgerVerification {
        Self.verify(chains: state.withLock { $0.chains }, members: members)
    }

    static func verify(chains: [String: [SignedEvent]], members: LedgerMembers) -> LedgerVerification {
        var problems: [String] = []
        var count = 0
        for (author, chain) in chains.sorted(by: { $0.key < $1.key }) {
            for (i, e) in chain.enumerated() {
                count += 1
                if let p = Self.check(e, expectedSeq: i + 1, prev: i == 0 ? "" : chain[i - 1].id, members: members) {
                    problems.append("\(author) #\(i + 1): \(p)")
                }
                for (other, n) in e.seen where n > (chains[other]?.count ?? 0) {
                    problems.append("\(author) #\(i + 1): claims to have seen \(other) #\(n), which this replica lacks")
                }
            }
        }
        problems += JobInvariants.check(order(chains))
        return LedgerVerification(
            entries: count,
            checks: [
                "every entry signed by its author's Ed25519 key in ledger-members.yaml",
                "every author's entries hash-chained with no gaps",
                "causal order: each entry's vector clock refers only to entries present",
                "job invariants: approved by every approver before any input is committed, every input committed before any result, results signed by every party and agreeing",
            ],
            problems: problems)
    }

    public func close() async {
        let (subs, running): ([AsyncStream<Void>.Continuation], [Task<Void, Never>]) = state.withLock { s in
            s.closed = true
            defer { s.subscribers = [:] }
            return (Array(s.subscribers.values), tasks.withLock { $0 })
        }
        for t in running { t.cancel() }
        for c in subs { c.finish() }
    }

    // MARK: replication

    private struct Message: Codable {
        var t: String
        var e: SignedEvent?
        var have: [String: Int]?
    }

    private func receiveLoop(from peer: PartyID) async {
        while !Task.isCancelled {
            let payload: Payload
            do {
                payload = try await channel.receive(from: peer, session: Self.session, tag: Self.tag, timeout: nil)
            } catch { return }
            guard let m = try? JSONDecoder().decode(Message.self, from: Data(payload.bytes)) else {
                logger.warning("ledger: malformed message ignored", metadata: ["from": "\(peer)"])
                continue
            }
            switch m.t {
            case "event":
                guard let e = m.e else { continue }
                do {
                    if try !accept(e, persist: true) { await sendSync(to: peer) }
                } catch {
                    logger.error("ledger: rejected an event", metadata: ["from": "\(peer)", "why": "\(error)"])
                }
            case "sync":
                await resend(to: peer, have: m.have ?? [:])
            default:
                continue
            }
        }
    }

    private func sendSync(to peer: PartyID? = nil) async {
        let have = state.withLock { $0.chains.mapValues(\.count) }
        guard let wire = try? Payload(JSONEncoder.sorted.encode(Message(t: "sync", e: nil, have: have))) else { return }
        for p in peer.map({ [$0] }) ?? channel.peers {
            try? await channel.send(wire, to: p, session: Self.session, tag: Self.tag)
        }
    }

    private func resend(to peer: PartyID, have: [String: Int]) async {
        let missing: [SignedEvent] = state.withLock { s in
            var out: [SignedEvent] = []
            for (author, chain) in s.chains where chain.count > (have[author] ?? 0) {
                out += chain[(have[author] ?? 0)...]
            }
            return out.sorted { ($0.lamport, $0.author, $0.seq) < ($1.lamport, $1.author, $1.seq) }
        }
        for e in missing.prefix(1000) {
            guard let wire = try? Payload(JSONEncoder.sorted.encode(Message(t: "event", e: e, have: nil))) else { continue }
            try? await channel.send(wire, to: peer, session: Self.session, tag: Self.tag)
        }
    }

    /// Verifies and appends `e`. Returns false when it cannot be appended yet (a gap in its
    /// author's chain, or it depends on events not held yet); true when appended or already held.
    private func accept(_ e: SignedEvent, persist: Bool) throws -> Bool {
        let appended: Bool = try state.withLock { s in
            let chain = s.chains[e.author] ?? []
            if e.seq <= chain.count {
                if chain[e.seq - 1] != e {
                    throw NodeError(.ledger, "\(e.author) signed two different events #\(e.seq) (equivocation); keeping the first")
                }
                return false
            }
            guard e.seq == chain.count + 1 else { return false }
            for (other, n) in e.seen where n > (s.chains[other]?.count ?? 0) { return false }
            if let p = Self.check(e, expectedSeq: chain.count + 1, prev: chain.last?.id ?? "", members: members) {
                throw NodeError(.ledger, "event \(e.author) #\(e.seq): \(p)")
            }
            let tx = try e.transaction()
            if persist { try Self.appendLine(e, to: path) }
            s.chains[e.author, default: []].append(e)
            s.ordered = Self.order(s.chains)
            _ = tx
            return true
        }
        if appended {
            let subs = state.withLock { Array($0.subscribers.values) }
            for c in subs { c.yield() }
            return true
        }
        return state.withLock { s in (s.chains[e.author]?.count ?? 0) >= e.seq }
    }

    static func check(_ e: SignedEvent, expectedSeq: Int, prev: String, members: LedgerMembers) -> String? {
        guard let key = members.verifier(PartyID(e.author)) else { return "author \(e.author) is not a ledger member" }
        guard e.seq == expectedSeq else { return "sequence \(e.seq), expected \(expectedSeq)" }
        guard e.prev == prev else { return "does not chain to the author's previous entry" }
        guard let sig = Data(base64Encoded: e.signature), key.isValidSignature(sig, for: e.hashBytes()) else {
            return "signature does not verify against \(e.author)'s signing key"
        }
        guard (try? e.transaction()) != nil else { return "payload is not a job transaction" }
        return nil
    }

    /// Total order consistent with causality: by Lamport time, then author, then sequence.
    static func order(_ chains: [String: [SignedEvent]]) -> [LedgerEntry] {
        let all = chains.values.flatMap { $0 }.sorted { ($0.lamport, $0.author, $0.seq) < ($1.lamport, $1.author, $1.seq) }
        return all.enumerated().compactMap { i, e in
            guard let tx = try? e.transaction() else { return nil }
            return LedgerEntry(author: PartyID(e.author), index: i + 1, time: Date(timeIntervalSince1970: e.time), transaction: tx, id: e.id)
        }
    }

    private func load() throws {
        let chains = try Self.parseChains(path: path)
        for (author, chain) in chains {
            for (i, e) in chain.enumerated() {
                if let p = Self.check(e, expectedSeq: i + 1, prev: i == 0 ? "" : chain[i - 1].id, members: members) {
                    throw NodeError(.ledger, "\(path): \(author) #\(i + 1): \(p); the replica is damaged or was edited")
                }
            }
        }
        state.withLock { s in
            s.chains = chains
            s.ordered = Self.order(chains)
        }
    }

    static func parseChains(path: String) throws -> [String: [SignedEvent]] {
        guard let data = FileManager.default.contents(atPath: path) else { return [:] }
        var chains: [String: [SignedEvent]] = [:]
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n").enumerated() where !line.isEmpty {
            guard let e = try? JSONDecoder().decode(SignedEvent.self, from: Data(line.utf8)) else {
                throw NodeError(.ledger, "\(path) line \(n + 1) is not a ledger event; the replica is damaged (restore it from a peer's copy)")
            }
            chains[e.author, default: []].append(e)
        }
        return chains
    }

    private static func appendLine(_ e: SignedEvent, to path: String) throws {
        var line = try JSONEncoder.sorted.encode(e)
        line.append(10)
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        guard fd >= 0 else { throw NodeError(.ledger, "cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { Foundation.close(fd) }
        let n = line.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
        guard n == line.count else { throw NodeError(.ledger, "cannot append to \(path)") }
        fsync(fd)
    }

    /// Reads a replica file without a node (for `tacit ledger` on a copy given to an
    /// auditor) and verifies it: problems are reported, not thrown.
    public static func readOffline(path: String, members: LedgerMembers) throws -> ([LedgerEntry], LedgerVerification) {
        guard FileManager.default.fileExists(atPath: path) else { throw NodeError(.notFound, "no ledger replica at \(path)") }
        let chains = try parseChains(path: path)
        return (order(chains), verify(chains: chains, members: members))
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }
}

/// A FIFO async mutex: one submitter at a time, so each party's chain stays gap-free.
final class AsyncLock: Sendable {
    private let state = Mutex<(locked: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func withLock<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        await acquire()
        defer { release() }
        return try await body()
    }

    private func acquire() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let now: Bool = state.withLock { s in
                if !s.locked { s.locked = true; return true }
                s.waiters.append(c)
                return false
            }
            if now { c.resume() }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = state.withLock { s in
            if s.waiters.isEmpty { s.locked = false; return nil }
            return s.waiters.removeFirst()
        }
        next?.resume()
    }
}
