public import TacitCrypto
import TacitMath
public import TacitNet
import TacitMPC

/// Generation of a threshold Paillier key by the parties themselves, without a dealer: no
/// party ever learns p, q, φ(n) or the decryption exponent. See `README.md` beside this file
/// for the protocol, its security model and its cost.
///
/// - The modulus: Boneh–Franklin (1997/2001). Each party holds additive shares p_i, q_i;
///   a distributed sieve makes p and q coprime to every small prime by construction; n = pq is
///   computed with a BGW multiplication over Shamir shares and revealed; it is trial-divided
///   publicly, then passes the Boneh–Franklin biprimality test.
/// - The decryption key: Nishide–Sakurai (2010). d = β·φ(n) for a jointly random β nobody
///   knows; θ = d mod n is published; d is reshared as integer Shamir shares, which plug into
///   ``Paillier/ThresholdKeyShare`` (with θ and the share length bound in the public key).
///
/// Semi-honest parties, honest majority (fewer than n/2 colluding).
public enum DistributedPaillier {
    /// What the ceremony is asked to produce.
    public struct Parameters: Sendable, Hashable {
        /// Bit length of n (even, ≥ 256). 2048 in production.
        public var bits: Int
        /// Decryption shares needed (t of the parties).
        public var threshold: Int
        /// Statistical security (bits) of the masks that hide φ and the integer shares.
        public var statisticalSecurity = 128
        /// Biprimality test repetitions: a modulus that is not a product of two primes passes
        /// each with probability at most 1/2, so the error is at most 2^−passes.
        public var biprimalityPasses = 64
        /// Candidate moduli tried per round trip: rounds, not candidates, dominate the time.
        public var batchSize = 256
        /// Give up after this many candidates (a 2048-bit key needs a few thousand).
        public var maxCandidates = 200_000
        /// n is trial-divided publicly by the primes above the sieve bound up to this.
        public var trialDivisionBound = 1 << 16
        /// Which sizes of n are acceptable (tests use `.insecureAnySizeForTesting`).
        public var policy: Paillier.KeySizePolicy = .standard

        public init(bits: Int = 2048, threshold: Int, policy: Paillier.KeySizePolicy = .standard) {
            self.bits = bits
            self.threshold = threshold
            self.policy = policy
        }
    }

    /// Where the ceremony is, for a progress display.
    public struct Progress: Sendable, Hashable {
        public enum Phase: String, Sendable, Hashable {
            /// Sieving candidates and computing their moduli.
            case modulus
            /// Running the biprimality test on surviving candidates.
            case biprimality
            /// Computing θ and the integer shares of the decryption exponent.
            case decryptionKey
            /// Publishing verification keys and test-decrypting with the new key.
            case verification
            case done
        }
        public var phase: Phase
        /// Candidate moduli computed so far.
        public var candidatesTried: Int
        /// Candidates that passed trial division and entered the biprimality test.
        public var biprimalityTests: Int
        /// The budget (``Parameters/maxCandidates``).
        public var maxCandidates: Int
    }

    /// This party's result.
    public struct Outcome: Sendable {
        /// The threshold key share: secret, keep it with this party.
        public let share: Paillier.ThresholdKeyShare
        /// The shared public key (the same on every party).
        public var publicKey: Paillier.ThresholdPublicKey { share.thresholdKey }
        /// The share holders in index order (index = position + 1).
        public let holders: [PartyID]
        public let candidatesTried: Int
        public let biprimalityTests: Int
        /// Protocol steps (message rounds) used.
        public let rounds: UInt64
        /// This party's secret intermediate values, for the tests that check the modulus
        /// against the combined secrets. Internal: never reachable from production code.
        let secrets: PartySecrets
    }

    /// A party's secret intermediate values of the accepted candidate.
    struct PartySecrets: Sendable {
        let p: BigInt
        let q: BigInt
        let beta: BigInt
        let r: BigInt
        /// This party's point of every party's degree-τ sharing of its p_j (index j − 1, its
        /// own included): its view of the modulus round.
        let receivedPShares: [BigInt]
    }

    /// Runs the ceremony on this party: `channel` is the ceremony's session on the mesh,
    /// `parties` the share holders (default: every member), all running this with the same
    /// parameters. Every party gets the same public key and its own share, or every party
    /// fails with an error naming the party that failed, aborted, went silent or sent a
    /// malformed message (``TacitMPC/MPCError`` codes `.malformedMessage`, `.peerAborted`,
    /// `.timeout`).
    public static func generate(
        channel: SessionChannel, parties: [PartyID]? = nil, parameters: Parameters,
        timeout: Duration = .seconds(120), progress: (@Sendable (Progress) -> Void)? = nil
    ) async throws -> Outcome {
        try await MPCContext.run(channel: channel, parties: parties, timeout: timeout) { context in
            var ceremony = try Ceremony(context: context, parameters: parameters, progress: progress)
            return try await ceremony.run()
        }
    }
}
