import Foundation
import HTTPTypes
import Hummingbird
import Logging
import TacitBytes
import TacitJob
import TacitNet
import TacitNode

/// A verification run from the page: the replica file's chain, signatures, certificates and
/// quorums, and the node's job invariants over the same replica.
struct VerificationReport: Sendable {
    var at: Date
    var replica: LedgerReplica.Verification?
    var replicaError: String?
    var node: LedgerVerification?
    var nodeError: String?

    var ok: Bool { replica?.failure == nil && replicaError == nil && (node?.ok ?? false) }

    var summary: String {
        var parts: [String] = []
        if let r = replica {
            if let f = r.failure {
                parts.append("FAILED at block \(f.height.map(String.init) ?? "?"): \(f.code): \(f.reason); blocks 1...\(r.verifiedHeight) verified before it")
            } else {
                parts.append("OK: \(r.verifiedHeight) blocks, \(r.transactions) transactions verified")
            }
        } else {
            parts.append("the replica could not be read: \(replicaError ?? "?")")
        }
        if let n = node {
            parts.append(n.ok ? "job invariants hold over \(n.entries) job entries" : "job invariants FAILED: \(n.problems.joined(separator: "; "))")
        } else {
            parts.append("the node did not verify: \(nodeError ?? "?")")
        }
        return parts.joined(separator: "; ")
    }

    var text: String {
        var lines = ["Tacit ledger verification", "at: \(at.consoleText)", "result: \(ok ? "OK" : "FAILED")"]
        if let r = replica {
            lines.append("chain id: \(r.chainID ?? "-")")
            lines.append("verified height: \(r.verifiedHeight)")
            lines.append("transactions: \(r.transactions)")
            if let f = r.failure { lines.append("first failure: block \(f.height.map(String.init) ?? "?"): \(f.code): \(f.reason)") }
            if let s = r.state { lines.append("members: \(s.members.joined(separator: ", ")) (quorum \(s.quorum))") }
        } else {
            lines.append("replica: \(replicaError ?? "?")")
        }
        if let n = node {
            lines.append("checks:")
            lines += n.checks.map { "  - " + $0 }
            lines.append("job entries: \(n.entries)")
            lines.append(n.problems.isEmpty ? "problems: none" : "problems:")
            lines += n.problems.map { "  - " + $0 }
        } else {
            lines.append("node: \(nodeError ?? "?")")
        }
        lines.append("Check it with your own tools: tacit ledger verify --db REPLICA --ca ca.crt, or the steps in Docs/TacitLedger.md.")
        return lines.joined(separator: "\n") + "\n"
    }
}

extension ConsoleApp {
    func verifyNow() async -> VerificationReport {
        var report = VerificationReport(at: Date())
        do { report.replica = try await node.replica { $0.verify() } } catch { report.replicaError = (error as? NodeError)?.message ?? "\(error)" }
        let r = await node.send(ControlRequest(op: "verify"))
        if let v = r.verification { report.node = v } else { report.nodeError = r.error ?? "no answer" }
        lastVerification.withLock { $0 = report }
        return report
    }

