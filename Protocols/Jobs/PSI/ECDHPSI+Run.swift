import TacitCrypto
import TacitJob
import TacitMPC
import TacitMath
import TacitNet

/// The two sides of one run, shared by the balanced run and the prepared-set query. Message
/// order on the link: the receiver's hello and then all its blinded chunks; the sender's reply,
/// its tags (unless the receiver's cache is current), then the evaluated chunks. The sender
/// sends its tags first so that, on two machines, it computes them while the receiver is
/// still hashing and blinding; the receiver then unblinds each evaluated chunk as it arrives.
extension ECDHPSI {
    enum SenderSet {
        /// A balanced run: the set and a key drawn for this run only.
        case fresh(PSISet, Ristretto255.Scalar)
        case prepared(PreparedSet)
    }

    static func send(
        _ source: SenderSet, mode: PSIOutputMode, link: PairLink, settings: Settings, balanced: Context?,
        progress: PSIProgress?
    ) async throws -> PSIOutcome {
        let clock = ContinuousClock()
        let t0 = clock.now, s0 = link.bytesSent, r0 = link.bytesReceived, m0 = link.messagesSent
        return try await PSIRun.guarded(link) {
            if case .fresh(let set, _) = source, set.count > maxElements {
                throw JobError(.invalidInput, "a PSI set holds at most \(maxElements) elements, not \(set.count); split it")
            }
            let p = try await link.receive(step: Step.hello.rawValue, name: "hello", count: 1, bodyBytes: Hello.bytes)
            let (decoded, why) = Hello.decode(Array(p.bytes.dropFirst(PairLink.headerBytes)))
            guard let hello = decoded else { throw await malformed(link, "an invalid hello (\(why))") }
            try await agree(hello, mode: mode, unbalanced: balanced == nil, settings: settings, link: link)

            let key: Ristretto255.Scalar, context: Context, reply: Reply
            switch source {
            case .fresh(let set, let k):
                guard let balanced, hello.contextDigest == balanced.digest else {
                    throw await link.fail(MPCError(
                        .invalidParameter,
                        "\(link.peer) runs PSI for another session than this party: both must use the job's id",
                        peer: link.peer))
                }
                key = k
                context = balanced
                reply = Reply(
                    count: set.count, setID: [UInt8](repeating: 0, count: 16), setVersion: 0, sendsTags: true,
                    publicKey: [UInt8](repeating: 0, count: 32))
            case .prepared(let prepared):
                key = prepared.key
                context = Context(kind: .preparedSet, bytes: prepared.id)
                let current = hello.cachedSet == prepared.id && hello.cachedVersion == prepared.version
                reply = Reply(
                    count: prepared.count, setID: prepared.id, setVersion: prepared.version, sendsTags: !current,
                    publicKey: prepared.publicKey.encoded)
            }
            let r = reply.encoded()
            try await link.send(step: Step.reply.rawValue, count: 1, bodyBytes: r.count) { $0.copyBytes(from: r) }

            if reply.sendsTags {
                let tagChunks = chunks(reply.count, settings)
                switch source {
                case .fresh(let set, _):
                    // The receiver learns where in this list each match sits: shuffle, so that
                    // says nothing about the sender's own order (its row numbers).
                    var rng = SecureRandom()
                    let order = set.shuffled(using: &rng)
                    for (k, c) in tagChunks.enumerated() {
                        let out = try Ristretto255.hashToGroup(
                            order[c], prefix: context.prefix, dst: dst, multipliedBy: key,
                            output: .digests(prefix: tagDomain, bytes: tagBytes))
                        try await link.send(step: Step.tags.rawValue, count: c.count, bodyBytes: out.count) {
                            $0.copyBytes(from: out)
                        }
                        await progress?("hashing own set", Double(k + 1) / Double(tagChunks.count))
                    }
                case .prepared(let prepared):
                    // Sorted pseudo-random tags: an order that says nothing about the blacklist's.
                    let sorted = prepared.tags.sorted()
                    for c in tagChunks {
                        try await link.send(step: Step.tags.rawValue, count: c.count, bodyBytes: c.count * tagBytes) { raw in
                            for (j, i) in c.enumerated() { sorted[i].write(to: raw, at: j * tagBytes) }
                        }
                    }
                }
            }

            let blindedChunks = chunks(hello.count, settings)
            var gathered = [UInt8]()
            if mode == .size { gathered.reserveCapacity(hello.count * Ristretto255.pointBytes) }
            for (k, c) in blindedChunks.enumerated() {
                let p = try await link.receive(
                    step: Step.blinded.rawValue, name: "blinded points", count: c.count,
                    bodyBytes: c.count * Ristretto255.pointBytes)
                let out = try await multiplyReceived(p, by: key, output: .points, link: link, name: "blinded points", chunk: k)
                if mode == .intersection {
                    try await link.send(step: Step.evaluated.rawValue, count: c.count, bodyBytes: out.count) { $0.copyBytes(from: out) }
                } else {
                    gathered += out
                }
                await progress?("answering", Double(k + 1) / Double(blindedChunks.count))
            }
            if mode == .size {
                // Shuffled, the receiver can count its matches but not tell which they are.
                let w = Ristretto255.pointBytes
                var perm = Array(0..<hello.count)
                var rng = SecureRandom()
                perm.shuffle(using: &rng)
                for c in blindedChunks {
                    try await link.send(step: Step.evaluated.rawValue, count: c.count, bodyBytes: c.count * w) { raw in
                        gathered.withUnsafeBytes { src in
                            for (j, i) in c.enumerated() {
                                let from = perm[i] * w
                                UnsafeMutableRawBufferPointer(rebasing: raw[(j * w)..<((j + 1) * w)])
                                    .copyMemory(from: UnsafeRawBufferPointer(rebasing: src[from..<(from + w)]))
                            }
                        }
                    }
                }
            }
            // The receiver's last word: success here only if the receiver succeeded too.
            _ = try await link.receive(step: Step.done.rawValue, name: "done", count: 0, bodyBytes: 0)
            var stats = PSIStats()
            stats.bytesSent = link.bytesSent - s0
            stats.bytesReceived = link.bytesReceived - r0
            stats.messagesSent = link.messagesSent - m0
            stats.onlineSeconds = seconds(clock.now - t0)
            return PSIOutcome(matches: nil, size: nil, peerSetSize: hello.count, stats: stats)
        }
    }

