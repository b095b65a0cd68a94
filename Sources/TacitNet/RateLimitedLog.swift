public import Logging
import TacitBytes

/// Warnings about dropped input, at most one line per kind per interval: every drop is
/// counted in `MeshStats`, and logged, but a peer sending a million bad messages must not be
/// able to fill the disk or drown the log. A line that follows suppressed ones says how many.
final class RateLimitedLog: Sendable {
    private struct Entry: Sendable {
        var last: ContinuousClock.Instant
        var suppressed: Int
    }
    private let logger: Logger
    private let interval: Duration
    // Keyed by a fixed description of the kind of drop (never by peer-supplied text), so the
    // table stays small whatever a peer sends.
    private let entries = Locked<[String: Entry]>([:])

    init(logger: Logger, interval: Duration = .seconds(1)) {
        self.logger = logger
        self.interval = interval
    }

    /// `kind` must be one of a fixed set of texts chosen by the caller, never peer input.
    func warning(_ kind: String, _ detail: String, metadata: Logger.Metadata = [:]) {
        let key = kind
        let now = ContinuousClock.now
        let suppressed: Int? = entries.withLock { e in
            if var entry = e[key], now - entry.last < interval {
                entry.suppressed += 1
                e[key] = entry
                return nil
            }
            let before = e[key]?.suppressed ?? 0
            e[key] = Entry(last: now, suppressed: 0)
            return before
        }
        guard let suppressed else { return }
        var m = metadata
        if suppressed > 0 { m["suppressed"] = "\(suppressed)" }
        logger.warning("\(key): \(detail)", metadata: m)
    }
}
