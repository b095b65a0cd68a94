public import TacitMPC
import TacitBytes
import TacitCrypto
import TacitJob
import TacitMath
import TacitNet

/// The balanced PSI path: KKRT16's batched OPRF (``KKRT``) over cuckoo hashing (``Cuckoo``),
/// semi-honest (Kolesnikov, Kumaresan, Rosulek, Trieu, CCS 2016, §5).
///
/// 1. Both send their set size (at most ``maxSetSize``), role, mode and version; a mismatch
///    fails both. If either set is empty the run ends there.
/// 2. Both hash each element to a 128-bit identifier: SHA-256 of a domain tag, the session
///    identifier and the element.
/// 3. The OPRF's base OTs (``KKRTReceiver``, ``KKRTSender``).
/// 4. The receiver places its identifiers in m bins by cuckoo hashing under a fresh random seed
///    and sends the seed. Under a seed that fails it draws another: the sender sees only the
///    seed that worked, which says no more than that this seed places the receiver's set (an
///    event of probability ≥ 1 − 2^-40 for large sets, so it tells the sender next to nothing).
/// 5. The OPRF over the m bins, the input of bin b being x ⊕ i for the identifier x placed in
///    it by function i (a random block for an empty bin).
/// 6. The sender evaluates F(k_b, y ⊕ i) for each of its identifiers y and each function i
///    with b = h_i(y), and sends three tables (one per i) of ℓ-bit values, each in its own
///    CSPRNG-drawn random order; the receiver looks up each value of table i among its bins
///    filled by function i.
/// 7. The receiver confirms, so neither side ends before the other has checked everything.
///
/// The u rows and the values go in messages of at most 2 and 8 MiB, each side confirming each
/// message it has processed and neither running more than ``KKRT/window`` messages ahead: the
/// mesh has no back-pressure, and unread messages beyond its per-peer cap would be dropped.
///
/// ℓ = 45 + ⌈log2 n_r⌉ + ⌈log2 n_s⌉ bits (at most 99 for 2^27-element sets): the receiver
/// compares m·3·n_s < 2^5·n_r·n_s pairs of pseudorandom values (m ≤ 10·n_r), so a false match
/// anywhere in a run has probability below 2^-40 (KKRT §5 and Pinkas et al. 2018 use the same
/// 40 + log2 n_r + log2 n_s rule).
///
/// What each party learns: the receiver, which of its elements the sender holds and n_s; the
/// sender, n_r. KKRT's receiver necessarily learns *which* of its elements match, so this path
/// has no size-only mode (the ECDH path has one).
///
/// Costs (n = n_r = n_s): 64·m = 81·n bytes receiver → sender, 3·n·⌈ℓ/8⌉ sender → receiver,
/// plus the base OTs (about 50 KiB); per party a few AES calls per bin and per element.
public enum OTPSI {
    /// The largest set either side may hold (and accept from its peer).
    public static let maxSetSize = 1 << 27
    static let version: UInt8 = 1
    static let stepHello: UInt8 = 40
    static let stepSeed: UInt8 = 41
    static let stepValues: UInt8 = 43
    static let stepDone: UInt8 = 44
    static let stepValuesReceipt: UInt8 = 46
    /// Bytes of values per table message (8 MiB).
    static let maxMessageBytes = 8 << 20

    /// Runs this party's side. `session` separates this run's hashes and codes from every
    /// other's (the job id); both parties must pass the same bytes. `.size` is refused: use the
    /// ECDH path.
    public static func run(
        _ set: PSISet, role: PSIRole, mode: PSIOutputMode, link: PairLink, session: [UInt8],
        progress: PSIProgress? = nil
    ) async throws -> PSIOutcome {
        try await runTimed(set, role: role, mode: mode, link: link, session: session, progress: progress).outcome
    }

    /// Seconds per phase of one run, in order, for profiling.
    package struct Phases: Sendable {
        package var entries: [(String, Double)] = []
        var last = ContinuousClock.now
        mutating func mark(_ name: String) {
            let now = ContinuousClock.now
            entries.append((name, (now - last).psiSeconds))
            last = now
        }
    }

