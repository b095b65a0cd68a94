public import Foundation
public import TacitLedger

/// `tacit ledger inspect` and what `sign-genesis` shows before it signs: the whole content of
/// a genesis, with the fingerprints founders read aloud to each other.
public enum GenesisReport {
    /// Reads and decodes a genesis file (any state: unsigned, partly signed, complete).
    public static func inspect(file: String) throws -> GenesisInspection {
        guard let data = FileManager.default.contents(atPath: file) else { throw NodeError(.setup, "cannot read \(file)") }
        do { return GenesisInspection(try Genesis(decoding: Array(data))) } catch let e as LedgerError {
            throw NodeError(.setup, "\(file) is not a Tacit genesis: \(e.reason)")
        }
    }

    /// Reads a CA certificate (PEM) as DER, to compare with the genesis's CA.
    public static func caDER(file: String) throws -> [UInt8] {
        do { return try ConsortiumCA.der(try LedgerKeyFiles.readCertificate(path: file)) } catch let e as LedgerError {
            throw NodeError(.setup, e.reason)
        }
    }

    /// Problems with `i` for someone who trusts the CA in `pinnedCA` (none given: only the
    /// genesis's own consistency).
    public static func problems(_ i: GenesisInspection, pinnedCA: [UInt8]?) -> [String] {
        var out = i.problems
        if let pinnedCA, !i.isIssued(underCA: pinnedCA) {
            out.insert("it was issued under another CA (fingerprint \(i.caFingerprint)) than the one given (\(Fingerprint.sha256(pinnedCA)))", at: 0)
        }
        return out
    }

    public static func render(_ i: GenesisInspection, file: String, pinnedCA: [UInt8]? = nil) -> String {
        let day = ISO8601DateFormatter()
        day.formatOptions = [.withFullDate]
        let time = ISO8601DateFormatter()
        var out: [String] = []
        out.append("genesis \(file)")
        out.append("  chain       \(i.chainName)")
        out.append("  chain id    \(i.chainID.hex)")
        out.append("  created     \(time.string(from: i.created))")
        out.append("  CA          \(i.caSubject ?? "(unreadable)")")
        out.append("              SHA-256 \(i.caFingerprint)")
        if let pinnedCA {
            out.append("              \(i.isIssued(underCA: pinnedCA) ? "matches" : "DOES NOT MATCH") the CA certificate given with --ca")
        }
        let p = i.policies
        out.append("  policies    membership and policy changes: signed by \(p.changeThreshold == 0 ? "every member" : "\(p.changeThreshold) members")")
        out.append("              jobs may be proposed by \(p.jobProposerRole.isEmpty ? "any member" : "members with role '\(p.jobProposerRole)'")")
        out.append("              at most \(p.maxBlockTransactions) transactions per block")
        out.append("  members (\(i.members.count)); a block needs \(Quorum.size(i.members.count)) of them")
        for m in i.members {
            out.append("    \(m.name)  \(m.endpoint)  roles \(m.roles.joined(separator: ","))")
            var validity = ""
            if let from = m.validFrom, let until = m.validUntil { validity = ", valid \(day.string(from: from)) to \(day.string(from: until))" }
            out.append("      certificate     SHA-256 \(m.certificateFingerprint)\(validity)")
            out.append("      signing key     \(m.signingKeyFingerprint.map { "SHA-256 \($0)" } ?? "(not certified by the CA)")")
            out.append("      CURVE key       \(m.curveKey)")
            out.append("                      SHA-256 \(m.curveKeyFingerprint ?? "(not a CURVE key)")")
            out.append("      encryption key  SHA-256 \(m.encryptionKeyFingerprint)")
            if let problem = m.problem { out.append("      PROBLEM: \(problem)") }
        }
        out.append("  signed by   \(i.signedBy.isEmpty ? "nobody yet" : i.signedBy.joined(separator: ", "))")
        if !i.unsigned.isEmpty { out.append("  to sign     \(i.unsigned.joined(separator: ", "))") }
        let problems = problems(i, pinnedCA: pinnedCA)
        if problems.isEmpty {
            out.append(i.unsigned.isEmpty ? "complete: every founder signed; a node accepts it" : "consistent so far; nodes refuse it until every founder has signed")
        } else {
            for p in problems { out.append("PROBLEM: \(p)") }
        }
        return out.joined(separator: "\n")
    }
}

/// `tacit keys fingerprint` and `tacit ca fingerprint`: what a member reads aloud so the others
/// can check the genesis lists its keys, computed exactly as `tacit ledger inspect` shows them.
public enum KeyFingerprint {
    /// The fingerprint of a public key file: a CURVE `NAME.pub`, a CURVE secret `NAME.key` (its
    /// public half), a ledger `NAME.signing.pub`, or a PEM certificate.
    public static func of(file: String) throws -> (kind: String, fingerprint: String) {
        guard let data = FileManager.default.contents(atPath: file) else { throw NodeError(.setup, "cannot read \(file)") }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("-----BEGIN CERTIFICATE-----") {
            return ("certificate", Fingerprint.sha256(try GenesisReport.caDER(file: file)))
        }
        if text.hasPrefix(LedgerKeys.publicKeyPrefix) {
            return ("ledger signing key", Fingerprint.sha256(try LedgerKeys.readPublicKeyFile(file).rawRepresentation))
        }
        // Both halves of a CURVE pair are 40 Z85 characters: the name says which one this is,
        // so a secret key is never fingerprinted as if it were public.
        if text.hasPrefix("ed25519:") || text.hasPrefix("x25519:") {
            throw NodeError(.setup, "\(file) is a ledger secret key; fingerprint its public file (NAME.signing.pub) or the member's certificate")
        }
        if file.hasSuffix(".key") {
            if let fp = Fingerprint.curveKey(z85: try TransportKeys.publicKey(ofSecretKeyFile: file)) {
                return ("CURVE public key (of this secret key)", fp)
            }
        } else if let fp = Fingerprint.curveKey(z85: text) {
            return ("CURVE public key", fp)
        }
        throw NodeError(
            .setup, "\(file) is not a key or certificate Tacit fingerprints: give NAME.pub, NAME.key, NAME.signing.pub or a PEM certificate")
    }
}
