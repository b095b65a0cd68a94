import TacitJob
import TacitMPC
import TacitNet

/// One party's set for a two-party PSI run: each element is the canonical bytes of one
/// identifier (after ``IdentifierNormalisation``), distinct within the set. Duplicates are
/// removed before a path sees the set (``PSISet.init(_:)``), and the row numbers behind each
/// element stay local.
public struct PSISet: Sendable {
    /// Distinct elements in first-seen order.
    public let elements: [[UInt8]]
    public init(distinct elements: [[UInt8]]) { self.elements = elements }
    /// The distinct elements of `items`, keeping the first occurrence's position.
    public init<S: Sequence<[UInt8]>>(_ items: S) {
        var seen = Set<[UInt8]>()
        var out: [[UInt8]] = []
        for e in items where seen.insert(e).inserted { out.append(e) }
        elements = out
    }
    public var count: Int { elements.count }
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