    /// Message sizes, smaller in tests to reach multi-message paths with small sets; both
    /// parties must use the same.
    package struct Tuning: Sendable {
        package var batchBins = KKRT.batchBins
        package var valueMessageBytes = OTPSI.maxMessageBytes
        package init(batchBins: Int = KKRT.batchBins, valueMessageBytes: Int = OTPSI.maxMessageBytes) {
            self.batchBins = batchBins
            self.valueMessageBytes = valueMessageBytes
        }
    }

    package static func runTimed(
        _ set: PSISet, role: PSIRole, mode: PSIOutputMode, link: PairLink, session: [UInt8],
        progress: PSIProgress? = nil, tuning: Tuning = Tuning()
    ) async throws -> (outcome: PSIOutcome, phases: Phases) {
        let start = ContinuousClock.now
        let sent0 = link.bytesSent, received0 = link.bytesReceived, messages0 = link.messagesSent
        var phases = Phases()
        var stats = PSIStats()
        func finish(_ matches: [Int]?, peer: Int, setup: Duration) -> (outcome: PSIOutcome, phases: Phases) {
            stats.bytesSent = link.bytesSent - sent0
            stats.bytesReceived = link.bytesReceived - received0
            stats.messagesSent = link.messagesSent - messages0
            stats.setupSeconds = setup.psiSeconds
            stats.onlineSeconds = (ContinuousClock.now - start - setup).psiSeconds
            return (PSIOutcome(matches: matches, size: matches?.count, peerSetSize: peer, stats: stats), phases)
        }
        return try await PSIRun.guarded(link) {
            guard mode == .intersection else {
                throw JobError(
                    .invalidSpec,
                    "the OT-based PSI path shows its receiver which of its elements match, so it cannot reveal "
                        + "only the intersection size; use the ECDH path for size-only runs")
            }
            guard set.count <= maxSetSize else {
                throw JobError(
                    .invalidInput, "a set holds at most \(maxSetSize) elements for the OT path, not \(set.count); split it")
            }
            let peerCount = try await hello(link, count: set.count, role: role)
            let (nr, ns) = role == .receiver ? (set.count, peerCount) : (peerCount, set.count)
            phases.mark("hello")
            guard nr > 0, ns > 0 else { return finish(role == .receiver ? [] : nil, peer: peerCount, setup: .zero) }
            let m = Cuckoo.binCount(for: nr)
            let bits = valueBits(receiver: nr, sender: ns)
            await progress?("base OTs", 0)
            let setupStart = ContinuousClock.now
            if role == .receiver {
                let oprf = try await KKRTReceiver(link: link, session: session)
                let setup = ContinuousClock.now - setupStart
                phases.mark("base OTs")
                let ids = identifiers(set, session: session)
                phases.mark("hash elements")
                let table = try await placeAndSendSeed(link, ids: ids, bins: m)
                phases.mark("cuckoo")
                // Scoped so the bins' inputs and outputs (32 bytes a bin) are freed once in the table.
                let lookup: ValueTable
                do {
                    var inputs = [UInt64](repeating: 0, count: 2 * m)
                    let rng = AESPRG(seed: AESPRG.randomSeed())
                    for b in 0..<m {
                        let i = Int(table.item[b])
                        if i >= 0 {
                            inputs[2 * b] = ids[2 * i] ^ UInt64(table.function[b])
                            inputs[2 * b + 1] = ids[2 * i + 1]
                        } else {
                            inputs[2 * b] = rng.next()
                            inputs[2 * b + 1] = rng.next()
                        }
                    }
                    let outputs = try await oprf.evaluate(inputs: inputs, batchBins: tuning.batchBins) { done in
                        await progress?("OPRF", 0.8 * Double(done) / Double(m))
                    }
                    phases.mark("OPRF")
                    phases.entries += [
                        ("  of which PRGs + transposes", oprf.prgSeconds),
                        ("  of which codewords + hashes", oprf.codeSeconds),
                    ]
                    lookup = ValueTable(outputs: outputs, table: table, bits: bits)
                }
                phases.mark("lookup table")
                // Bins whose value a sender value equals (the true matches, and false ones with
                // probability below 2^-40), checked for the function after the loop.
                var hits: [(bin: Int32, function: UInt8)] = []
                try await receiveValues(
                    link, senderCount: ns, bits: bits, messageBytes: tuning.valueMessageBytes
                ) { index, lo, hi in
                    lookup.forEach(lo, hi) { b in hits.append((Int32(b), UInt8(index / ns))) }
                }
                var matched = [Bool](repeating: false, count: nr)
                for (b, f) in hits where table.function[Int(b)] == f { matched[Int(table.item[Int(b)])] = true }
                phases.mark("receive and look up values")
                try await link.send(step: stepDone, count: 0, bodyBytes: 0) { _ in }
                await progress?("done", 1)
                return finish(matched.indices.filter { matched[$0] }, peer: peerCount, setup: setup)
            } else {
                let oprf = try await KKRTSender(link: link, session: session)
                let setup = ContinuousClock.now - setupStart
                phases.mark("base OTs")
                let ids = identifiers(set, session: session)
                phases.mark("hash elements")
                // Independent of the seed: drawn while the receiver places its set.
                let orders = randomOrders(ns)
                let seed = try await link.receive(step: stepSeed, name: "cuckoo seed", count: 1, bodyBytes: 16)
                    .withUnsafeBytes { Array($0[PairLink.headerBytes...]) }
                let positions = Cuckoo.positions(ids: ids, items: ns, bins: m, seed: seed)
                let batches = Buckets(positions: positions, batchBins: tuning.batchBins, bins: m)
                let width = (bits + 7) / 8
                var values = [UInt8](repeating: 0, count: 3 * ns * width)
                phases.mark("simple hashing")
                var encodeSeconds = 0.0
                try await oprf.receive(bins: m, batchBins: tuning.batchBins) { first, _, q in
                    let encodeStart = ContinuousClock.now
                    defer { encodeSeconds += (ContinuousClock.now - encodeStart).psiSeconds }
                    values.withUnsafeMutableBufferPointer { values in
                        encodeBatch(
                            oprf, entries: batches.batch(first / tuning.batchBins), ids: ids, positions: positions,
                            orders: orders, q: q, first: first, bits: bits, into: values, senderCount: ns)
                    }
                    await progress?("OPRF", 0.9 * Double(first) / Double(m))
                }
                phases.mark("OPRF and encode")
                phases.entries += [
                    ("  of which PRGs + transposes", oprf.prgSeconds), ("  of which codewords + hashes", encodeSeconds),
                ]
                try await sendValues(link, values, width: width, messageBytes: tuning.valueMessageBytes)
                _ = try await link.receive(step: stepDone, name: "receiver's confirmation", count: 0, bodyBytes: 0)
                phases.mark("send values")
                await progress?("done", 1)
                return finish(nil, peer: peerCount, setup: setup)
            }
        }
    }

