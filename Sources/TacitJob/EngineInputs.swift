public import TacitMPC
public import TacitNet

extension MPCEngine {
    /// The usual first step of a job on shares: each input party announces its row count
    /// (vector lengths are public on every engine), then secret-shares its column; the
    /// columns are concatenated in the order of `inputs`. Counts a peer announces are checked
    /// against `maxRows` before they size anything. nil when no party has a row.
    public func inputColumns(
        _ mine: [Int64]?, from inputs: [PartyID], maxRows: Int
    ) async throws -> (column: Share?, counts: [PartyID: Int]) {
        let c = context
        var outgoing: [PartyID: [[UInt64]]] = [:]
        if let mine { for p in c.peers { outgoing[p] = [[UInt64(mine.count)]] } }
        let announced = try await c.exchange(outgoing, from: inputs, expectedWords: 1, step: "row counts")
        var counts: [PartyID: Int] = [:]
        var total = 0
        for p in inputs {
            let n: UInt64
            if p == c.localParty {
                guard let mine else { throw MPCError(.invalidArgument, "\(p) is an input party but passed no values") }
                n = UInt64(mine.count)
            } else {
                guard let w = announced[p]?.first else { throw MPCError(.invalidArgument, "\(p) announced no row count", peer: p) }
                n = w
            }
            // Compared as UInt64 first: a hostile count never reaches Int conversion unchecked.
            guard n <= UInt64(maxRows) else {
                throw MPCError(.invalidArgument, "\(p) announced \(n) rows; a job takes at most \(maxRows) rows in all", peer: p)
            }
            counts[p] = Int(n)
            total += Int(n)
        }
        guard total <= maxRows else {
            throw MPCError(.invalidArgument, "the inputs hold \(total) rows; a job takes at most \(maxRows) rows in all (sums must stay exact)")
        }
        var shares: [Share] = []
        for p in inputs {
            let n = counts[p] ?? 0
            if n > 0 { shares.append(try await input(p == c.localParty ? mine : nil, from: p, count: n)) }
        }
        return (shares.isEmpty ? nil : concatenate(shares), counts)
    }
}
