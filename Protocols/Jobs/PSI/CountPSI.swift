import TacitCrypto
import TacitJob
public import TacitMPC
import TacitMath
public import TacitNet

/// The bank scenario's stricter mode: the receiver learns, for each of its identifiers, how
/// many of the k other banks list it, and not which. Semi-honest, on ristretto255 like
/// ``ECDHPSI``, with one key per bank and a key K = b₁·…·b_k that no party knows.
///
/// Bank j's identifiers are hashed with its index: H_j(y) = hash_to_ristretto255(prefix_j ‖ y),
/// so equal identifiers at two banks give different points and the union of all lists has no
/// repeats (otherwise its receiver would see how many identifiers two or three banks share,
/// well beyond its own applicants).
///
/// - **Ring** (the lists): bank j sends b_j·H_j(y) for its list, shuffled, to the next bank in
///   sorted order; each bank multiplies what arrives by its own key and passes it on, so after
///   k hops every point is K·H_j(y). The bank making the last hop sends only the 16-byte tags
///   T = SHA-512(tag domain ‖ K·H_j(y)) to the gathering bank (the last one in order), which
///   sorts all tags together (sorted pseudo-random tags say nothing about whose they are) and
///   sends the union to the receiver.
/// - **Chain** (the receiver's identifiers): the receiver sends, for each of its n
///   identifiers, the group a·H_1(x), …, a·H_k(x) under a fresh secret a, through the banks in
///   order; each multiplies by its key and shuffles the points *within each group* with a
///   CSPRNG; the last bank returns the groups to the receiver, which removes a and computes
///   the tags. Its identifier x is listed by exactly as many banks as there are tags of its
///   group in the union; after any honest bank's shuffle, the position of a matching tag in
///   its group says nothing about which bank it came from.
///
/// The ring takes longer than a receive waits: the gatherer sends keepalives to every party
/// while it runs, and every receive here reads past them. The receiver's closing "done" goes
/// to the gatherer, which passes it on, so that every party succeeds only if the receiver did.
///
/// Every point received is validated (canonical, in the group, not the identity) by the
/// multiplication that uses it. Sizes are bounded (``maxElements``) before anything is
/// allocated from a peer's count. A party that fails tells every party it has a link to.
///
/// What each party learns: the receiver, for each of its identifiers the number of banks
/// listing it, and the total size of the banks' lists; each bank, the receiver's number of
/// identifiers and every bank's list size (the ring carries them). A receiver colluding with
/// the gathering bank could tell whose each union tag was, and so which banks list a match;
/// a receiver deviating from the protocol (sending one bank's point k times) could learn one
/// bank's answer: the mode is for parties trusted to run it as written.
public enum CountPSI {
    /// The largest list a bank may bring, and the largest union: each ring hop buffers a whole
    /// list at the next bank (32 bytes a point, 128 MiB at this size), well within the mesh's
    /// per-peer buffer.
    public static let maxElements = 1 << 22
    /// At most this many banks (the job's party limit, less the receiver).
    public static let maxBanks = 15

    enum Step: UInt8 {
        case queryHead = 0x71, query = 0x72, ringHead = 0x73, ring = 0x74
        case completeHead = 0x75, complete = 0x76, unionHead = 0x77, union = 0x78, done = 0x79
    }

    /// Who plays which part: the same at every party (the job's spec fixes it).
    public struct Layout: Sendable, Equatable {
        public let receiver: PartyID
        /// Sorted: bank j is `banks[j]`, the ring and the chain go in this order, and the last
        /// one gathers the union.
        public let banks: [PartyID]
        public init(receiver: PartyID, banks: [PartyID]) {
            self.receiver = receiver
            self.banks = banks.sorted()
        }
        var gatherer: PartyID { banks[banks.count - 1] }
        /// Every transfer's head carries this, so parties with another layout or session fail
        /// at once instead of finding nothing in common.
        func digest(_ session: [UInt8]) -> [UInt8] {
            var w = Array("TACIT-PSI-V01-count".utf8) + ECDHPSI.be(UInt64(session.count), 2) + session
            for p in [receiver] + banks {
                let b = Array(p.name.utf8)
                w += ECDHPSI.be(UInt64(b.count), 2) + b
            }
            return Array(Ristretto255.sha512(w).prefix(32))
        }
        /// The hash prefix of bank j's points.
        func prefix(_ session: [UInt8], bank j: Int) -> [UInt8] {
            ECDHPSI.Context(kind: .countSession, bytes: session + ECDHPSI.be(UInt64(j), 2)).prefix
        }
    }

