import Foundation
public import TacitCrypto
import TacitJob
import TacitMPC
import TacitNet

/// One party's set for a PSI run: each element is the canonical bytes of one identifier
/// (after ``IdentifierNormalisation``), distinct within the set. Duplicates are removed before
/// a path sees the set (``PSISet.init(_:)``), and the row numbers behind each element stay
/// local.
///
/// Packed: all elements' bytes in one buffer with their end offsets, about 8 bytes beyond the
/// identifier itself per element (ten million 15-byte identifiers in 230 MB, where an array
/// per element took about 70 bytes more each). Read it by position (``ByteStrings``).
public struct PSISet: Sendable, ByteStrings {
    /// Every element's bytes, back to back.
    let bytes: [UInt8]
    /// Element i ends at `ends[i]` and starts where element i − 1 ends (0 for the first).
    let ends: [Int]

    public var count: Int { ends.count }

    /// The elements as arrays, in first-seen order (a copy each: for small sets and tests).
    public var elements: [[UInt8]] { (0..<count).map { i in withMessage(i) { Array($0) } } }

    public func withMessage<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = i == 0 ? 0 : ends[i - 1]
        return try bytes.withUnsafeBufferPointer { try body(UnsafeBufferPointer(rebasing: $0[start..<ends[i]])) }
    }

    /// Element `i` as an array.
    public subscript(i: Int) -> [UInt8] { withMessage(i) { Array($0) } }

    init(packed bytes: [UInt8], ends: [Int]) {
        self.bytes = bytes
        self.ends = ends
    }

    /// `elements`, which the caller knows to be distinct.
    public init(distinct elements: [[UInt8]]) {
        var b = PackedBuilder(capacity: elements.count)
        for e in elements { b.append(e) }
        self = b.set
    }

    /// The distinct elements of `items`, keeping the first occurrence's position.
    public init<S: Sequence<[UInt8]>>(_ items: S) {
        var b = PackedBuilder(capacity: items.underestimatedCount)
        for e in items { _ = b.insert(e) }
        self = b.set
    }

    /// Elements `range` (positions in this set), in order.
    public subscript(range: Range<Int>) -> Rows { Rows(set: self, order: nil, range: range) }

    /// All elements in an order drawn from `rng` (a PSI peer learns where a match sits in what
    /// it receives: shuffled, that says nothing about this party's rows).
    public func shuffled<G: RandomNumberGenerator>(using rng: inout G) -> Rows {
        var order = Array(0..<count)
        order.shuffle(using: &rng)
        return Rows(set: self, order: order, range: 0..<count)
    }

    /// Some of a set's elements, by position, in a given order: what one message of a batch
    /// hashes, without copying them out.
    public struct Rows: ByteStrings {
        let set: PSISet
        /// Position j of these rows is element `order[j]` of `set` (nil: element j).
        let order: [Int]?
        let range: Range<Int>
        public var count: Int { range.count }
        public func withMessage<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
            let j = range.lowerBound + i
            return try set.withMessage(order?[j] ?? j, body)
        }
        /// Positions `r` of these rows.
        public subscript(r: Range<Int>) -> Rows {
            Rows(set: set, order: order, range: (range.lowerBound + r.lowerBound)..<(range.lowerBound + r.upperBound))
        }
    }
}

/// Positions `range` of any batch of messages.
struct Window<Base: ByteStrings>: ByteStrings {
    let base: Base
    let range: Range<Int>
    var count: Int { range.count }
    func withMessage<R>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try base.withMessage(range.lowerBound + i, body)
    }
}

/// Builds a packed set, deduplicating with an open-addressing table of positions (4 bytes a
/// slot, at most half full) instead of a dictionary keyed by arrays.
struct PackedBuilder {
    private(set) var bytes: [UInt8] = []
    private(set) var ends: [Int] = []
    private var slots: [Int32]
    private var mask: Int