    static func valueBits(receiver nr: Int, sender ns: Int) -> Int {
        func ceilLog2(_ n: Int) -> Int { n <= 1 ? 0 : Int.bitWidth - (n - 1).leadingZeroBitCount }
        return 45 + ceilLog2(nr) + ceilLog2(ns)
    }

    // MARK: steps

    /// Exchanges (set size, role, mode, version); returns the peer's size after checking all.
    static func hello(_ link: PairLink, count: Int, role: PSIRole) async throws -> Int {
        let roleByte: UInt8 = role == .receiver ? 0 : 1
        try await link.send(step: stepHello, count: 1, bodyBytes: 16) { raw in
            raw.storeBytes(of: UInt64(count).littleEndian, toByteOffset: 0, as: UInt64.self)
            raw[8] = roleByte
            raw[9] = 0  // intersection
            raw[10] = version
        }
        let peer = link.peer
        let got = try await link.receive(step: stepHello, name: "PSI hello", count: 1, bodyBytes: 16)
            .withUnsafeBytes { Array($0[PairLink.headerBytes...]) }
        let size = got[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard got[10] == version, got[11...].allSatisfy({ $0 == 0 }) else {
            throw MPCError(
                .malformedMessage,
                "\(peer) runs OT PSI version \(got[10]) (this party: \(version)) or sent a malformed hello; "
                    + "both parties must run the same Tacit release", peer: peer)
        }
        guard got[9] == 0 else {
            throw MPCError(
                .malformedMessage, "\(peer) asked for output mode \(got[9]); the OT path outputs only the intersection",
                peer: peer)
        }
        guard got[8] == 1 - roleByte else {
            throw MPCError(
                .malformedMessage,
                "\(peer) also plays the \(got[8] == 0 ? "receiver" : got[8] == 1 ? "sender" : "unknown (\(got[8]))") role; "
                    + "one party must be the receiver and the other the sender", peer: peer)
        }
        guard size <= UInt64(maxSetSize) else {
            throw MPCError(
                .malformedMessage,
                "\(peer) announced a set of \(size) elements; the OT path takes at most \(maxSetSize) a side", peer: peer)
        }
        return Int(size)
    }

    /// Cuckoo-places the receiver's identifiers under fresh random seeds until one works (three
    /// tries), and sends the seed.
    static func placeAndSendSeed(_ link: PairLink, ids: [UInt64], bins m: Int) async throws -> Cuckoo.Table {
        let n = ids.count / 2
        var rng = AESPRG(seed: AESPRG.randomSeed())
        for _ in 0..<3 {
            let seed = SecureRandom.bytes(16)
            let positions = Cuckoo.positions(ids: ids, items: n, bins: m, seed: seed)
            if let table = Cuckoo.place(positions: positions, items: n, bins: m, rng: &rng) {
                try await link.send(step: stepSeed, count: 1, bodyBytes: 16) { raw in raw.copyBytes(from: seed) }
                return table
            }
        }
        throw JobError(
            .protocolFailure,
            "cuckoo hashing could not place \(n) elements in \(m) bins under three random seeds (expected to "
                + "fail with probability below 2^-40 each); retry the job")
    }

    /// Receives the sender's 3·n_s values in messages of at most ``maxMessageBytes``; calls
    /// `body(index, low, high)` for each, `index` counting across the three tables.
    static func receiveValues(
        _ link: PairLink, senderCount ns: Int, bits: Int, messageBytes: Int = maxMessageBytes,
        _ body: (Int, UInt64, UInt64) -> Void
    ) async throws {
        let width = (bits + 7) / 8, total = 3 * ns, per = max(1, messageBytes / width)
        let (mask0, mask1) = mask(bits)
        var index = 0, message = 0
        while index < total {
            let count = min(per, total - index)
            let payload = try await link.receive(
                step: stepValues, name: "OPRF values", count: count, bodyBytes: width * count)
            let bad: Int? = payload.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[PairLink.headerBytes...])
                for k in 0..<count {
                    var lo: UInt64 = 0, hi: UInt64 = 0
                    let at = k * width
                    if width >= 8 {
                        lo = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt64.self))
                        for t in 8..<width { hi |= UInt64(bytes[at + t]) << (8 * UInt64(t - 8)) }
                    } else {
                        for t in 0..<width { lo |= UInt64(bytes[at + t]) << (8 * UInt64(t)) }
                    }
                    guard lo & ~mask0 == 0, hi & ~mask1 == 0 else { return index + k }
                    body(index + k, lo, hi)
                }
                return nil
            }
            if let bad {
                throw MPCError(
                    .malformedMessage,
                    "\(link.peer) sent OPRF value \(bad) with bits set beyond the \(bits) agreed", peer: link.peer)
            }
            index += count
            message += 1
            try await link.send(step: stepValuesReceipt, count: message, bodyBytes: 0) { _ in }
        }
    }

    /// Sends the values in messages of at most `messageBytes`, at most ``KKRT/window`` of them
    /// ahead of the receiver's receipts (the mesh has no back-pressure; see ``KKRT/window``).
    static func sendValues(
        _ link: PairLink, _ values: [UInt8], width: Int, messageBytes: Int = maxMessageBytes
    ) async throws {
        let per = max(1, messageBytes / width), total = values.count / width
        func awaitReceipt(_ k: Int) async throws {
            _ = try await link.receive(step: stepValuesReceipt, name: "OPRF values receipt", count: k + 1, bodyBytes: 0)
        }
        var index = 0, message = 0
        while index < total {
            let count = min(per, total - index)
            if message >= KKRT.window { try await awaitReceipt(message - KKRT.window) }
            try await link.send(step: stepValues, count: count, bodyBytes: width * count) { raw in
                values.withUnsafeBytes { v in
                    raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: v[(index * width)..<((index + count) * width)]))
                }
            }
            index += count
            message += 1
        }
        for k in max(0, message - KKRT.window)..<message { try await awaitReceipt(k) }
    }

    /// The low `bits` of a 128-bit value as (low, high) masks.
    static func mask(_ bits: Int) -> (UInt64, UInt64) {
        (bits >= 64 ? ~0 : (1 << UInt64(bits)) - 1, bits >= 128 ? ~0 : bits <= 64 ? 0 : (1 << UInt64(bits - 64)) - 1)
    }

    /// The sender's values for one batch of bins: for each (element i, function h) entry whose
    /// bin h_h(i) lies in the batch, F(k_b, id_i ⊕ h) truncated to `bits`, at position
    /// h·n_s + order_h[i] of `values`. Split over two threads.
    static func encodeBatch(
        _ oprf: KKRTSender, entries: ArraySlice<UInt32>, ids: [UInt64], positions: [UInt32], orders: [UInt32],
        q: UnsafeBufferPointer<UInt64>, first: Int, bits: Int, into values: UnsafeMutableBufferPointer<UInt8>,
        senderCount ns: Int
    ) {
        entries.withUnsafeBufferPointer { entries in
            ids.withUnsafeBufferPointer { ids in
                positions.withUnsafeBufferPointer { positions in
                    orders.withUnsafeBufferPointer { orders in
                        twoWay(entries.count) { h, range in
                            encode(
                                oprf, coder: oprf.coders[h], entries: UnsafeBufferPointer(rebasing: entries[range]),
                                ids: ids, positions: positions, orders: orders, q: q, first: first, bits: bits,
                                into: values, senderCount: ns)
                        }
                    }
                }
            }
        }
    }

    /// ``encodeBatch(_:entries:ids:positions:orders:q:first:bits:into:senderCount:)`` for one
    /// thread's share of the entries.
    static func encode(
        _ oprf: KKRTSender, coder: KKRT.Coder, entries: UnsafeBufferPointer<UInt32>, ids: UnsafeBufferPointer<UInt64>,
        positions: UnsafeBufferPointer<UInt32>, orders: UnsafeBufferPointer<UInt32>, q: UnsafeBufferPointer<UInt64>,
        first: Int, bits: Int, into values: UnsafeMutableBufferPointer<UInt8>, senderCount ns: Int
    ) {
        let width = (bits + 7) / 8, (mask0, mask1) = mask(bits), block = KKRT.Coder.block
        let raw = UnsafeMutableRawBufferPointer(values)
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: block) { bins in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4 * block) { buf in
                guard let bins = bins.baseAddress, let inputs = buf.baseAddress else { return }
                let out = inputs + 2 * block
                var start = 0
                while start < entries.count {
                    let k = min(block, entries.count - start)
                    for t in 0..<k {
                        let e = Int(entries[start + t]), i = e / 3, f = e % 3
                        bins[t] = positions[e]
                        inputs[2 * t] = ids[2 * i] ^ UInt64(f)
                        inputs[2 * t + 1] = ids[2 * i + 1]
                    }
                    oprf.encode(coder: coder, count: k, bins: bins, inputs: inputs, q: q, first: first, into: out)
                    for t in 0..<k {
                        let e = Int(entries[start + t]), i = e / 3, f = e % 3
                        let at = (f * ns + Int(orders[f * ns + i])) * width
                        let lo = out[2 * t] & mask0, hi = out[2 * t + 1] & mask1
                        if width >= 8 {
                            raw.storeBytes(of: lo.littleEndian, toByteOffset: at, as: UInt64.self)
                            for b in 8..<width { values[at + b] = UInt8(truncatingIfNeeded: hi >> (8 * UInt64(b - 8))) }
                        } else {
                            for b in 0..<width { values[at + b] = UInt8(truncatingIfNeeded: lo >> (8 * UInt64(b))) }
                        }
                    }
                    start += k
                }
            }
        }
    }

    /// Three uniformly random permutations of 0..<n, one after the other (Fisher–Yates on a
    /// CSPRNG-seeded AES stream), one per table.
    static func randomOrders(_ n: Int) -> [UInt32] {
        var rng = AESPRG(seed: AESPRG.randomSeed())
        var orders = [UInt32](repeating: 0, count: Cuckoo.functions * n)
        for f in 0..<Cuckoo.functions {
            for i in 0..<n { orders[f * n + i] = UInt32(i) }
            var i = n - 1
            while i > 0 {
                orders.swapAt(f * n + i, f * n + Int.random(in: 0...i, using: &rng))
                i -= 1
            }
        }
        return orders
    }

    /// 128-bit identifiers (two words each): the first 16 bytes of SHA-256(tag ‖ session ‖
    /// element), the session length-prefixed. Split over two threads.
    static func identifiers(_ elements: some ByteStrings, session: [UInt8]) -> [UInt64] {
        var w = ByteWriter()
        w.string("tacit.psi.kkrt.id.v1")
        w.data(session)
        let prefix = w.bytes
        let n = elements.count
        return [UInt64](unsafeUninitializedCapacity: 2 * n) { buffer, initialised in
            let out = buffer
            twoWay(n) { _, range in
                let sha = SHA256Bytes.Context()
                withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 4) { digest in
                    prefix.withUnsafeBytes { prefix in
                        for i in range {
                            let d = UnsafeMutableRawBufferPointer(digest)
                            elements.withMessage(i) { sha.hash(prefix, UnsafeRawBufferPointer($0), into: d) }
                            out[2 * i] = UInt64(littleEndian: digest[0])
                            out[2 * i + 1] = UInt64(littleEndian: digest[1])
                        }
                    }
                }
            }
            initialised = 2 * n
        }
    }

    /// Runs `body(0, first half)` and `body(1, second half)` of 0..<n on two threads (in turn for
    /// small n).
    static func twoWay(_ n: Int, _ body: (Int, Range<Int>) -> Void) {
        let half = n / 2
        OTExtension.inParallel(n >= 2048 ? 32 : 0) { h in body(h, h == 0 ? 0..<half : half..<n) }
    }
}

