public import TacitNet
import TacitMath
import TacitBytes
import Synchronization

/// One party's side of one MPC job: the compute parties, a channel bound to the job's
/// session, and the step (tag) counter that keeps every party's messages of one protocol step
/// together. Protocols talk only through this; the same code runs over `InMemoryMesh` in one
/// process and over `ZeroMQMesh` across machines.
///
/// Messages: every payload starts with one kind byte (`data`, `done`, `abort`); data is a
/// vector of 64-bit little-endian words whose length every receiver knows in advance and
/// checks, with optional per-element validation (canonical field elements). A malformed
/// message, a timeout or any other failure makes this party send an abort (with the reason)
/// to every peer on a reserved tag that every party watches for the whole job, so all parties
/// fail promptly with an error naming the culprit instead of hanging or answering wrongly.
///
/// Not thread-safe: one job task drives it (the abort watchers touch only the channel and
/// `aborted`, which is locked).
public final class MPCContext: @unchecked Sendable {
    // @unchecked: `tagCounter` is used from the single job task only; `aborted` is Locked.
    public let channel: SessionChannel
    /// The computing parties, sorted; a subset of the mesh's members.
    public let parties: [PartyID]
    public let localParty: PartyID
    /// This party's position in `parties`.
    public let index: Int
    /// How long a receive waits for a peer.
    public let timeout: Duration
    private var tagCounter: UInt64 = 0
    /// The body of a long outgoing message before it is cut into pieces (reused).
    private let outgoingBody = WordScratch()
    private let aborted = Locked(false)
    /// Deterministic seeds for tests (statistical checks); nil in production.
    private let seedStream: AESPRG?

    /// The tag reserved for abort notices.
    public static let abortTag = Tag(UInt64.max)

    enum Kind: UInt8 {
        case data = 0x01
        case done = 0x02
        /// A piece of a long message that more pieces follow (the last is `.data`).
        case more = 0x03
        case abort = 0xAB
    }

    init(channel: SessionChannel, parties: [PartyID], timeout: Duration, testingSeed: UInt64? = nil) throws {
        let sorted = parties.sorted()
        guard Set(sorted).count == sorted.count else {
            throw MPCError(.invalidArgument, "the job lists a party twice: \(parties)")
        }
        guard let i = sorted.firstIndex(of: channel.localParty) else {
            throw MPCError(.invalidArgument, "\(channel.localParty) is not one of the job's parties \(sorted)")
        }
        let members = Set(channel.parties)
        for p in sorted where !members.contains(p) {
            throw MPCError(.invalidArgument, "\(p) is a job party but not a member of the mesh \(channel.parties)")
        }
        self.channel = channel
        self.parties = sorted
        self.localParty = channel.localParty
        self.index = i
        self.timeout = timeout
        if let testingSeed {
            var seed = [UInt8](repeating: 0, count: 16)
            withUnsafeBytes(of: testingSeed.littleEndian) { for k in 0..<8 { seed[k] = $0[k] } }
            withUnsafeBytes(of: UInt64(i).littleEndian) { for k in 0..<8 { seed[8 + k] = $0[k] } }
            seedStream = AESPRG(seed: seed)
        } else {
            seedStream = nil
        }
    }

    /// A fresh 16-byte PRG seed for this party's private randomness. Every random choice a
    /// protocol makes must come from here (or ``SecureRandom``), so tests can make a run
    /// reproducible with `testingSeed`.
    public func freshSeed() -> [UInt8] {
        seedStream?.bytes(16) ?? AESPRG.randomSeed()
    }

    /// How many protocol steps (tags) this job has used so far.
    public var stepCount: UInt64 { tagCounter }

    public var partyCount: Int { parties.count }
    public var peers: [PartyID] { parties.filter { $0 != localParty } }
    /// The first party in sorted order: adds public constants, for example.
    public var isLeader: Bool { index == 0 }

    /// The next protocol step's tag. Every party must call this the same number of times in
    /// the same order (they run the same program), which is what pairs their messages.
    public func nextTag() -> Tag {
        tagCounter += 1
        return Tag(tagCounter)
    }

    // MARK: Running a job