    init(capacity: Int) {
        var size = 16
        while size < 2 * max(capacity, 1) { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        ends.reserveCapacity(capacity)
    }

    var set: PSISet { PSISet(packed: bytes, ends: ends) }
    var count: Int { ends.count }

    /// Appends `e` without looking for it (the caller knows it is new).
    mutating func append(_ e: some Collection<UInt8>) {
        bytes.append(contentsOf: e)
        ends.append(bytes.count)
    }

    private func hash(_ e: UnsafeRawBufferPointer) -> Int {
        var h = Hasher()
        h.combine(bytes: e)
        return h.finalize()
    }

    private func equals(_ i: Int, _ e: UnsafeRawBufferPointer) -> Bool {
        let start = i == 0 ? 0 : ends[i - 1]
        guard ends[i] - start == e.count else { return false }
        return bytes.withUnsafeBytes { raw in
            e.count == 0 || memcmp(raw.baseAddress! + start, e.baseAddress!, e.count) == 0
        }
    }

    /// The position of `e`, inserting it at the end if it is new (`new` true).
    mutating func insert(_ e: [UInt8]) -> (position: Int, new: Bool) {
        if 2 * (count + 1) > slots.count { grow() }
        return e.withUnsafeBytes { raw in
            var s = hash(raw) & mask
            while slots[s] >= 0 {
                if equals(Int(slots[s]), raw) { return (Int(slots[s]), false) }
                s = (s + 1) & mask
            }
            slots[s] = Int32(count)
            append(e)
            return (count - 1, true)
        }
    }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        for i in 0..<count {
            let start = i == 0 ? 0 : ends[i - 1]
            let h = bytes.withUnsafeBytes { hash(UnsafeRawBufferPointer(rebasing: $0[start..<ends[i]])) }
            var s = h & mask
            while slots[s] >= 0 { s = (s + 1) & mask }
            slots[s] = Int32(i)
        }
    }
}

/// Which side of a two-party PSI this party plays: the receiver learns the result (which of
/// its elements are in the intersection, or only how many); the sender learns only the
/// receiver's set size.
public enum PSIRole: Sendable, Equatable {
    case receiver, sender
}

/// What the receiver learns.
public enum PSIOutputMode: String, Sendable, Equatable, CaseIterable {
    /// Which of its elements are in the intersection.
    case intersection
    /// Only how many are.
    case size
}

/// What a run gave this party. At the sender, `matches` is nil and `size` nil too (it learns
/// nothing of the intersection); both sides learn `peerSetSize`.
public struct PSIOutcome: Sendable, Equatable {
    /// Indices into the receiver's `PSISet.elements` that the sender's set also holds,
    /// ascending (intersection mode, receiver only).
    public var matches: [Int]?
    /// The intersection's size (receiver only).
    public var size: Int?
    /// The other party's set size, which PSI reveals.
    public var peerSetSize: Int
    public var stats: PSIStats
    public init(matches: [Int]?, size: Int?, peerSetSize: Int, stats: PSIStats) {
        self.matches = matches
        self.size = size
        self.peerSetSize = peerSetSize
        self.stats = stats
    }
}

/// What a run spent, for `tacit job status`, simulations and the benchmark.
public struct PSIStats: Sendable, Equatable {
    public var bytesSent = 0
    public var bytesReceived = 0
    public var messagesSent = 0
    /// Work that did not depend on the other party's set (key generation, base OTs, a stored
    /// blacklist's preparation).
    public var setupSeconds = 0.0
    public var onlineSeconds = 0.0
    public init() {}
}

/// Progress of a long run, as a fraction of this party's work in 0...1 with a step name
/// (`tacit job status` and the terminal's progress bar show it).
public typealias PSIProgress = @Sendable (_ step: String, _ fraction: Double) async -> Void

/// What the two-party paths share around a run.
enum PSIRun {
    /// Runs `body`; a failure is told to the peer (once) and thrown as the job's error,
    /// naming the peer when the peer caused it. A JobError (local input or settings refused)
    /// is thrown as is, and the peer learns only that this side refused.
    static func guarded<R>(_ link: PairLink, _ body: () async throws -> R) async throws -> R {
        do {
            return try await body()
        } catch let e as JobError {
            _ = await link.fail(MPCError(.invalidArgument, "the peer refused to go on: \(e.message)"))
            throw e
        } catch {
            let mpc = error as? MPCError
                ?? (error is CancellationError
                    ? MPCError(.cancelled, "the PSI run was cancelled") : MPCError(.malformedMessage, "\(error)"))
            let f = await link.fail(mpc)
            throw JobError(.protocolFailure, f.message, peer: f.peer?.name)
        }
    }
}
