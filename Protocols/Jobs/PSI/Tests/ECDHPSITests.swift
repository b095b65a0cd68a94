import Testing
import TacitCrypto
import TacitJob
import TacitMPC
import TacitNet
import TacitTestSupport

@testable import TacitPSI


@Suite("ECDH PSI (ristretto255): against the plaintext intersection, hostile peers, prepared sets")
struct ECDHPSITests {
    static let bank = PartyID("bank"), registry = PartyID("registry")
    static let session = Array("job-7f3a".utf8)

    /// Runs `receiver` on "bank" and `sender` on "registry" concurrently over a fresh two-party
    /// mesh; `tamper` rewrites the messages `tamperParty` sends.
    static func pair<R: Sendable, S: Sendable>(
        tamperParty: PartyID? = nil, tamper: @escaping @Sendable (Payload) -> Payload? = { _ in nil },
        receiver: @escaping @Sendable (PairLink) async throws -> R, sender: @escaping @Sendable (PairLink) async throws -> S
    ) async -> (receiver: Result<R, any Error>, sender: Result<S, any Error>) {
        let mesh = InMemoryMesh(parties: [bank, registry], defaultTimeout: .seconds(60))
        let session = SessionID.random()
        @Sendable func link(_ p: PartyID) throws -> PairLink {
            let base: any PartyChannel = mesh.channel(for: p)
            let channel: any PartyChannel = p == tamperParty ? TamperingChannel(base: base, tamper: tamper) : base
            return try PairLink(channel: channel.session(session), tag: TacitNet.Tag(210))
        }
        async let r: Result<R, any Error> = { () async -> Result<R, any Error> in
            do { return .success(try await receiver(try link(bank))) } catch { return .failure(error) }
        }()
        async let s: Result<S, any Error> = { () async -> Result<S, any Error> in
            do { return .success(try await sender(try link(registry))) } catch { return .failure(error) }
        }()
        return await (r, s)
    }

    static func balanced(
        _ mine: [[UInt8]], _ theirs: [[UInt8]], mode: PSIOutputMode, settings: ECDHPSI.Settings = .init(),
        senderSession: [UInt8] = session, senderMode: PSIOutputMode? = nil,
        tamperParty: PartyID? = nil, tamper: @escaping @Sendable (Payload) -> Payload? = { _ in nil }
    ) async -> (receiver: Result<PSIOutcome, any Error>, sender: Result<PSIOutcome, any Error>) {
        await pair(
            tamperParty: tamperParty, tamper: tamper,
            receiver: { link in
                try await ECDHPSI.run(
                    PSISet(mine), role: .receiver, mode: mode, link: link, session: session, settings: settings)
            },
            sender: { link in
                try await ECDHPSI.run(
                    PSISet(theirs), role: .sender, mode: senderMode ?? mode, link: link, session: senderSession,
                    settings: settings)
            })
    }

    /// The receiver's expected matches: indices of its distinct elements the sender also holds.
    static func expected(_ mine: [[UInt8]], _ theirs: [[UInt8]]) -> [Int] {
        let other = Set(theirs)
        return PSISet(mine).elements.indices.filter { other.contains(PSISet(mine).elements[$0]) }
    }

    static func ids(_ range: Range<Int>, _ tag: String = "ID") -> [[UInt8]] { range.map { Array("\(tag)-\($0)".utf8) } }

    struct Case: Sendable, CustomTestStringConvertible {
        let name: String
        let mine: [[UInt8]]
        let theirs: [[UInt8]]
        var testDescription: String { name }
    }

    static let cases: [Case] = [
        Case(name: "both empty", mine: [], theirs: []),
        Case(name: "receiver empty", mine: [], theirs: ids(0..<20)),
        Case(name: "sender empty", mine: ids(0..<20), theirs: []),
        Case(name: "disjoint", mine: ids(0..<40, "A"), theirs: ids(0..<40, "B")),
        Case(name: "identical", mine: ids(0..<50), theirs: ids(0..<50).reversed()),
        Case(name: "10 applicants against 3000 entries", mine: ids(2995..<3005), theirs: ids(0..<3000)),
        Case(name: "3000 applicants against 10 entries", mine: ids(0..<3000), theirs: ids(2995..<3005) + ids(7..<9)),
        Case(
            name: "non-ASCII and binary identifiers, duplicates in input",
            mine: ["Zoë Ångström", "李小龍", "Straße", "ﬁle", "café", "Zoë Ångström", "🏦"].map { Array($0.utf8) } + [[0], [0, 0], []],
            theirs: ["李小龍", "strasse", "file", "café", "🏦"].map { Array($0.utf8) } + [[0, 0], []]),
    ]