    /// Runs `body` as this party's side of a job over `channel` with `parties` computing,
    /// then a final round in which every party confirms it finished (so that a party that
    /// failed late still fails the job everywhere). Throws the first failure: this party's
    /// own, or a peer's abort.
    public static func run<R: Sendable>(
        channel: SessionChannel, parties: [PartyID]? = nil, timeout: Duration = .seconds(60),
        testingSeed: UInt64? = nil,
        _ body: @escaping @Sendable (MPCContext) async throws -> R
    ) async throws -> R {
        let context = try MPCContext(
            channel: channel, parties: parties ?? channel.parties, timeout: timeout, testingSeed: testingSeed)
        // A child returns nil when it is an abort watcher that ended quietly.
        return try await withThrowingTaskGroup(of: R?.self) { group in
            for peer in context.peers {
                group.addTask {
                    // Waits for the whole job: an abort from this peer fails the job.
                    let payload: Payload
                    do {
                        payload = try await channel.channel.receive(
                            from: peer, session: channel.session, tag: MPCContext.abortTag, timeout: nil)
                    } catch {
                        return nil
                    }
                    // Marked before the throw cancels the run: the run's own catch then finds
                    // this party already aborted, and never tells the others that it failed on
                    // a cancellation, which would name it instead of this peer.
                    let e = MPCContext.abortError(from: peer, payload)
                    await context.abort(e)
                    throw e
                }
            }
            group.addTask {
                do {
                    let r = try await body(context)
                    try await context.finish()
                    return r
                } catch let e as MPCError {
                    await context.abort(e)
                    throw e
                } catch is CancellationError {
                    // Stopped from outside (a peer's abort, or the job ended on the ledger):
                    // not this party's failure to announce.
                    let e = MPCError(.cancelled, "the run was stopped")
                    await context.abort(e)
                    throw e
                } catch {
                    let e = MPCError(.network, "the job failed: \(error)")
                    await context.abort(e)
                    throw e
                }
            }
            while let next = try await group.next() {
                if let r = next {
                    group.cancelAll()
                    return r
                }
            }
            throw MPCError(.cancelled, "the job ended without a result")
        }
    }

    static func abortError(from peer: PartyID, _ payload: Payload) -> MPCError {
        let reason = payload.withUnsafeBytes { raw -> String in
            guard raw.count >= 1, raw[0] == Kind.abort.rawValue else { return "(malformed abort notice)" }
            return String(decoding: raw.dropFirst().prefix(2000), as: UTF8.self)
        }
        return MPCError(.peerAborted, "\(peer) aborted the job: \(reason)", peer: peer)
    }

    /// Tells every peer that this party gives up, once. Best effort: a peer that is gone
    /// times out on its own.
    func abort(_ error: MPCError) async {
        let first = aborted.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        if error.code == .peerAborted || error.code == .cancelled { return }
        let text = Array("\(localParty): \(error)".utf8.prefix(2000))
        let payload = Payload([Kind.abort.rawValue] + text)
        for peer in peers {
            try? await channel.send(payload, to: peer, tag: MPCContext.abortTag)
        }
    }

    /// Every party says it is done; a missing or wrong confirmation fails the job.
    func finish() async throws {
        let tag = nextTag()
        let done = Payload([Kind.done.rawValue])
        for peer in peers { try await send(done, to: peer, tag: tag) }
        let got = try await gather(from: peers, tag: tag)
        for (peer, p) in got {
            let ok = p.withUnsafeBytes { $0.count == 1 && $0[0] == Kind.done.rawValue }
            if !ok {
                throw MPCError(.malformedMessage, "\(peer) sent a malformed end-of-job confirmation (\(p.count) bytes)", peer: peer)
            }
        }
    }

    // MARK: Messages

    /// Which received words are acceptable.
    public enum Validation: Sendable {
        case any
        /// Every word must be below the bound (canonical field elements).
        case below(UInt64)
        /// Every word must be 0 or 1.
        case bit
    }

    /// A message whose body is longer than this travels as several pieces of at most this
    /// many bytes, each its own transport message under a tag derived from the step's
    /// (``pieceTag(_:_:)``). CURVE encrypts and authenticates whole messages, so one 16 MiB
    /// message is encrypted, transferred and decrypted strictly in turn; in 1 MiB pieces the
    /// three overlap. The bytes, their order and the round are the same; every piece is
    /// length-checked, and only the last carries the `.data` kind (the others `.more`), so
    /// a peer that sends more or fewer pieces than expected is caught as malformed.
    public static let pieceBytes = 1 << 20

    static func pieceCount(words: Int) -> Int { max(1, (8 * words + pieceBytes - 1) / pieceBytes) }