    /// The hello must describe the same job as this party's call.
    static func agree(_ hello: Hello, mode: PSIOutputMode, unbalanced: Bool, settings: Settings, link: PairLink) async throws {
        guard hello.mode == mode else {
            throw await link.fail(MPCError(
                .invalidParameter,
                "\(link.peer) asks for PSI in '\(hello.mode.rawValue)' mode and this party runs '\(mode.rawValue)': "
                    + "both must run the same job spec", peer: link.peer))
        }
        guard hello.unbalanced == unbalanced else {
            throw await link.fail(MPCError(
                .invalidParameter,
                "\(link.peer) runs the \(hello.unbalanced ? "prepared-set query" : "balanced run") and this party the "
                    + "\(unbalanced ? "prepared-set query" : "balanced run"): both must run the same job spec", peer: link.peer))
        }
        guard hello.chunkElements == settings.chunkElements else {
            throw await link.fail(MPCError(
                .invalidParameter,
                "\(link.peer) sends \(hello.chunkElements) elements per message and this party \(settings.chunkElements): "
                    + "both must use the same settings", peer: link.peer))
        }
    }

    /// The receiver's side; `balanced` nil for a prepared-set query, with the receiver's
    /// cache of that set if it has one.
    static func receive(
        _ set: PSISet, mode: PSIOutputMode, link: PairLink, settings: Settings, balanced: Context?,
        cache: ReceiverCache?, progress: PSIProgress?
    ) async throws -> (outcome: PSIOutcome, cache: ReceiverCache?, precomputed: Bool) {
        let clock = ContinuousClock()
        let t0 = clock.now, s0 = link.bytesSent, r0 = link.bytesReceived, m0 = link.messagesSent
        return try await PSIRun.guarded(link) {
            guard set.count <= maxElements else {
                throw JobError(.invalidInput, "a PSI set holds at most \(maxElements) elements, not \(set.count); split it")
            }
            let n = set.count
            let hello = Hello(
                mode: mode, unbalanced: balanced == nil, chunkElements: settings.chunkElements, count: n,
                contextDigest: balanced?.digest ?? [UInt8](repeating: 0, count: 32),
                cachedSet: cache?.setID ?? [UInt8](repeating: 0, count: 16), cachedVersion: cache?.version ?? 0)
            let h = hello.encoded()
            try await link.send(step: Step.hello.rawValue, count: 1, bodyBytes: h.count) { $0.copyBytes(from: h) }

            let p = try await link.receive(step: Step.reply.rawValue, name: "reply", count: 1, bodyBytes: Reply.bytes)
            let (decoded, why) = Reply.decode(Array(p.bytes.dropFirst(PairLink.headerBytes)))
            guard let reply = decoded else { throw await malformed(link, "an invalid reply (\(why))") }
            var cached: ReceiverCache?
            if !reply.sendsTags {
                guard balanced == nil, let cache, cache.setID == reply.setID, cache.version == reply.setVersion,
                      cache.count == reply.count
                else {
                    throw await malformed(
                        link, "no tags, as if this party's cache of its set were current, and it is not (or this is a "
                            + "balanced run)")
                }
                cached = cache
            }
            let context = balanced ?? Context(kind: .preparedSet, bytes: reply.setID)
            // A prepared set's public key: what this party's precomputed blinders were made for.
            var publicKey: Ristretto255.Point?
            if balanced == nil {
                do {
                    publicKey = try Ristretto255.Point(validating: reply.publicKey)
                } catch {
                    throw await malformed(link, "an invalid public key in its reply (\(error))")
                }
                if let cache, cache.setID == reply.setID, cache.publicKey != publicKey {
                    throw await malformed(link, "another public key for the same prepared set id")
                }
            }
            let pool = cache.flatMap { $0.setID == reply.setID && $0.publicKey == publicKey ? $0.pool : nil } ?? BlinderPool()
            // Precomputed blinders (intersection mode only: in size mode the answers come back
            // shuffled, and each answer's offset must be known).
            let blinders = mode == .intersection && balanced == nil ? pool.take(n) : nil

            let a = Ristretto255.Scalar.random()
            let own = chunks(n, settings)
            for (k, c) in own.enumerated() {
                let out = try blinders.map { b throws(Ristretto255.Failure) in
                    try Ristretto255.hashToGroup(
                        set[c], prefix: context.prefix, dst: dst,
                        adding: b.addends[(c.lowerBound * 32)..<(c.upperBound * 32)])
                } ?? Ristretto255.hashToGroup(set[c], prefix: context.prefix, dst: dst, multipliedBy: a)
                try await link.send(step: Step.blinded.rawValue, count: c.count, bodyBytes: out.count) { $0.copyBytes(from: out) }
                await progress?("blinding", Double(k + 1) / Double(own.count))
            }

            let peerTags: Set<Tag>
            if let cached {
                peerTags = cached.tags
            } else {
                var t = Set<Tag>()
                // Grows with what arrives: the reserve is capped so a peer's count alone never
                // sizes an allocation beyond a few MiB.
                t.reserveCapacity(min(reply.count, 1 << 16))
                let tagChunks = chunks(reply.count, settings)
                for (k, c) in tagChunks.enumerated() {
                    let q = try await link.receive(
                        step: Step.tags.rawValue, name: "tags", count: c.count, bodyBytes: c.count * tagBytes)
                    q.withUnsafeBytes { raw in
                        for j in 0..<c.count { t.insert(Tag(raw, at: PairLink.headerBytes + j * tagBytes)) }
                    }
                    await progress?("receiving the peer's tags", Double(k + 1) / Double(tagChunks.count))
                }
                peerTags = t
            }

            let inverse = a.inverted()
            var mine = [Tag]()
            mine.reserveCapacity(n)
            for (k, c) in own.enumerated() {
                let q = try await link.receive(
                    step: Step.evaluated.rawValue, name: "evaluated points", count: c.count,
                    bodyBytes: c.count * Ristretto255.pointBytes)
                let output = Ristretto255.BatchOutput.digests(prefix: tagDomain, bytes: tagBytes)
                let d: [UInt8]
                if let blinders {
                    let offsets = blinders.offsets[(c.lowerBound * 32)..<(c.upperBound * 32)]
                    d = try await onReceived(q, link: link, name: "evaluated points", chunk: k) { body throws(Ristretto255.Failure) in
                        try Ristretto255.subtract(raw: body, offsets, output: output)
                    }
                } else {
                    d = try await multiplyReceived(q, by: inverse, output: output, link: link, name: "evaluated points", chunk: k)
                }
                mine += tags(d)
                await progress?("unblinding", Double(k + 1) / Double(own.count))
            }

            var outcome = PSIOutcome(matches: nil, size: nil, peerSetSize: reply.count, stats: PSIStats())
            if mode == .intersection {
                let matches = mine.indices.filter { peerTags.contains(mine[$0]) }
                outcome.matches = matches
                outcome.size = matches.count
            } else {
                outcome.size = mine.reduce(0) { $0 + (peerTags.contains($1) ? 1 : 0) }
            }
            try await link.send(step: Step.done.rawValue, count: 0, bodyBytes: 0) { _ in }
            outcome.stats.bytesSent = link.bytesSent - s0
            outcome.stats.bytesReceived = link.bytesReceived - r0
            outcome.stats.messagesSent = link.messagesSent - m0
            outcome.stats.onlineSeconds = seconds(clock.now - t0)
            let newCache = publicKey.map { key in
                cached ?? ReceiverCache(setID: reply.setID, version: reply.setVersion, tags: peerTags, publicKey: key, pool: pool)
            }
            return (outcome, newCache, blinders != nil)
        }
    }
}