    /// The receiver's result.
    public struct Counts: Sendable, Equatable {
        /// For each element of the receiver's set, in its order: how many banks list it.
        public var listings: [Int]
        /// The banks' lists' sizes added up (what the union reveals).
        public var unionSize: Int
        public var stats: PSIStats
    }

    // MARK: Receiver

    /// The receiver's side. `links` holds one link per bank. Every party passes the same
    /// `session` (the job id) and `settings`.
    public static func receive(
        _ set: PSISet, layout: Layout, links: [PartyID: PairLink], session: [UInt8],
        settings: ECDHPSI.Settings = ECDHPSI.Settings(), progress: PSIProgress? = nil
    ) async throws -> Counts {
        let t0 = ContinuousClock.now
        let k = layout.banks.count
        return try await guardedAll(links) {
            guard (1...maxBanks).contains(k), layout.banks.allSatisfy({ links[$0] != nil }) else {
                throw JobError(.invalidSpec, "the count mode needs 1 to \(maxBanks) banks besides the receiver, with a link to each")
            }
            guard set.count <= maxElements else {
                throw JobError(.invalidInput, "the count mode takes at most \(maxElements) identifiers, not \(set.count); split the batch")
            }
            let digest = layout.digest(session)
            let first = try link(links, layout.banks[0]), last = try link(links, layout.gatherer)
            let n = set.count
            let groups = groupChunks(n, banks: k, settings)
            try await sendHead(first, .queryHead, count: n, digest: digest)
            let a = Ristretto255.Scalar.random()
            let prefixes = (0..<k).map { layout.prefix(session, bank: $0) }
            for (c, range) in groups.enumerated() {
                // For each identifier, its k points side by side: a·H_1(x) … a·H_k(x).
                let perBank = try prefixes.map { p throws(Ristretto255.Failure) in
                    try Ristretto255.hashToGroup(set[range], prefix: p, dst: ECDHPSI.dst, multipliedBy: a)
                }
                let w = Ristretto255.pointBytes
                try await first.send(step: Step.query.rawValue, count: range.count * k, bodyBytes: range.count * k * w) { raw in
                    for i in 0..<range.count {
                        for j in 0..<k {
                            perBank[j].withUnsafeBytes { src in
                                UnsafeMutableRawBufferPointer(rebasing: raw[((i * k + j) * w)...])
                                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[(i * w)..<((i + 1) * w)]))
                            }
                        }
                    }
                }
                await progress?("blinding", 0.4 * Double(c + 1) / Double(groups.count))
            }

            // The chain comes back first: every bank answers it before the ring.
            let back = try await receiveHead(last, .queryHead, name: "answered query", digest: digest, at: maxElements)
            guard back == n else {
                throw await ECDHPSI.malformed(last, "answers for \(back) identifiers where this party sent \(n)")
            }
            let inverse = a.inverted()
            var mine = [ECDHPSI.Tag]()
            mine.reserveCapacity(n * k)
            for (c, range) in groups.enumerated() {
                let q = try await last.receive(
                    step: Step.query.rawValue, name: "answered query", count: range.count * k,
                    bodyBytes: range.count * k * Ristretto255.pointBytes, keepalives: true)
                let d = try await ECDHPSI.multiplyReceived(
                    q, by: inverse, output: .digests(prefix: ECDHPSI.tagDomain, bytes: ECDHPSI.tagBytes), link: last,
                    name: "answered query", chunk: c)
                mine += ECDHPSI.tags(d)
                await progress?("unblinding", 0.4 + 0.3 * Double(c + 1) / Double(groups.count))
            }

            // The ring takes longer than a receive waits; the gatherer sends keepalives meanwhile.
            let total = try await receiveHead(last, .unionHead, name: "union", digest: digest, at: maxElements)
            var union = Set<ECDHPSI.Tag>()
            union.reserveCapacity(min(total, 1 << 16))
            let tagChunks = ECDHPSI.chunks(total, settings)
            for (c, range) in tagChunks.enumerated() {
                let q = try await last.receive(
                    step: Step.union.rawValue, name: "union", count: range.count, bodyBytes: range.count * ECDHPSI.tagBytes, keepalives: true)
                q.withUnsafeBytes { raw in
                    for j in 0..<range.count { union.insert(ECDHPSI.Tag(raw, at: PairLink.headerBytes + j * ECDHPSI.tagBytes)) }
                }
                await progress?("receiving the union", 0.7 + 0.3 * Double(c + 1) / Double(tagChunks.count))
            }
            guard union.count == total else {
                throw await ECDHPSI.malformed(last, "a union with repeated tags (\(total - union.count) of \(total)): the lists' tags are distinct by construction")
            }