    @Test("the receiver learns exactly the plaintext intersection; the sender only the receiver's set size", arguments: cases)
    func intersection(_ c: Case) async throws {
        // Seven elements a message: every case with more than seven spans several messages.
        let o = await Self.balanced(c.mine, c.theirs, mode: .intersection, settings: .init(chunkElements: 7))
        let r = try o.receiver.get(), s = try o.sender.get()
        let want = Self.expected(c.mine, c.theirs)
        #expect(r.matches == want)
        #expect(r.size == want.count)
        #expect(r.peerSetSize == PSISet(c.theirs).count)
        #expect(s.matches == nil && s.size == nil)
        #expect(s.peerSetSize == PSISet(c.mine).count)
        // Bytes: 32 per receiver element each way, 16 per sender element, plus framing.
        let n = PSISet(c.mine).count, m = PSISet(c.theirs).count
        #expect(r.stats.bytesSent >= 32 * n && r.stats.bytesSent < 32 * n + 16 * (n / 7 + 2) + 200)
        #expect(s.stats.bytesSent >= 32 * n + 16 * m)
        #expect(r.stats.bytesReceived == s.stats.bytesSent && s.stats.bytesReceived == r.stats.bytesSent)
    }

    @Test("size mode: the receiver gets the count and no matches", arguments: cases)
    func sizeOnly(_ c: Case) async throws {
        let o = await Self.balanced(c.mine, c.theirs, mode: .size, settings: .init(chunkElements: 5))
        let r = try o.receiver.get(), s = try o.sender.get()
        #expect(r.matches == nil)
        #expect(r.size == Self.expected(c.mine, c.theirs).count)
        #expect(s.matches == nil && s.size == nil && s.peerSetSize == PSISet(c.mine).count)
    }

    @Test("with the default chunking, 300 against 300 with 100 in common")
    func defaultSettings() async throws {
        let mine = Self.ids(0..<300), theirs = Self.ids(200..<500)
        let o = await Self.balanced(mine, theirs, mode: .intersection)
        #expect(try o.receiver.get().matches == Array(200..<300))
    }

    // MARK: Parties that disagree

    static func jobError(_ r: Result<PSIOutcome, any Error>) throws -> JobError {
        guard case .failure(let e) = r else {
            Issue.record("expected a failure, got \(r)")
            throw JobError(.protocolFailure, "no failure")
        }
        return try #require(e as? JobError, "\(e)")
    }

    @Test("different sessions, modes or chunking fail both sides instead of finding nothing")
    func disagreements() async throws {
        let mine = Self.ids(0..<10), theirs = Self.ids(5..<15)
        for o in [
            await Self.balanced(mine, theirs, mode: .intersection, senderSession: Array("job-other".utf8)),
            await Self.balanced(mine, theirs, mode: .intersection, senderMode: .size),
        ] {
            let r = try Self.jobError(o.receiver), s = try Self.jobError(o.sender)
            #expect(r.code == .protocolFailure && r.peer == "registry", "\(r.message)")
            #expect(s.code == .protocolFailure && s.peer == "bank", "\(s.message)")
            #expect(r.message.contains("same job") || r.message.contains("session"), "\(r.message)")
        }
        let o = await Self.pair(
            receiver: { link in
                try await ECDHPSI.run(
                    PSISet(mine), role: .receiver, mode: .size, link: link, session: Self.session, settings: .init(chunkElements: 3))
            },
            sender: { link in
                try await ECDHPSI.run(PSISet(theirs), role: .sender, mode: .size, link: link, session: Self.session)
            })
        #expect(try Self.jobError(o.sender).message.contains("same settings"))
        #expect(try Self.jobError(o.receiver).peer == "registry")
    }

    @Test("the hash to the group depends on the session: the same element gives another point in another job")
    func sessionSeparation() throws {
        let a = ECDHPSI.Context(kind: .session, bytes: Array("job-1".utf8))
        let b = ECDHPSI.Context(kind: .session, bytes: Array("job-2".utf8))
        let p = ECDHPSI.Context(kind: .preparedSet, bytes: Array("job-1".utf8))
        let x = [Array("alice".utf8)][...]
        let ha = try Ristretto255.hashToGroup(x, prefix: a.prefix, dst: ECDHPSI.dst)
        #expect(ha != (try Ristretto255.hashToGroup(x, prefix: b.prefix, dst: ECDHPSI.dst)))
        #expect(ha != (try Ristretto255.hashToGroup(x, prefix: p.prefix, dst: ECDHPSI.dst)))
        #expect(a.digest != b.digest)
    }