/// The sender's (element, function) entries, 3i + h, grouped by the OPRF batch their bin falls in.
struct Buckets {
    let entries: [UInt32]
    let starts: [Int]

    init(positions: [UInt32], batchBins: Int, bins m: Int) {
        let batches = (m + batchBins - 1) / batchBins
        var counts = [Int](repeating: 0, count: batches + 1)
        for p in positions { counts[Int(p) / batchBins + 1] += 1 }
        for k in 0..<batches { counts[k + 1] += counts[k] }
        var next = counts
        var entries = [UInt32](repeating: 0, count: positions.count)
        for (e, p) in positions.enumerated() {
            let k = Int(p) / batchBins
            entries[next[k]] = UInt32(e)
            next[k] += 1
        }
        self.entries = entries
        starts = counts
    }

    func batch(_ k: Int) -> ArraySlice<UInt32> { entries[starts[k]..<starts[k + 1]] }
}

/// The receiver's OPRF values of its filled bins, by value: open addressing on the low word
/// (pseudorandom), linear probing, one 16-byte slot per value (the low word; the high bits, at
/// most 35 of them, above the bin), so a probe touches one cache line.
struct ValueTable {
    private var slots: [UInt64]
    private let mask: Int
    static let binBits: UInt64 = 28
    static let empty: UInt64 = (1 << binBits) - 1