            var listings = [Int](repeating: 0, count: n)
            for i in 0..<n {
                // Distinct tags only: a group with a repeated point would count one bank twice.
                let group = Set(mine[(i * k)..<((i + 1) * k)])
                listings[i] = group.reduce(0) { $0 + (union.contains($1) ? 1 : 0) }
            }
            // Every bank's success waits for this (through the gatherer), so that all end alike.
            try await last.send(step: Step.done.rawValue, count: 0, bodyBytes: 0) { _ in }
            let stats = Self.stats(links, since: t0)
            return Counts(listings: listings, unionSize: total, stats: stats)
        }
    }

    // MARK: Bank

    /// Bank `layout.banks[j]`'s side (the local party). `links` holds a link to the receiver
    /// and to every other bank. Returns the receiver's set size.
    public static func bank(
        _ set: PSISet, layout: Layout, links: [PartyID: PairLink], session: [UInt8],
        settings: ECDHPSI.Settings = ECDHPSI.Settings(), progress: PSIProgress? = nil
    ) async throws -> PSIOutcome {
        let t0 = ContinuousClock.now
        let k = layout.banks.count
        return try await guardedAll(links) {
            guard (1...maxBanks).contains(k), let me = links.values.first?.channel.localParty,
                  let j = layout.banks.firstIndex(of: me)
            else {
                throw JobError(.invalidSpec, "this party is not one of the count mode's banks, or has no links")
            }
            guard set.count <= maxElements else {
                throw JobError(.invalidInput, "the count mode takes lists of at most \(maxElements) identifiers, not \(set.count); split the list")
            }
            let digest = layout.digest(session)
            let key = Ristretto255.Scalar.random()
            let receiver = try link(links, layout.receiver)
            // With one bank there is no ring: its own hop is the last.
            let next = k > 1 ? try link(links, layout.banks[(j + 1) % k]) : nil
            let previous = k > 1 ? try link(links, layout.banks[(j + k - 1) % k]) : nil
            let gatherer = layout.gatherer
            var rng = SecureRandom()
            // The receiver waits for the union through the whole ring, and the banks for the
            // gatherer's "done": the gatherer tells them all now and then that work goes on.
            var beat = Keepalive(to: me == gatherer ? links.values.sorted { $0.peer < $1.peer } : [])
            let tagOutput = Ristretto255.BatchOutput.digests(prefix: ECDHPSI.tagDomain, bytes: ECDHPSI.tagBytes)
            // Tags this bank ends with: of the list it completes, and at the gatherer all others.
            var completed = [UInt8]()

            // The chain: the receiver's groups, times this bank's key, shuffled within each group.
            let from = j == 0 ? receiver : try link(links, layout.banks[j - 1])
            let to = j == k - 1 ? receiver : try link(links, layout.banks[j + 1])
            let n = try await receiveHead(from, .queryHead, name: "query", digest: digest, at: maxElements)
            try await sendHead(to, .queryHead, count: n, digest: digest)
            let groups = groupChunks(n, banks: k, settings)
            for (c, range) in groups.enumerated() {
                let w = Ristretto255.pointBytes
                let p = try await from.receive(
                    step: Step.query.rawValue, name: "query", count: range.count * k, bodyBytes: range.count * k * w, keepalives: true)
                let d = try await ECDHPSI.multiplyReceived(p, by: key, output: .points, link: from, name: "query", chunk: c)
                try await to.send(step: Step.query.rawValue, count: range.count * k, bodyBytes: d.count) { raw in
                    d.withUnsafeBytes { src in
                        var order = Array(0..<k)
                        for i in 0..<range.count {
                            order.shuffle(using: &rng)
                            for (slot, source) in order.enumerated() {
                                let s = (i * k + source) * w
                                UnsafeMutableRawBufferPointer(rebasing: raw[((i * k + slot) * w)...])
                                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[s..<(s + w)]))
                            }
                        }
                    }
                }
                await progress?("answering", 0.3 * Double(c + 1) / Double(groups.count))
            }

            // The ring's first hop: this bank's own list, in a shuffled order (its order says
            // something about its rows).
            let own = set.shuffled(using: &rng)
            let prefix = layout.prefix(session, bank: j)
            let ownChunks = ECDHPSI.chunks(own.count, settings)
            if let next {
                try await sendHead(next, .ringHead, count: own.count, digest: digest)
                for (c, range) in ownChunks.enumerated() {
                    let out = try Ristretto255.hashToGroup(own[range], prefix: prefix, dst: ECDHPSI.dst, multipliedBy: key)
                    try await next.send(step: Step.ring.rawValue, count: range.count, bodyBytes: out.count) { $0.copyBytes(from: out) }
                    try await beat.tick()
                    await progress?("hashing own list", 0.3 + 0.3 * Double(c + 1) / Double(ownChunks.count))
                }
            } else {
                for c in ownChunks {
                    completed += try Ristretto255.hashToGroup(own[c], prefix: prefix, dst: ECDHPSI.dst, multipliedBy: key, output: tagOutput)
                    try await beat.tick()
                }
            }
            // Hops 2…k: what the previous bank passes on, times this bank's key; the last hop
            // makes tags, for the gatherer.
            for hop in 1..<k {
                guard let previous, let next else { break }
                let count = try await receiveHead(previous, .ringHead, name: "ring", digest: digest, at: maxElements)
                let lastHop = hop == k - 1
                let toGatherer = lastHop && me != gatherer
                let out = lastHop ? (toGatherer ? try link(links, gatherer) : nil) : next
                if let out { try await sendHead(out, lastHop ? .completeHead : .ringHead, count: count, digest: digest) }
                let ring = ECDHPSI.chunks(count, settings)
                for (c, range) in ring.enumerated() {
                    let p = try await previous.receive(
                        step: Step.ring.rawValue, name: "ring", count: range.count, bodyBytes: range.count * Ristretto255.pointBytes, keepalives: true)
                    let d = try await ECDHPSI.multiplyReceived(
                        p, by: key, output: lastHop ? tagOutput : .points, link: previous, name: "ring", chunk: c)
                    if let out {
                        try await out.send(step: (lastHop ? Step.complete : Step.ring).rawValue, count: range.count, bodyBytes: d.count) {
                            $0.copyBytes(from: d)
                        }
                    } else {
                        completed += d
                    }
                    try await beat.tick()
                }
                await progress?("passing lists on", 0.6 + 0.3 * Double(hop) / Double(k))
            }

            if me == gatherer {
                var tags = ECDHPSI.tags(completed)
                for bank in layout.banks where bank != me {
                    let l = try link(links, bank)
                    let count = try await receiveHead(l, .completeHead, name: "completed list", digest: digest, at: maxElements)
                    guard tags.count + count <= maxElements else {
                        throw await ECDHPSI.malformed(l, "a list that takes the union past \(maxElements) tags")
                    }
                    for range in ECDHPSI.chunks(count, settings) {
                        let p = try await l.receive(
                            step: Step.complete.rawValue, name: "completed list", count: range.count,
                            bodyBytes: range.count * ECDHPSI.tagBytes, keepalives: true)
                        tags += ECDHPSI.tags(Array(p.bytes.dropFirst(PairLink.headerBytes)))
                        try await beat.tick()
                    }
                }
                // Sorted, the union's order says nothing about which list each tag came from.
                tags.sort()
                try await sendHead(receiver, .unionHead, count: tags.count, digest: digest)
                for range in ECDHPSI.chunks(tags.count, settings) {
                    try await receiver.send(step: Step.union.rawValue, count: range.count, bodyBytes: range.count * ECDHPSI.tagBytes) { raw in
                        for (i, t) in tags[range].enumerated() { t.write(to: raw, at: i * ECDHPSI.tagBytes) }
                    }
                }
            }
            if me == gatherer {
                _ = try await receiver.receive(step: Step.done.rawValue, name: "done", count: 0, bodyBytes: 0, keepalives: true)
                for bank in layout.banks where bank != me {
                    try await link(links, bank).send(step: Step.done.rawValue, count: 0, bodyBytes: 0) { _ in }
                }
            } else {
                _ = try await link(links, gatherer).receive(step: Step.done.rawValue, name: "done", count: 0, bodyBytes: 0, keepalives: true)
            }
            await progress?("done", 1)
            let stats = Self.stats(links, since: t0)
            return PSIOutcome(matches: nil, size: nil, peerSetSize: n, stats: stats)
        }
    }

    // MARK: Pieces

    /// What every link of this party carried, and the time since `start`.
    static func stats(_ links: [PartyID: PairLink], since start: ContinuousClock.Instant) -> PSIStats {
        var stats = PSIStats()
        for l in links.values {
            stats.bytesSent += l.bytesSent
            stats.bytesReceived += l.bytesReceived
            stats.messagesSent += l.messagesSent
        }
        stats.onlineSeconds = ECDHPSI.seconds(.now - start)
        return stats
    }

    /// Sends a keepalive on `links` when a quarter of the shortest receive timeout has gone by
    /// since the last. Every receive of this protocol reads past keepalives.
    struct Keepalive {
        let links: [PairLink]
        let interval: Duration
        var last = ContinuousClock.now
        init(to links: [PairLink]) {
            self.links = links
            interval = links.map(\.keepaliveInterval).min() ?? .seconds(15)
        }
        mutating func tick() async throws {
            guard !links.isEmpty, ContinuousClock.now - last >= interval else { return }
            for l in links { try await l.sendKeepalive() }
            last = .now
        }
    }

    /// Chunks of whole groups: about `chunkElements` points a message.
    static func groupChunks(_ n: Int, banks k: Int, _ settings: ECDHPSI.Settings) -> [Range<Int>] {
        let c = max(1, ECDHPSI.chunkSize(n, settings) / max(1, k))
        return stride(from: 0, to: n, by: c).map { $0..<min(n, $0 + c) }
    }

    static func link(_ links: [PartyID: PairLink], _ party: PartyID) throws -> PairLink {
        guard let l = links[party] else { throw JobError(.invalidSpec, "no link to \(party) for the count mode") }
        return l
    }

    /// A transfer's head: the layout's digest and how many items follow.
    static func sendHead(_ link: PairLink, _ step: Step, count: Int, digest: [UInt8]) async throws {
        let body = digest + ECDHPSI.be(UInt64(count), 8)
        try await link.send(step: step.rawValue, count: 1, bodyBytes: body.count) { $0.copyBytes(from: body) }
    }

    /// Reads a head; fails naming the peer if its layout differs or its count exceeds `limit`.
    static func receiveHead(
        _ link: PairLink, _ step: Step, name: String, digest: [UInt8], at limit: Int
    ) async throws -> Int {
        let p = try await link.receive(step: step.rawValue, name: "\(name) head", count: 1, bodyBytes: 40, keepalives: true)
        let b = Array(p.bytes.dropFirst(PairLink.headerBytes))
        guard Array(b[0..<32]) == digest else {
            throw await link.fail(MPCError(
                .invalidParameter,
                "\(link.peer) runs the count mode for another job or another set of parties than this party: both must run the same job spec",
                peer: link.peer))
        }
        let count = ECDHPSI.readBE(b, 32, 8)
        guard count <= UInt64(limit) else {
            throw await ECDHPSI.malformed(link, "a '\(name)' of \(count) items (at most \(limit))")
        }
        return Int(count)
    }

    /// Runs `body`; on failure every link is told (the first one failed carries the cause,
    /// the others learn that this party gave up), and the job's error names the culprit.
    static func guardedAll<R>(_ links: [PartyID: PairLink], _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch {
            let cause: MPCError
            if let failed = links.values.compactMap(\.failure).first {
                cause = failed
            } else if let e = error as? JobError {
                cause = MPCError(e.code == .invalidInput ? .invalidArgument : .malformedMessage, e.message)
            } else {
                cause = error as? MPCError
                    ?? (error is CancellationError ? MPCError(.cancelled, "the PSI run was cancelled") : MPCError(.malformedMessage, "\(error)"))
            }
            // A peer's abort is passed on too (as a cancellation: `fail` echoes no abort), so
            // that parties waiting on other links stop now rather than at their timeout.
            for l in links.values.sorted(by: { $0.peer < $1.peer }) where l.failure == nil {
                _ = await l.fail(MPCError(cause.code == .peerAborted ? .cancelled : cause.code, cause.message, peer: cause.peer))
            }
            if let e = error as? JobError, e.code == .invalidInput || e.code == .invalidSpec { throw e }
            throw JobError(.protocolFailure, cause.message, peer: cause.peer?.name)
        }
    }
}