    /// Piece 0 uses the step's own tag; piece i sets bits 40… (steps stay below 2^40, pieces
    /// below 2^23, so no piece tag equals the abort tag or another step's).
    static func pieceTag(_ tag: Tag, _ piece: Int) -> Tag {
        precondition(tag.rawValue < 1 << 40 && piece < 1 << 23, "MPCContext: step or piece counter out of range")
        return piece == 0 ? tag : Tag(tag.rawValue | UInt64(piece) << 40)
    }

    /// The pieces of a message body of `words` words, written by `fill` (little-endian
    /// words at any alignment) into one body buffer and cut into payloads.
    func pieces(words: Int, _ fill: (UnsafeMutableRawBufferPointer) -> Void) -> [Payload] {
        let count = Self.pieceCount(words: words)
        if count == 1 {
            return [Payload(unsafeUninitializedCount: 1 + 8 * words) { buf in
                buf[0] = Kind.data.rawValue
                fill(UnsafeMutableRawBufferPointer(rebasing: UnsafeMutableRawBufferPointer(buf)[1...]))
            }]
        }
        let body = outgoingBody.words(words)
        let raw = UnsafeMutableRawBufferPointer(body)
        fill(raw)
        return (0..<count).map { i in
            let lo = i * Self.pieceBytes, hi = min(8 * words, lo + Self.pieceBytes)
            return Payload(unsafeUninitializedCount: 1 + hi - lo) { buf in
                buf[0] = (i == count - 1 ? Kind.data : Kind.more).rawValue
                UnsafeMutableRawPointer(buf.baseAddress! + 1).copyMemory(from: raw.baseAddress! + lo, byteCount: hi - lo)
            }
        }
    }

    /// Sends the pieces of one step to `peers`, piece by piece (so both peers' first
    /// pieces go out first).
    func sendPieces(_ pieces: [Payload], to peers: [PartyID], tag: Tag) async throws {
        for (i, piece) in pieces.enumerated() {
            for peer in peers { try await send(piece, to: peer, tag: Self.pieceTag(tag, i)) }
        }
    }

    /// Receives `expectedWords` words from each of `senders` in pieces, checks every piece,
    /// and hands each to `body(peer, wordOffset, bytes)` as it arrives (any order).
    func receivePieces(
        from senders: [PartyID], tag: Tag, expectedWords: Int, step: StaticString,
        _ body: (PartyID, Int, UnsafeRawBufferPointer) throws -> Void
    ) async throws {
        try await receivePieces(expecting: senders.map { ($0, expectedWords) }, tag: tag, step: step, body)
    }

    /// As above, with a length of its own for each sender (a step in which one peer sends a
    /// correction and another an opening).
    func receivePieces(
        expecting: [(PartyID, Int)], tag: Tag, step: StaticString,
        _ body: (PartyID, Int, UnsafeRawBufferPointer) throws -> Void
    ) async throws {
        let senders = expecting.map(\.0)
        var sizes: [PartyID: Int] = [:]
        for (p, w) in expecting { sizes[p] = w }
        let channel = self.channel
        let timeout = self.timeout
        try await withThrowingTaskGroup(of: (PartyID, Int, Payload).self) { group in
            for (peer, words) in expecting {
                for i in 0..<Self.pieceCount(words: words) {
                    let t = Self.pieceTag(tag, i)
                    group.addTask {
                        do {
                            return (peer, i, try await channel.receive(from: peer, tag: t, timeout: timeout))
                        } catch let e as NetError {
                            throw MPCContext.translate(e, peer: peer, tag: t)
                        }
                    }
                }
            }
            var arrived: [PartyID: Int] = [:]
            while true {
                let next: (PartyID, Int, Payload)?
                do {
                    next = try await group.next()
                } catch let e as MPCError where e.code == .timeout {
                    // As in `gather`: the receives share one deadline, so the first to time out
                    // is an accident of scheduling; name every sender still missing pieces.
                    let missing = senders.filter { arrived[$0, default: 0] < Self.pieceCount(words: sizes[$0] ?? 0) }
                    guard missing.count > 1 else { throw e }
                    throw MPCError(
                        .timeout,
                        "no message from \(missing.map { "\($0)" }.joined(separator: ", ")) at step \(tag) "
                            + "('\(step)') within the job timeout: they may have crashed, be overloaded, or run a "
                            + "different program; check their logs", peer: e.peer)
                }
                guard let (peer, i, payload) = next else { break }
                arrived[peer, default: 0] += 1
                let expectedWords = sizes[peer] ?? 0
                let count = Self.pieceCount(words: expectedWords)
                let lo = i * Self.pieceBytes, hi = min(8 * expectedWords, lo + Self.pieceBytes)
                try payload.withUnsafeBytes { raw in
                    if raw.count >= 1, raw[0] == Kind.abort.rawValue {
                        throw Self.abortError(from: peer, payload)
                    }
                    let kind = (i == count - 1 ? Kind.data : Kind.more).rawValue
                    guard raw.count == 1 + hi - lo, raw[0] == kind else {
                        throw MPCError(
                            .malformedMessage,
                            "\(peer) sent a \(raw.count)-byte message (kind \(raw.first ?? 0)) as piece \(i + 1) of "
                                + "\(count) at step '\(step)'; expected \(1 + hi - lo) bytes of kind \(kind) (a message of "
                                + "\(expectedWords) 64-bit words in pieces of \(Self.pieceBytes) bytes). The peer runs a "
                                + "different program or misbehaves; the job is aborted on every party.", peer: peer)
                    }
                    try body(peer, lo / 8, UnsafeRawBufferPointer(rebasing: raw[1...]))
                }
            }
        }
    }