    // MARK: Hostile peers

    static func onStep(_ step: ECDHPSI.Step, _ change: @escaping @Sendable ([UInt8]) -> [UInt8]) -> @Sendable (Payload) -> Payload? {
        LinkTampering.onStep(step.rawValue, change)
    }

    static func point(_ index: Int, _ bytes: [UInt8]) -> @Sendable ([UInt8]) -> [UInt8] { LinkTampering.point(index, bytes) }

    static let identity = [UInt8](repeating: 0, count: 32)
    /// RFC 9496 A.2: non-canonical (s ≥ p), and a non-square x² (not in the group).
    static let nonCanonical = Array(repeating: UInt8(0xFF), count: 31) + [0x7F]
    static let offGroup: [UInt8] = {
        let h = "26948d35ca62e643e26a83177332e6b6afeb9d08e4268b650f1f5bbd8d81d371"
        let d = Array(h)
        return stride(from: 0, to: 64, by: 2).map { UInt8(String(d[$0...$0 + 1]), radix: 16)! }
    }()

    struct Hostile: Sendable, CustomTestStringConvertible {
        let name: String
        let party: PartyID  // the misbehaving one
        let step: ECDHPSI.Step
        let change: @Sendable ([UInt8]) -> [UInt8]
        let says: String  // in the honest side's message
        var testDescription: String { name }
    }

    static let hostile: [Hostile] = [
        Hostile(name: "identity among the blinded points", party: bank, step: .blinded, change: point(3, identity), says: "identity"),
        Hostile(name: "non-canonical blinded point", party: bank, step: .blinded, change: point(0, nonCanonical), says: "canonical"),
        Hostile(name: "blinded point not in the group", party: bank, step: .blinded, change: point(6, offGroup), says: "canonical"),
        Hostile(
            name: "blinded point with bit 255 set (libsodium 1.0.18 alone would take it)", party: bank, step: .blinded,
            change: { b in var b = b; b[16 + 32 + 31] |= 0x80; return b }, says: "canonical"),
        Hostile(name: "identity among the evaluated points", party: registry, step: .evaluated, change: point(2, identity), says: "identity"),
        Hostile(name: "evaluated point not in the group", party: registry, step: .evaluated, change: point(0, offGroup), says: "canonical"),
        Hostile(name: "truncated blinded message", party: bank, step: .blinded, change: { Array($0.dropLast(5)) }, says: "truncated"),
        Hostile(name: "truncated evaluated message", party: registry, step: .evaluated, change: { Array($0.dropLast(32)) }, says: "truncated"),
        Hostile(name: "padded tags message", party: registry, step: .tags, change: { $0 + [0] }, says: "padded"),
        Hostile(name: "blinded message for a wrong count", party: bank, step: .blinded, change: { b in var b = b; b[8] ^= 1; return b }, says: "items"),
        Hostile(name: "hello claiming 2^32 elements", party: bank, step: .hello, change: { b in var b = b; b[16 + 11] = 1; return b }, says: "invalid hello"),
        Hostile(name: "truncated hello", party: bank, step: .hello, change: { Array($0.prefix(10)) }, says: "truncated"),
        Hostile(name: "reply with another wire version", party: registry, step: .reply, change: { b in var b = b; b[17] = 9; return b }, says: "wire version"),
        Hostile(name: "reply withholding its tags in a balanced run", party: registry, step: .reply, change: { b in var b = b; b[18] = 0; return b }, says: "no tags"),
    ]

    @Test("a hostile peer's bad point, count or length fails both sides, the honest one naming it", arguments: hostile)
    func hostilePeer(_ h: Hostile) async throws {
        let o = await Self.balanced(
            Self.ids(0..<20), Self.ids(10..<30), mode: .intersection, settings: .init(chunkElements: 8),
            tamperParty: h.party, tamper: Self.onStep(h.step, h.change))
        let honest = try Self.jobError(h.party == Self.bank ? o.sender : o.receiver)
        let bad = try Self.jobError(h.party == Self.bank ? o.receiver : o.sender)
        #expect(honest.code == .protocolFailure && honest.peer == h.party.name, "\(honest.message)")
        #expect(honest.message.contains(h.says), "\(honest.message)")
        // The misbehaving side hears why (the honest side's abort, which names it).
        #expect(bad.code == .protocolFailure && bad.peer != nil && bad.peer != h.party.name, "\(bad.message)")
        #expect(bad.message.contains(h.party.name), "\(bad.message)")
    }

    // MARK: Prepared sets (unbalanced)

