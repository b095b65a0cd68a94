public import TacitJob
public import TacitNet

/// XOR shares of the comparison bits of a batch: for pair i, the x-holder's share ⊕ the
/// y-holder's share = [xᵢ < yᵢ] (`lessThan`) and [xᵢ = yᵢ] (`equal`). Neither share alone says
/// anything; every output mode of the job (both learn, one learns, stays shared) starts here.
public struct ComparisonShares: Sendable, Equatable {
    public var lessThan: [Bool]
    public var equal: [Bool]
    public init(lessThan: [Bool], equal: [Bool]) {
        self.lessThan = lessThan
        self.equal = equal
    }
}

/// Which of the two numbers this party holds: x is compared against y as `x < y`.
public enum ComparisonRole: Sendable, Equatable {
    case holdsX, holdsY
    public var other: ComparisonRole { self == .holdsX ? .holdsY : .holdsX }
}

/// What a path spent, split into the phase that does not depend on the values (keys,
/// precomputed encryptions or OT correlations) and the one that does.
public struct ComparisonStats: Sendable, Equatable {
    public var offlineBytesSent = 0
    public var offlineBytesReceived = 0
    public var offlineSeconds = 0.0
    public var onlineBytesSent = 0
    public var onlineBytesReceived = 0
    /// Messages this party sent in sequence during the online phase, summed over `compare`
    /// calls (a batch is one set of rounds, however many pairs it holds).
    public var onlineRounds = 0
    public var onlineSeconds = 0.0
    /// Pairs compared so far.
    public var comparisons = 0
    public init() {}
}

/// A two-party comparison engine between the parties of `channel` (exactly two), one per
/// path (HE: DGK, OT: CrypTFlow2-style). Both parties call the same methods in the same order.
///
/// `prepare(count:)` does everything that does not depend on the values for `count` more
/// comparisons and may be called again to top up; `compare(_:)` is the online phase and
/// consumes prepared material (preparing the shortfall first, counted as offline, if it runs
/// out). Values are unsigned and must fit in the path's `bits` (1...64); the job maps signed
/// values by flipping the top bit.
///
/// Everything received is untrusted: wrong lengths, out-of-range group elements, truncated or
/// malformed messages throw `JobError(.protocolFailure, …, peer:)` naming the sender; values
/// that do not fit throw `.invalidInput` before anything is sent.
public protocol ComparisonPath: AnyObject {
    var role: ComparisonRole { get }
    var bits: Int { get }
    func prepare(count: Int) async throws
    func compare(_ values: [UInt64]) async throws -> ComparisonShares
    var stats: ComparisonStats { get }
}

extension ComparisonPath {
    /// The error for a value that does not fit in `bits`, before anything is sent.
    public func checkFits(_ values: [UInt64]) throws {
        guard bits < 64 else { return }
        if values.contains(where: { $0 >> UInt64(bits) != 0 }) {
            throw JobError(.invalidInput, "a value does not fit in \(bits) bits; use a wider comparison (bits up to 64)")
        }
    }
}