    func ledgerPage(_ session: SessionStore.Session, before: UInt64?) async -> Response {
        struct Overview: Sendable {
            var genesis: ConsortiumSetup.GenesisSummary?
            var top: UInt64
            var blocks: [LedgerReplica.BlockSummary]
            var members: (members: [LedgerReplica.MemberSummary], quorum: Int, verification: LedgerReplica.Verification)?
        }
        let o: Overview
        do {
            o = try await node.replica { r in
                let top = try r.lastHeight()
                let upper = min(top, before.map { $0 > 0 ? $0 - 1 : 0 } ?? top)
                var blocks: [LedgerReplica.BlockSummary] = []
                var h = upper
                while h >= 1, blocks.count < 50 {
                    if let b = try r.block(at: h) { blocks.append(b) }
                    h -= 1
                }
                return Overview(genesis: try r.genesis(), top: top, blocks: blocks, members: r.members())
            }
        } catch {
            return errorPage(session, "cannot read this node's ledger replica: \((error as? NodeError)?.message ?? "\(error)")")
        }
        var b = "<h1>Ledger</h1>"
        b += "<table id=\"chain\"><tbody>"
        b += "<tr><th>Chain</th><td>\(esc(o.genesis?.chain ?? "—"))</td></tr><tr><th>Chain id (genesis hash)</th><td><code>\(esc(o.genesis?.id ?? "—"))</code></td></tr>"
        b += "<tr><th>Height</th><td id=\"height\">\(o.top)</td></tr><tr><th>Head</th><td><code id=\"head\">\(esc(o.blocks.first(where: { $0.height == o.top })?.hash ?? "—"))</code></td></tr>"
        if let m = o.members { b += "<tr><th>Quorum</th><td>\(m.quorum) of \(m.members.count) members sign each block</td></tr>" }
        b += "</tbody></table>"

        b += "<h2 id=\"verification\">Verification</h2>"
        if let v = lastVerification.withLock({ $0 }) {
            b += "<p id=\"verify-status\" class=\"\(v.ok ? "ok" : "error")\">\(v.ok ? "Verified" : "Verification failed") at \(esc(v.at.consoleText)): \(esc(v.summary))</p>"
        } else {
            b += "<p id=\"verify-status\" class=\"muted\">Not verified from this page yet.</p>"
        }
        b += "<form method=\"post\" action=\"/ledger/verify\" id=\"verify-form\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\"><button id=\"verify\">Verify the whole replica now</button></form>"
        b += "<p><a href=\"/ledger/verification.txt\" id=\"report-link\">Download a verification report</a> · <a href=\"/ledger/export.json\" id=\"export-link\">Download the ledger export (JSON: canonical bytes and a decoded summary)</a></p>"

        b += "<h2>Members</h2>"
        if let m = o.members {
            b += "<table id=\"members\"><thead><tr><th>Member</th><th>Roles</th><th>Endpoint</th><th>Certificate</th><th>Valid</th><th>Fingerprints (SHA-256)</th></tr></thead><tbody>"
            for x in m.members {
                let valid = "\(x.validFrom?.consoleText ?? "?") – \(x.validUntil?.consoleText ?? "?")"
                b += "<tr data-member=\"\(esc(x.name))\"><td>\(esc(x.name))\(x.name == party ? " (this node)" : "")</td><td>\(esc(x.roles.joined(separator: ", ")))</td><td><code>\(esc(x.endpoint))</code></td>"
                b += "<td>\(esc(x.certificateSubject ?? "unreadable")) issued by \(esc(x.certificateIssuer ?? "?"))<br><a href=\"/ledger/members/\(urlComponent(x.name)).pem\">certificate (PEM)</a>\(x.problem.map { "<br><span class=\"error\">\(esc($0))</span>" } ?? "")</td>"
                b += "<td>\(esc(valid))</td><td class=\"fingerprints\">certificate <code>\(esc(x.certificateFingerprint))</code><br>signing key <code>\(esc(x.signingKeyFingerprint ?? "—"))</code><br>CURVE key <code>\(esc(x.curveKeyFingerprint ?? "—"))</code><br>encryption key <code>\(esc(x.encryptionKeyFingerprint))</code></td></tr>"
            }
            b += "</tbody></table>"
        } else {
            b += "<p class=\"error\">No block of this replica verifies, so no membership is shown. Verify it for the reason.</p>"
        }

        b += "<h2>Blocks</h2><table id=\"blocks\"><thead><tr><th>Height</th><th>Hash</th><th>Proposer</th><th>Round</th><th>Signed by</th><th>Transactions</th></tr></thead><tbody>"
        for blk in o.blocks {
            let txs = blk.transactions.map { t in
                t.map { "\($0.kind) by \($0.author)\($0.jobID.map { " · job \($0)" } ?? "") <code>\($0.id)</code>" } ?? "undecodable"
            }
            b += "<tr><td>\(blk.height)</td><td><code>\(esc(String(blk.hash.prefix(16))))…</code></td><td>\(esc(blk.proposer))</td><td>\(blk.round)</td><td>\(esc(blk.signedBy.joined(separator: ", ")))</td>"
            b += "<td>\(txs.map { esc($0).replacingOccurrences(of: "&lt;code&gt;", with: "<code>").replacingOccurrences(of: "&lt;/code&gt;", with: "</code>") }.joined(separator: "<br>"))</td></tr>"
        }
        b += "</tbody></table>"
        if let last = o.blocks.last, last.height > 1 { b += "<p><a href=\"/ledger?before=\(last.height)\" id=\"older\">Older blocks</a></p>" }
        return Page.html(.ok, layout(session, title: "Ledger", body: b))
    }

    func ledgerExport() async -> Response {
        do {
            let data = try await node.replica { try $0.exportJSON() }
            return Page.download(String(decoding: data, as: UTF8.self), type: "application/json", name: "\(party)-ledger-export.json")
        } catch {
            return Page.plain(.internalServerError, "cannot export the replica: \((error as? NodeError)?.message ?? "\(error)")")
        }
    }

    func memberCertificate(_ name: String) async -> Response {
        guard isSafeIdentifier(name) else { return Page.plain(.notFound, "no such member") }
        let pem = try? await node.replica { r in r.members()?.members.first { $0.name == name }?.certificatePEM }
        guard let pem = pem ?? nil else { return Page.plain(.notFound, "\(name) is not a member on this ledger") }
        return Page.download(pem, type: "application/x-pem-file", name: "\(name).crt")
    }

    // MARK: audit

    struct AuditForm: Sendable {
        var job = "", party = "", types = "", salt = "", csv = "", opening = ""
    }

    func auditPage(_ session: SessionStore.Session, form: AuditForm?, finding: Result<Audit.Finding, NodeError>?) async -> String {
        let f = form ?? AuditForm()
        let r = await node.send(ControlRequest(op: "ledger"))
        let committed = (r.entries ?? []).compactMap { e -> (String, String)? in
            if case .inputCommitted(let j, _, _, _) = e.transaction { return (j, e.author.name) }
            return nil
        }
        var b = "<h1>Audit: open an input commitment</h1>"
        b += "<p>A party that committed its input can hand an auditor the exact data and the salt (<code>tacit audit export</code>). "
        b += "Here the auditor recomputes the commitment from them and compares it with the one on the ledger. The data stays in this console's memory for the check and is not logged or stored.</p>"
        if let finding {
            switch finding {
            case .success(let x):
                b += x.matches
                    ? "<p id=\"audit-result\" class=\"ok\">MATCH: the data and salt open the commitment <code>\(esc(x.commitment))</code> (\(x.rows) rows, columns \(esc(x.columns.joined(separator: ", ")))).</p>"
                    : "<p id=\"audit-result\" class=\"error\">NO MATCH: the ledger holds <code>\(esc(x.commitment))</code>; the data and salt give <code>\(esc(x.recomputed))</code> (\(x.rows) rows). The data, its column types or the salt differ from what was committed.</p>"
            case .failure(let e):
                b += "<p id=\"audit-result\" class=\"error\">\(esc(e.message))</p>"
            }
        }
        b += "<form method=\"post\" action=\"/audit\" id=\"audit-form\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">"
        b += "<label>Job <input name=\"job\" id=\"audit-job\" list=\"audit-jobs\" value=\"\(esc(f.job))\"></label>"
        b += "<datalist id=\"audit-jobs\">" + Set(committed.map(\.0)).sorted().map { "<option value=\"\(esc($0))\">" }.joined() + "</datalist>"
        b += "<label>Party <input name=\"party\" id=\"audit-party\" list=\"audit-parties\" value=\"\(esc(f.party))\"></label>"
        b += "<datalist id=\"audit-parties\">" + Set(committed.map(\.1)).sorted().map { "<option value=\"\(esc($0))\">" }.joined() + "</datalist>"
        b += "<fieldset><legend>Either the opening file from <code>tacit audit export</code></legend><textarea name=\"opening\" id=\"audit-opening\" rows=\"4\">\(esc(f.opening))</textarea>"
        b += "<input type=\"file\" id=\"opening-file\" data-target=\"audit-opening\" accept=\".json,application/json\"></fieldset>"
        b += "<fieldset><legend>Or the data (CSV), its column types and the salt</legend>"
        b += "<label>Column types <input name=\"types\" id=\"audit-types\" value=\"\(esc(f.types))\" placeholder=\"amount:decimal:2 member_id:identifier\"></label>"
        b += "<label>Salt (64 hex digits) <input name=\"salt\" id=\"audit-salt\" value=\"\(esc(f.salt))\" autocomplete=\"off\"></label>"
        b += "<label>CSV <textarea name=\"csv\" id=\"audit-csv\" rows=\"6\"></textarea></label><input type=\"file\" id=\"csv-file\" data-target=\"audit-csv\" accept=\".csv,text/csv\"></fieldset>"
        b += "<button id=\"audit-check\">Check against the ledger</button></form>"
        return layout(session, title: "Audit", body: b)
    }

    func audit(_ form: FormFields, _ session: SessionStore.Session) async -> Response {
        var f = AuditForm()
        f.job = (form["job"] ?? "").trimmingCharacters(in: .whitespaces)
        f.party = (form["party"] ?? "").trimmingCharacters(in: .whitespaces)
        f.types = form["types"] ?? ""
        f.salt = (form["salt"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        f.opening = form["opening"] ?? ""
        let csv = form["csv"] ?? ""
        let r = await node.send(ControlRequest(op: "ledger"))
        let entries = r.entries ?? []
        let finding: Result<Audit.Finding, NodeError>
        do {
            if !f.opening.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                let opening: CommitmentOpening
                do { opening = try JSONDecoder().decode(CommitmentOpening.self, from: Data(f.opening.utf8)) } catch {
                    throw NodeError(.audit, "the opening is not the JSON that `tacit audit export` writes")
                }
                finding = .success(try Audit.check(opening: opening, entries: entries))
            } else {
                guard isSafeIdentifier(f.job), isSafeIdentifier(f.party) else { throw NodeError(.audit, "name the job and the party whose commitment to open") }
                let types = try f.types.split(whereSeparator: { $0 == " " || $0 == "," || $0 == "\n" }).map { try ColumnDeclaration.parse(spec: String($0)) }
                finding = .success(try Audit.check(jobID: f.job, party: PartyID(f.party), csv: csv, csvName: "the CSV given", salt: f.salt, types: types, entries: entries))
            }
        } catch let e as NodeError {
            finding = .failure(e)
        } catch {
            finding = .failure(NodeError(.audit, "\(error)"))
        }
        if case .success(let x) = finding {
            logger.notice("console: audit of job \(f.job.isEmpty ? "(opening)" : f.job) \(f.party): \(x.matches ? "match" : "no match")")
        }
        // The salt is the party's secret: the form comes back without it.
        f.salt = ""
        f.opening = ""
        return Page.html(.ok, await auditPage(session, form: f, finding: finding))
    }
}