    static func query(
        _ mine: [[UInt8]], _ prepared: ECDHPSI.PreparedSet, cache: ECDHPSI.ReceiverCache?, mode: PSIOutputMode = .intersection,
        tamperParty: PartyID? = nil, tamper: @escaping @Sendable (Payload) -> Payload? = { _ in nil }
    ) async -> (receiver: Result<ECDHPSI.QueryResult, any Error>, sender: Result<PSIOutcome, any Error>) {
        await pair(
            tamperParty: tamperParty, tamper: tamper,
            receiver: { link in
                try await ECDHPSI.query(PSISet(mine), mode: mode, link: link, cache: cache, settings: .init(chunkElements: 64))
            },
            sender: { link in try await ECDHPSI.serve(prepared, mode: mode, link: link, settings: .init(chunkElements: 64)) })
    }

    @Test("prepared blacklist: the first query downloads, later ones reuse the cache; add and remove update it")
    func preparedSet() async throws {
        var blacklist = Self.ids(0..<600)
        var prepared = try ECDHPSI.PreparedSet(PSISet(blacklist))
        #expect(prepared.count == 600 && prepared.version == 1 && prepared.id.count == 16)
        let applicants = Self.ids(590..<610) + Self.ids(0..<3, "X")

        let q1 = try await Self.query(applicants, prepared, cache: nil).receiver.get()
        #expect(q1.downloaded && q1.cache.count == 600 && q1.cache.version == 1)
        #expect(q1.outcome.matches == Self.expected(applicants, blacklist))
        #expect(q1.outcome.peerSetSize == 600)

        let q2 = await Self.query(applicants, prepared, cache: q1.cache)
        let r2 = try q2.receiver.get(), s2 = try q2.sender.get()
        #expect(!r2.downloaded)
        #expect(r2.outcome.matches == Self.expected(applicants, blacklist))
        #expect(s2.peerSetSize == applicants.count && s2.matches == nil)
        // Only the batch crossed: hello, reply, 32 bytes per applicant each way.
        #expect(r2.outcome.stats.bytesReceived < 32 * applicants.count + 200, "\(r2.outcome.stats.bytesReceived)")
        #expect(q1.outcome.stats.bytesReceived > 16 * 600)

        // Size mode from the cache too.
        let q2s = try await Self.query(applicants, prepared, cache: q1.cache, mode: .size).receiver.get()
        #expect(q2s.outcome.matches == nil && q2s.outcome.size == 10 && !q2s.downloaded)

        // Add two applicants (and one already there), remove two listed ones.
        #expect(try prepared.add([Self.ids(600..<602), [Array("ID-5".utf8)]].flatMap { $0 }) == 2)
        #expect(prepared.version == 2)
        #expect(try prepared.remove([Array("ID-595".utf8), Array("ID-596".utf8), Array("never-listed".utf8)]) == 2)
        #expect(prepared.version == 3 && prepared.count == 600)
        #expect(try prepared.add([]) == 0 && prepared.remove([Array("never".utf8)]) == 0 && prepared.version == 3)
        blacklist += Self.ids(600..<602)
        blacklist.removeAll { $0 == Array("ID-595".utf8) || $0 == Array("ID-596".utf8) }

        let q3 = try await Self.query(applicants, prepared, cache: q2.receiver.get().cache).receiver.get()
        #expect(q3.downloaded && q3.cache.version == 3)
        #expect(q3.outcome.matches == Self.expected(applicants, blacklist))
        let q4 = try await Self.query(applicants, prepared, cache: q3.cache).receiver.get()
        #expect(!q4.downloaded && q4.outcome.matches == Self.expected(applicants, blacklist))

        // Stored and read back: same key, id, version and tags, so the receiver's cache stays current.
        let restored = try ECDHPSI.PreparedSet(serialized: prepared.serialized())
        #expect(restored.id == prepared.id && restored.version == 3 && restored.count == 600)
        let q5 = try await Self.query(applicants, restored, cache: q4.cache).receiver.get()
        #expect(!q5.downloaded && q5.outcome.matches == Self.expected(applicants, blacklist))

        // The receiver's cache, stored and read back, is still current.
        let storedCache = try ECDHPSI.ReceiverCache(serialized: q4.cache.serialized())
        #expect(storedCache.setID == q4.cache.setID && storedCache.version == 3 && storedCache.count == 600)
        let q5c = try await Self.query(applicants, restored, cache: storedCache).receiver.get()
        #expect(!q5c.downloaded && q5c.outcome.matches == Self.expected(applicants, blacklist))
        let cacheBytes = q4.cache.serialized()
        for bad in [Array(cacheBytes.dropLast()), cacheBytes + [1], Array(cacheBytes.prefix(30))] {
            #expect(throws: JobError(.invalidInput, "")) { _ = try ECDHPSI.ReceiverCache(serialized: bad) }
        }

        // Another preparation of the same list (new key and id) is another set: the cache does not apply.
        let other = try ECDHPSI.PreparedSet(PSISet(blacklist))
        let q6 = try await Self.query(applicants, other, cache: q4.cache).receiver.get()
        #expect(q6.downloaded && q6.outcome.matches == Self.expected(applicants, blacklist))
    }