    init(outputs: [UInt64], table: Cuckoo.Table, bits: Int) {
        precondition(bits <= 128 - Int(Self.binBits) && table.bins < Int(Self.empty))
        let (m0, m1) = OTPSI.mask(bits)
        let filled = table.item.lazy.filter { $0 >= 0 }.count
        // Load at most 3/4 (linear probing stays short), so 10M values take 256 MiB.
        var capacity = 16
        while 3 * capacity < 4 * filled { capacity <<= 1 }
        var slots = [UInt64](repeating: 0, count: 2 * capacity)
        for k in 0..<capacity { slots[2 * k + 1] = Self.empty }
        let mask = capacity - 1
        for b in 0..<table.bins where table.item[b] >= 0 {
            let l = outputs[2 * b] & m0, h = outputs[2 * b + 1] & m1
            var slot = Int(truncatingIfNeeded: l) & mask
            while slots[2 * slot + 1] & Self.empty != Self.empty { slot = (slot + 1) & mask }
            slots[2 * slot] = l
            slots[2 * slot + 1] = h << Self.binBits | UInt64(b)
        }
        self.slots = slots
        self.mask = mask
    }

    /// Calls `body` with each bin whose value is (l, h).
    func forEach(_ l: UInt64, _ h: UInt64, _ body: (Int) -> Void) {
        slots.withUnsafeBufferPointer { slots in
            var slot = Int(truncatingIfNeeded: l) & mask
            while true {
                let packed = slots[2 * slot + 1], bin = packed & Self.empty
                if bin == Self.empty { return }
                if slots[2 * slot] == l && packed >> Self.binBits == h { body(Int(bin)) }
                slot = (slot + 1) & mask
            }
        }
    }
}

extension Duration {
    var psiSeconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