    /// One protocol step: sends `outgoing[peer]` (a list of word vectors, concatenated) to
    /// each listed peer, and receives exactly `expectedWords` words from each of `senders`.
    /// Uses one tag. Returns the received vectors, validated.
    public func exchange(
        _ outgoing: [PartyID: [[UInt64]]], from senders: [PartyID], expectedWords: Int,
        validation: Validation = .any, step: StaticString = "exchange"
    ) async throws -> [PartyID: [UInt64]] {
        let tag = nextTag()
        for peer in outgoing.keys.sorted() where peer != localParty {
            let parts = outgoing[peer]!
            try await sendPieces(pieces(words: parts.reduce(0) { $0 + $1.count }) { Self.encode(parts, into: $0) }, to: [peer], tag: tag)
        }
        return try await receiveWords(from: senders.filter { $0 != localParty }, tag: tag, expectedWords: expectedWords, validation: validation, step: step)
    }

    /// The same words to every peer, and the same count back from every peer.
    public func exchangeWithAll(
        _ parts: [[UInt64]], expectedWords: Int, validation: Validation = .any, step: StaticString = "exchange"
    ) async throws -> [PartyID: [UInt64]] {
        let tag = nextTag()
        let peers = self.peers
        try await sendPieces(pieces(words: parts.reduce(0) { $0 + $1.count }) { Self.encode(parts, into: $0) }, to: peers, tag: tag)
        return try await receiveWords(from: peers, tag: tag, expectedWords: expectedWords, validation: validation, step: step)
    }

    func receiveWords(
        from senders: [PartyID], tag: Tag, expectedWords: Int, validation: Validation, step: StaticString
    ) async throws -> [PartyID: [UInt64]] {
        if senders.isEmpty { return [:] }
        var buffers: [PartyID: UnsafeMutableBufferPointer<UInt64>] = [:]
        for p in senders { buffers[p] = .allocate(capacity: max(expectedWords, 1)) }
        defer { for (_, b) in buffers { b.deallocate() } }
        try await receivePieces(from: senders, tag: tag, expectedWords: expectedWords, step: step) { peer, offset, raw in
            let out = buffers[peer]!
            let n = raw.count / 8
            if n > 0 { UnsafeMutableRawPointer(out.baseAddress! + offset).copyMemory(from: raw.baseAddress!, byteCount: 8 * n) }
            #if _endian(big)
            for i in offset..<(offset + n) { out[i] = UInt64(littleEndian: out[i]) }
            #endif
        }
        var out: [PartyID: [UInt64]] = [:]
        for (peer, b) in buffers {
            let words = Array(UnsafeBufferPointer(rebasing: b[0..<expectedWords]))
            try Self.validate(words, validation, from: peer, step: step)
            out[peer] = words
        }
        return out
    }