    @Test("precomputed blinders: an intersection query uses them once; size mode and short pools do not")
    func precomputedBlinders() async throws {
        let blacklist = Self.ids(0..<300)
        let prepared = try ECDHPSI.PreparedSet(PSISet(blacklist))
        let applicants = Self.ids(290..<310)
        let first = try await Self.query(applicants, prepared, cache: nil).receiver.get()
        #expect(!first.usedPrecomputedBlinders && first.cache.publicKey == prepared.publicKey)
        first.cache.precomputeBlinders(25)
        #expect(first.cache.blindersAvailable == 25)
        let q = try await Self.query(applicants, prepared, cache: first.cache).receiver.get()
        #expect(q.usedPrecomputedBlinders && !q.downloaded)
        #expect(q.outcome.matches == Self.expected(applicants, blacklist))
        // Taken for every copy of the cache: 5 left, too few for 20 applicants.
        #expect(first.cache.blindersAvailable == 5 && q.cache.blindersAvailable == 5)
        let short = try await Self.query(applicants, prepared, cache: first.cache).receiver.get()
        #expect(!short.usedPrecomputedBlinders && short.outcome.matches == Self.expected(applicants, blacklist))
        // Size mode never uses them (its answers come back shuffled).
        q.cache.precomputeBlinders(20)
        let sized = try await Self.query(applicants, prepared, cache: q.cache, mode: .size).receiver.get()
        #expect(!sized.usedPrecomputedBlinders && sized.outcome.size == 10 && q.cache.blindersAvailable == 25)
        // A bad answer to a precomputed blinding still fails, naming the sender.
        let o = await Self.query(
            applicants, prepared, cache: q.cache, tamperParty: Self.registry, tamper: Self.onStep(.evaluated, Self.point(1, Self.identity)))
        guard case .failure(let e) = o.receiver else { Issue.record("accepted"); return }
        let j = try #require(e as? JobError)
        #expect(j.code == .protocolFailure && j.peer == "registry" && j.message.contains("identity"), "\(j.message)")
    }

    @Test("a stored prepared set that is truncated, padded, reordered or has a bad key is refused")
    func preparedSetFile() throws {
        let prepared = try ECDHPSI.PreparedSet(PSISet(Self.ids(0..<5)))
        let good = prepared.serialized()
        #expect(good.count == ECDHPSI.PreparedSet.headerBytes + 5 * 16)
        var zeroKey = good
        zeroKey.replaceSubrange(13..<45, with: [UInt8](repeating: 0, count: 32))
        var swapped = good
        let h = ECDHPSI.PreparedSet.headerBytes
        swapped.replaceSubrange(h..<(h + 32), with: Array(good[(h + 16)..<(h + 32)] + good[h..<(h + 16)]))
        var huge = good
        huge[69] = 0xFF
        for bad in [Array(good.dropLast()), good + [0], zeroKey, swapped, huge, Array(good.prefix(20)), []] {
            #expect(throws: JobError(.invalidInput, "")) { _ = try ECDHPSI.PreparedSet(serialized: bad) }
        }
    }

    @Test("a sender that claims the receiver's outdated cache is current fails the query, named")
    func staleCacheClaim() async throws {
        var prepared = try ECDHPSI.PreparedSet(PSISet(Self.ids(0..<50)))
        let first = try await Self.query(Self.ids(0..<5), prepared, cache: nil).receiver.get()
        try prepared.add([Array("new".utf8)])
        // The sender rewrites its reply: version 1 again and no tags.
        let o = await Self.query(
            Self.ids(0..<5), prepared, cache: first.cache, tamperParty: Self.registry,
            tamper: Self.onStep(.reply) { b in
                var b = b
                b[18] = 0
                b[16 + 39] = 1
                return b
            })
        guard case .failure(let e) = o.receiver else { Issue.record("accepted"); return }
        let j = try #require(e as? JobError)
        #expect(j.code == .protocolFailure && j.peer == "registry" && j.message.contains("cache"), "\(j.message)")
    }
}
