// The protocols Tacit ships, registered in one place. Adding a protocol means one line here
// (and one entry in Package.swift's lists); nothing else outside its folder changes.
public import TacitJob
public import TacitMPC
import TacitAdditive
import TacitShamir
import TacitReplicated
import TacitStatistics
import TacitPaillierAggregation
import TacitMeanVariance
import TacitMillionaires
import TacitPSI
import TacitClaims

extension EngineRegistry {
    /// The secret-sharing engines Tacit ships: additive sharing with a dealer or with
    /// OT-generated triples, Shamir sharing, and three-party replicated sharing. A node builds this at start-up.
    public static func standard() -> EngineRegistry {
        var r = EngineRegistry()
        for engine: any MPCProtocol in [
            AdditiveProtocol(preprocessing: .dealer(nil)),
            AdditiveProtocol(preprocessing: .obliviousTransfer),
            ShamirProtocol(),
            ReplicatedProtocol(),
        ] {
            // Distinct names by construction; a clash would be a programming error caught by
            // the conformance suite's registry test, so it is skipped rather than trapped.
            try? r.register(engine)
        }
        return r
    }
}

extension JobProtocolRegistry {
    /// The job protocols Tacit ships, on `engines` (default: the standard engines).
    public static func standard(engines: EngineRegistry = .standard()) -> JobProtocolRegistry {
        var r = JobProtocolRegistry(engines: engines)
        for job: any JobProtocol in [
            Statistics(),
            PaillierAggregation(),
            MeanVariance(),
            Millionaires(),
            PSI(),
            Claims(),
        ] {
            try? r.register(job)
        }
        return r
    }
}