    /// One step like ``exchangeWithAll(_:expectedWords:validation:step:)``, without
    /// intermediate arrays: `fill` writes the `words` outgoing words (little-endian, at any
    /// alignment: ``Words/store(_:into:at:)``) for the message every peer gets, and
    /// `receive(peer, wordOffset, bytes)` reads each arriving piece of a peer's
    /// `expectedWords` words in place (``Words/load(_:_:)``) once its length is checked.
    public func exchangeWithAllInPlace(
        words: Int, expectedWords: Int, step: StaticString = "exchange",
        fill: (UnsafeMutableRawBufferPointer) -> Void,
        receive: (PartyID, Int, UnsafeRawBufferPointer) throws -> Void
    ) async throws {
        let tag = nextTag()
        let peers = self.peers
        if peers.isEmpty { return }
        try await sendPieces(pieces(words: words, fill), to: peers, tag: tag)
        try await receivePieces(from: peers, tag: tag, expectedWords: expectedWords, step: step, receive)
    }

    /// One step like ``exchange(_:from:expectedWords:validation:step:)``, without
    /// intermediate arrays: `fill(peer, bytes)` writes `outgoing[peer]` words into the
    /// message for `peer`, `receive` reads each sender's pieces in place.
    public func exchangeInPlace(
        _ outgoing: [PartyID: Int], from senders: [PartyID], expectedWords: Int, step: StaticString = "exchange",
        fill: (PartyID, UnsafeMutableRawBufferPointer) -> Void,
        receive: (PartyID, Int, UnsafeRawBufferPointer) throws -> Void
    ) async throws {
        let expecting = Dictionary(senders.map { ($0, expectedWords) }, uniquingKeysWith: { a, _ in a })
        try await exchangeInPlace(outgoing, expecting: expecting, step: step, fill: fill, receive: receive)
    }

    /// One step in which each sender's message has a length of its own: `outgoing[peer]`
    /// words written by `fill(peer, bytes)`, and exactly `expecting[sender]` words read back
    /// from each sender by `receive` (pieces, in place, as in
    /// ``exchangeWithAllInPlace(words:expectedWords:step:fill:receive:)``).
    public func exchangeInPlace(
        _ outgoing: [PartyID: Int], expecting: [PartyID: Int], step: StaticString = "exchange",
        fill: (PartyID, UnsafeMutableRawBufferPointer) -> Void,
        receive: (PartyID, Int, UnsafeRawBufferPointer) throws -> Void
    ) async throws {
        let tag = nextTag()
        for peer in outgoing.keys.sorted() where peer != localParty {
            try await sendPieces(pieces(words: outgoing[peer]!) { fill(peer, $0) }, to: [peer], tag: tag)
        }
        let senders = expecting.keys.sorted().filter { $0 != localParty }
        if senders.isEmpty { return }
        try await receivePieces(expecting: senders.map { ($0, expecting[$0]!) }, tag: tag, step: step, receive)
    }

    /// Raw bytes to and from peers (setup messages: seeds, base-OT points). Lengths are the
    /// caller's to check (`expectedBytes`).
    public func exchangeBytes(
        _ outgoing: [PartyID: [UInt8]], from senders: [PartyID], expectedBytes: Int, step: StaticString = "setup"
    ) async throws -> [PartyID: [UInt8]] {
        let tag = nextTag()
        for (peer, bytes) in outgoing where peer != localParty {
            try await send(Payload([Kind.data.rawValue] + bytes), to: peer, tag: tag)
        }
        let senders = senders.filter { $0 != localParty }
        if senders.isEmpty { return [:] }
        let raw = try await gather(from: senders, tag: tag)
        var out: [PartyID: [UInt8]] = [:]
        for (peer, p) in raw {
            let bytes = p.bytes
            guard bytes.count == 1 + expectedBytes, bytes[0] == Kind.data.rawValue else {
                throw MPCError(
                    .malformedMessage,
                    "\(peer) sent \(bytes.count) bytes at step '\(step)' (\(tag)); expected \(1 + expectedBytes). "
                        + "The peer runs a different protocol version or misbehaves; the job is aborted.", peer: peer)
            }
            out[peer] = Array(bytes.dropFirst())
        }
        return out
    }

