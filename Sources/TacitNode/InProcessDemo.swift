import Foundation
import TacitCrypto
import TacitMath

/// The claim-total computation in one process, without nodes or ledger (`tacit demo`; `make
/// demo` runs it as a real job across node processes): three hospitals' claim totals summed
/// under 2-of-3 threshold Paillier, so that no single party (the insurer included) can
/// decrypt anything but the agreed total. A tampered decryption share is shown to be caught.
public enum InProcessDemo {
    /// Runs the demo with a `bits`-bit modulus, reporting each step through `say`. Throws if
    /// the jointly decrypted total differs from the plaintext sum.
    public static func claimTotal(bits: Int, say: (String) -> Void) async throws {
        let cents = FixedPointFormat(fractionalDigits: 2)
        let hospitals: [(name: String, claims: [String])] = [
            ("St Mary's", ["1200.50", "310.00", "87.25"]),
            ("Riverside", ["15000.00", "42.10"]),
            ("Northgate", ["980.75", "2250.00", "19.99", "600.00"]),
        ]

        say("Dealing a \(bits)-bit 2-of-3 threshold Paillier key (trusted dealer; see Docs/TacitCrypto.md)...")
        var clock = ContinuousClock.now
        let (thresholdKey, keyShares) = try Paillier.dealThresholdKey(bits: bits, threshold: 2, parties: 3)
        let publicKey = thresholdKey.publicKey
        say("  done in \(elapsed(since: clock)); every party holds one key share, none can decrypt alone")

        // Each hospital encrypts its own claims; only ciphertexts leave the hospital.
        clock = .now
        var ciphertexts: [Paillier.Ciphertext] = []
        for hospital in hospitals {
            for claim in hospital.claims {
                ciphertexts.append(try publicKey.encrypt(claim, format: cents))
            }
            say("  \(hospital.name) encrypted \(hospital.claims.count) claims")
        }
        // The insurer adds ciphertexts it cannot read.
        let encryptedTotal = await publicKey.sum(ciphertexts)
        say("Insurer summed \(ciphertexts.count) encrypted claims in \(elapsed(since: clock)) without seeing any of them")

        // Two parties decrypt partially, each with a proof; a third, tampered share is caught.
        clock = .now
        var shares = [keyShares[0].decrypt(encryptedTotal), keyShares[2].decrypt(encryptedTotal)]
        let honest = keyShares[1].decrypt(encryptedTotal)
        let forged = Paillier.DecryptionShare(index: honest.index, value: honest.value * 2 % publicKey.nSquared,
                                              challenge: honest.challenge, response: honest.response)
        let (valid, rejected) = thresholdKey.sortShares(shares + [forged], for: encryptedTotal)
        for error in rejected { say("  rejected: \(error.message)") }
        shares = valid
        let total = try thresholdKey.combine(shares, for: encryptedTotal)
        say("Parties 1 and 3 decrypted the total jointly in \(elapsed(since: clock)), proofs verified")

        // The plaintext check is possible only because this demo holds everyone's data.
        let expected = try hospitals.flatMap(\.claims).reduce(BigInt()) { $0 + (try cents.encode($1)) }
        let totalText = try cents.decode(total)
        say("")
        say("Total of all claims: \(totalText)")
        guard total == expected else {
            throw NodeError(.protocolFailure, "the jointly decrypted total \(totalText) differs from the plaintext sum \(try cents.decode(expected))")
        }
        say("Check against the plaintext sum: equal")
    }

    private static func elapsed(since start: ContinuousClock.Instant) -> String {
        let d = ContinuousClock.now - start
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        return ms >= 1000 ? String(format: "%.1f s", ms / 1000) : String(format: "%.0f ms", ms)
    }
}