    /// The one communication step of opening an output to `recipients` (nil: every party),
    /// shared by the engines' `reveal`: this party sends its share words to every recipient
    /// but itself, and a recipient receives every peer's share words (`expectedWords` =
    /// `shareWords.count`, checked with `validation`). A party that is not a recipient
    /// receives nothing for this output. Throws if a recipient is not a party of the job.
    ///
    /// Returns, on a recipient, every party's share words in the order of ``parties`` (its
    /// own included), for the engine to reconstruct; nil on a non-recipient.
    public func openShares(
        _ shareWords: [UInt64], to recipients: [PartyID]?, validation: Validation = .any, step: StaticString = "reveal"
    ) async throws -> [[UInt64]]? {
        let targets = recipients ?? parties
        for t in targets where !parties.contains(t) {
            throw MPCError(.invalidArgument, "reveal recipient \(t) is not a party of the job")
        }
        var outgoing: [PartyID: [[UInt64]]] = [:]
        for t in targets where t != localParty { outgoing[t] = [shareWords] }
        let receiving = targets.contains(localParty)
        let got = try await exchange(
            outgoing, from: receiving ? peers : [], expectedWords: shareWords.count, validation: validation, step: step)
        guard receiving else { return nil }
        return parties.map { p in
            guard p != localParty else { return shareWords }
            // `exchange` returns exactly the senders asked for, or throws.
            guard let w = got[p] else { preconditionFailure("MPCContext.openShares: no words from \(p)") }
            return w
        }
    }

    /// Writes `parts`, concatenated, as little-endian words.
    static func encode(_ parts: [[UInt64]], into raw: UnsafeMutableRawBufferPointer) {
        var offset = 0
        for part in parts {
            part.withUnsafeBufferPointer { Words.store($0, into: raw, at: offset) }
            offset += part.count
        }
    }

    static func validate(_ words: [UInt64], _ validation: Validation, from peer: PartyID, step: StaticString) throws {
        switch validation {
        case .any: break
        case .below(let bound):
            var bad = -1
            words.withUnsafeBufferPointer { w in
                var anyBad = false
                for i in 0..<w.count { anyBad = anyBad || w[i] >= bound }
                if anyBad { bad = w.firstIndex(where: { $0 >= bound }) ?? -1 }
            }
            if bad >= 0 {
                throw MPCError(
                    .malformedMessage,
                    "\(peer) sent a non-canonical element (index \(bad), not below \(bound)) at step '\(step)'; "
                        + "the job is aborted on every party.", peer: peer)
            }
        case .bit:
            if let bad = words.firstIndex(where: { $0 > 1 }) {
                throw MPCError(
                    .malformedMessage, "\(peer) sent a non-bit value (index \(bad)) at step '\(step)'", peer: peer)
            }
        }
    }

    private func send(_ payload: Payload, to peer: PartyID, tag: Tag) async throws {
        do {
            try await channel.send(payload, to: peer, tag: tag)
        } catch let e as NetError {
            throw Self.translate(e, peer: peer, tag: tag)
        }
    }

    private func gather(from senders: [PartyID], tag: Tag) async throws -> [PartyID: Payload] {
        let channel = self.channel
        let timeout = self.timeout
        return try await withThrowingTaskGroup(of: (PartyID, Payload).self) { group in
            for peer in senders {
                group.addTask {
                    do {
                        return (peer, try await channel.receive(from: peer, tag: tag, timeout: timeout))
                    } catch let e as NetError {
                        throw MPCContext.translate(e, peer: peer, tag: tag)
                    }
                }
            }
            var out: [PartyID: Payload] = [:]
            do {
                for try await (peer, payload) in group { out[peer] = payload }
            } catch let e as MPCError where e.code == .timeout {
                // Every receive here shares one deadline, so whichever timed out first is an
                // accident of scheduling: name every peer still missing, or an overloaded but
                // live peer could be blamed while the crashed one goes unnamed.
                let missing = senders.filter { out[$0] == nil }
                guard missing.count > 1 else { throw e }
                throw MPCError(
                    .timeout,
                    "no message from \(missing.map { "\($0)" }.joined(separator: ", ")) at step \(tag) within the job "
                        + "timeout: they may have crashed, be overloaded, or run a different program; check their logs",
                    peer: e.peer)
            }
            return out
        }
    }

    static func translate(_ e: NetError, peer: PartyID, tag: Tag) -> MPCError {
        switch e.code {
        case .timeout:
            return MPCError(
                .timeout,
                "no message from \(peer) at step \(tag) within the job timeout: \(peer) may have crashed, "
                    + "be overloaded, or run a different program; check its log", peer: peer)
        case .cancelled:
            return MPCError(.cancelled, "the job was cancelled while waiting for \(peer)", peer: peer)
        default:
            return MPCError(.network, "transport failure with \(peer) at step \(tag): \(e.reason)", peer: peer)
        }
    }
}
