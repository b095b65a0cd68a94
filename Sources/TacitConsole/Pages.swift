import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import TacitBytes
import TacitJob
import TacitNet
import TacitNode

/// The pages. Every value shown comes from this node's ledger replica (through its control
/// socket or read from the file) or from its own local state; nothing comes from a peer's
/// word. Values of other parties' inputs are never on either, and a result's value is shown
/// only where the node itself holds it (a recipient, or a member a sealed copy is sealed to).
extension ConsoleApp {
    func layout(_ session: SessionStore.Session?, title: String, body: String, live: [String: String] = [:]) -> String {
        let attrs = live.sorted { $0.key < $1.key }.map { " data-\($0.key)=\"\(esc($0.value))\"" }.joined()
        var nav = ""
        if let session {
            nav = """
                <nav><a href="/jobs" id="nav-jobs">Jobs</a><a href="/ledger" id="nav-ledger">Ledger</a><a href="/audit" id="nav-audit">Audit</a>\
                <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="\(session.csrf)"><button id="logout">Log out</button></form></nav>
                """
        }
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(esc(title)) · Tacit · \(esc(party))</title><link rel="stylesheet" href="/assets/console.css"></head>
            <body\(attrs)><header><span class="brand">Tacit</span> <span class="party" id="party">\(esc(party))</span>\(nav)</header>
            <main>\(body)</main>
            <footer>Shown from \(esc(party))'s own ledger replica and node; another party's input values are never on either.</footer>
            <script src="/assets/console.js"></script></body></html>
            """
    }

    func loginPage(error: String?) -> String {
        layout(nil, title: "Log in", body: """
            <h1>Log in to \(esc(party))'s console</h1>
            <p>Paste the token that <code>tacit console</code> printed when it started. It is shown once and stored nowhere; \
            restart the console for a new one.</p>
            \(error.map { "<p class=\"error\" id=\"login-error\">\(esc($0))</p>" } ?? "")
            <form method="post" action="/login" id="login-form"><label>Token <input type="password" name="token" id="token" autocomplete="off" required></label>
            <button id="login">Log in</button></form>
            """)
    }

    func errorPage(_ session: SessionStore.Session, _ message: String, status: HTTPResponse.Status = .badGateway) -> Response {
        Page.html(status, layout(session, title: "Error", body: "<h1>The node did not answer</h1><p class=\"error\" id=\"error\">\(esc(message))</p>"))
    }

    static func phaseBadge(_ phase: String, id: String? = nil) -> String {
        "<span class=\"phase phase-\(esc(phase))\"\(id.map { " id=\"\($0)\"" } ?? "")>\(esc(phase))</span>"
    }

    /// The group a job counts in on the jobs plot.
    static func outcome(_ p: JobPhase) -> String {
        switch p {
        case .completed: return "completed"
        case .failed: return "failed"
        case .rejected: return "rejected"
        case .proposed: return "awaiting approval"
        default: return "running"
        }
    }

    // MARK: jobs

    func jobsPage(_ session: SessionStore.Session) async -> Response {
        let r = await node.send(ControlRequest(op: "ledger"))
        guard r.ok, let entries = r.entries else { return errorPage(session, r.error ?? "no entries") }
        let book = JobBook(entries: entries)
        let records = book.records
        var rows = ""
        for j in records.reversed() {
            let s = j.spec
            let approved = s.approvers.filter { j.approvals[$0] != nil }.map(\.name)
            rows += """
                <tr data-job="\(esc(s.id))" data-phase="\(j.phase.rawValue)"><td><a href="/jobs/\(urlComponent(s.id))">\(esc(s.id))</a></td>\
                <td>\(Self.phaseBadge(j.phase.rawValue))</td><td>\(esc(s.protocolName))</td><td>\(esc(s.engine ?? "—"))</td>\
                <td>\(esc(s.partyNames.map(\.name).joined(separator: ", ")))</td>\
                <td class="approvals">\(approved.count) of \(s.approvers.count)\(approved.isEmpty ? "" : ": " + esc(approved.joined(separator: ", ")))</td>\
                <td>\(esc(j.proposedAt.consoleText))</td></tr>
                """
        }
        let table = records.isEmpty
            ? "<p id=\"no-jobs\" class=\"muted\">No jobs on the ledger yet. Propose one with <code>tacit job submit SPEC.yaml</code>; it appears here.</p>"
            : "<table id=\"jobs\"><thead><tr><th>Job</th><th>Phase</th><th>Protocol</th><th>Engine</th><th>Parties</th><th>Approved</th><th>Proposed</th></tr></thead><tbody>\(rows)</tbody></table>"
        let chart = Charts.jobsOverTime(records.map { ($0.proposedAt, Self.outcome($0.phase)) })
        return Page.html(.ok, layout(session, title: "Jobs", body: """
            <h1>Jobs</h1>\(table)<h2>Jobs over time</h2>\(chart)
            """, live: ["live": "jobs", "version": Self.version(records)]))
    }

    /// Changes whenever a job is proposed or changes phase or approvals: the jobs page reloads.
    static func version(_ records: [JobRecord]) -> String {
        let text = records.map { "\($0.spec.id):\($0.phase.rawValue):\($0.approvals.count):\($0.rejections.count)" }.joined(separator: "|")
        return Hex.encode(SHA256Bytes.hash(Array(text.utf8)).prefix(12))
    }

    func jobsEvents(since: String, _ session: SessionStore.Session) -> Response {
        stream(session) { app in
            let r = await app.node.send(ControlRequest(op: "ledger"))
            guard let entries = r.entries else { return nil }
            let v = Self.version(JobBook(entries: entries).records)
            return v == since ? nil : ("change", "{\"version\":\"\(v)\"}", true)
        }
    }

    func jobEvents(_ id: String, shownPhase: String, _ session: SessionStore.Session) -> Response {
        let last = Locked("")
        return stream(session) { app in
            let r = await app.node.send(ControlRequest(op: "status", job: id))
            guard let s = r.status else { return ("gone", "{}", true) }
            let reload = s.phase.rawValue != shownPhase
            var obj: [String: String] = ["phase": s.phase.rawValue, "step": s.progressStep ?? "", "reload": reload ? "1" : ""]
            if let p = s.progress { obj["progress"] = String(Int((p * 100).rounded())) }
            let json = String(decoding: (try? JSONEncoder.console.encode(obj)) ?? Data("{}".utf8), as: UTF8.self)
            let changed = last.withLock { l in defer { l = json }; return l != json }
            return changed ? ("status", json, reload || s.phase.isTerminal) : nil
        }
    }

    /// A server-sent event stream: `poll` every half second; an event when it returns one,
    /// the stream ending after an event marked final, when the session ends, or after an hour.
    func stream(_ session: SessionStore.Session, _ poll: @escaping @Sendable (ConsoleApp) async -> (String, String, Bool)?) -> Response {
        let sessions = self.sessions
        let id = session.id
        var r = Response(
            status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
            body: ResponseBody { [self] writer in
                let start = Date()
                var lastWrite = Date()
                while sessions.peek(id) != nil, Date().timeIntervalSince(start) < 3600 {
                    if let (event, data, final) = await poll(self) {
                        try await writer.write(ByteBuffer(string: "event: \(event)\ndata: \(data)\n\n"))
                        lastWrite = Date()
                        if final { break }
                    } else if Date().timeIntervalSince(lastWrite) > 15 {
                        try await writer.write(ByteBuffer(string: ": keepalive\n\n"))
                        lastWrite = Date()
                    }
                    try await Task.sleep(for: .milliseconds(500))
                }
                try await writer.finish(nil)
            })
        r.headers[.xContentTypeOptions] = "nosniff"
        return r
    }

    func jobPage(_ id: String, _ session: SessionStore.Session) async -> Response {
        let st = await node.send(ControlRequest(op: "status", job: id))
        guard st.ok, let status = st.status else {
            return Page.html(.notFound, layout(session, title: "No such job", body: "<h1>No job \(esc(id))</h1><p class=\"error\" id=\"error\">\(esc(st.error ?? "unknown job"))</p>"))
        }
        let le = await node.send(ControlRequest(op: "ledger", job: id))
        let entries = le.entries ?? []
        guard let job = JobBook(entries: entries).jobs[id] else { return errorPage(session, "job \(id) is not on this node's ledger replica") }
        let heights = await node.blockHeights()
        let spec = job.spec
        let me = PartyID(party)
        var b = "<h1>Job <span id=\"job-id\">\(esc(id))</span></h1>"
        b += "<p>\(Self.phaseBadge(status.phase.rawValue, id: "phase")) \(esc(spec.protocolName))\(spec.engine.map { " on " + esc($0) } ?? "") · proposed by \(esc(job.proposer.name)) at \(esc(job.proposedAt.consoleText))</p>"
        if !spec.description.isEmpty { b += "<p class=\"description\">\(esc(spec.description))</p>" }
        if let reason = status.reason { b += "<p class=\"error\" id=\"reason\">\(esc(reason))</p>" }

        // What it uses of each party's data.
        b += "<h2>What it uses</h2><table id=\"uses\"><thead><tr><th>Party</th><th>Roles</th><th>Dataset</th><th>Columns</th></tr></thead><tbody>"
        for p in spec.parties {
            b += "<tr><td>\(esc(p.name.name))\(p.name == me ? " (this node)" : "")</td><td>\(esc(p.roles.map(\.rawValue).joined(separator: ", ")))</td>"
            b += "<td>\(esc(p.input?.dataset ?? "—"))</td><td>\(esc(p.input?.columns.joined(separator: ", ") ?? "no data"))</td></tr>"
        }
        b += "</tbody></table>"
        if !spec.parameters.isEmpty {
            b += "<p>Parameters: " + spec.parameters.sorted { $0.key < $1.key }.map { "<code>\(esc($0.key))=\(esc($0.value))</code>" }.joined(separator: " ") + "</p>"
        }
        b += "<table id=\"outputs\"><thead><tr><th>Output</th><th>Recipients</th><th>On the ledger</th></tr></thead><tbody>"
        for o in spec.outputs {
            let onLedger = o.isPublic ? "the value (public)" : o.sealed ? "sealed to \(o.sealedTo.map(\.name).joined(separator: ", ")); the digest for everyone" : "the digest only"
            b += "<tr><td>\(esc(o.name))</td><td>\(esc(o.recipients.map(\.name).joined(separator: ", ")))</td><td>\(esc(onLedger))</td></tr>"
        }
        b += "</tbody></table>"

        // Approval.
        b += "<h2>Approval</h2><p>Policy: every one of <strong>\(esc(spec.approvers.map(\.name).joined(separator: ", ")))</strong> must approve before any data is read.</p>"
        b += "<table id=\"approvals\"><thead><tr><th>Approver</th><th>Decision</th></tr></thead><tbody>"
        for a in spec.approvers {
            var decision = "awaiting"
            if let ap = job.approvals[a] {
                decision = "approved" + (ap.dataset.map { " use of \($0) [\(ap.columns.joined(separator: ", "))]" } ?? "")
            } else if let rj = job.rejections.first(where: { $0.party == a }) {
                decision = "rejected: \(rj.text)"
            }
            b += "<tr data-approver=\"\(esc(a.name))\"><td>\(esc(a.name))</td><td>\(esc(decision))</td></tr>"
        }
        b += "</tbody></table>"
        if spec.approvers.contains(me), status.phase == .proposed, job.approvals[me] == nil, !job.rejections.contains(where: { $0.party == me }) {
            b += decisionForms(status, spec: spec, session: session)
        }

        // Progress.
        if !status.phase.isTerminal, status.phase != .proposed {
            let pct = Int(((status.progress ?? 0) * 100).rounded())
            b += "<h2>Progress</h2><p><progress id=\"progress\" max=\"100\" value=\"\(pct)\"></progress> <span id=\"step\">\(esc(status.progressStep ?? (status.phase == .approved ? "committing inputs" : "waiting for the parties")))</span></p>"
        }

        // Commitments.
        if !job.commitments.isEmpty {
            b += "<h2>Input commitments</h2><table id=\"commitments\"><thead><tr><th>Party</th><th>Dataset</th><th>Columns</th><th>Commitment (salted SHA-256)</th></tr></thead><tbody>"
            for (p, c) in job.commitments.sorted(by: { $0.key < $1.key }) {
                b += "<tr><td>\(esc(p.name))</td><td>\(esc(c.dataset))</td><td>\(esc(c.columns.joined(separator: ", ")))</td><td><code>\(esc(c.commitment))</code></td></tr>"
            }
            b += "</tbody></table><p class=\"muted\">An auditor given a party's data and salt opens its commitment on the <a href=\"/audit?job=\(urlComponent(id))\">Audit</a> page.</p>"
        }

        // Result.
        if status.phase == .completed { b += await resultSection(spec, status: status) }

        // The ledger entries behind each step.
        b += "<h2>Ledger entries</h2><table id=\"entries\"><thead><tr><th>#</th><th>Transaction</th><th>Signer</th><th>Block</th><th>Transaction id</th><th>Time</th><th>Says</th></tr></thead><tbody>"
        for e in entries {
            b += "<tr data-kind=\"\(e.transaction.kind)\"><td>\(e.index)</td><td>\(e.transaction.kind)</td><td>\(esc(e.author.name))</td><td>\(heights[e.id].map(String.init) ?? "—")</td>"
            b += "<td><code class=\"txid\">\(esc(e.id))</code></td><td>\(esc(e.time.consoleText))</td><td>\(esc(String(e.transaction.summary.prefix(300))))</td></tr>"
        }
        b += "</tbody></table>"
        let live: [String: String] = status.phase.isTerminal ? [:] : ["live": "job", "job": id, "phase": status.phase.rawValue]
        return Page.html(.ok, layout(session, title: "Job \(id)", body: b, live: live))
    }

    /// Approve and reject at this node: the same facts `tacit job status` prints, the exact
    /// columns the approval consents to, and a reason required to reject.
    func decisionForms(_ status: JobStatus, spec: JobSpec, session: SessionStore.Session) -> String {
        let me = PartyID(party)
        let input = spec.party(me)?.input
        var f = "<section id=\"decide\"><h3>Your decision as \(esc(party))</h3><pre id=\"status-text\">\(esc(status.statusLines.joined(separator: "\n")))</pre>"
        f += "<form method=\"post\" action=\"/jobs/\(urlComponent(spec.id))/approve\" id=\"approve-form\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">"
        if let input {
            for c in input.columns { f += "<input type=\"hidden\" name=\"column\" value=\"\(esc(c))\">" }
            f += "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" id=\"confirm\" required> I approve the use of <strong>\(esc(input.dataset))</strong> columns <strong>\(esc(input.columns.joined(separator: ", ")))</strong> of \(esc(party))'s data for this job.</label>"
        } else {
            f += "<label><input type=\"checkbox\" name=\"confirm\" value=\"yes\" id=\"confirm\" required> I approve this job; it uses none of \(esc(party))'s data.</label>"
        }
        f += " <button id=\"approve\">Approve</button></form>"
        f += "<form method=\"post\" action=\"/jobs/\(urlComponent(spec.id))/reject\" id=\"reject-form\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrf)\">"
        f += "<label>Reason (recorded on the ledger) <textarea name=\"reason\" id=\"reject-reason\" required maxlength=\"500\"></textarea></label> <button id=\"reject\">Reject</button></form></section>"
        return f
    }

    func decide(job id: String, approve: Bool, form: FormFields, session: SessionStore.Session) async -> Response {
        let request: ControlRequest
        if approve {
            guard form["confirm"] == "yes" else {
                return Page.html(.badRequest, layout(session, title: "Not approved", body: "<h1>Not approved</h1><p class=\"error\" id=\"error\">Tick the box that names the data you approve, then press Approve.</p><p><a href=\"/jobs/\(urlComponent(id))\">Back to the job</a></p>"))
            }
            let columns = form.all("column")
            request = ControlRequest(op: "approve", job: id, columns: columns.isEmpty ? nil : columns)
        } else {
            let reason = (form["reason"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            guard !reason.isEmpty, reason.count <= 500 else {
                return Page.html(.badRequest, layout(session, title: "Not rejected", body: "<h1>Not rejected</h1><p class=\"error\" id=\"error\">A rejection needs a reason of 1 to 500 characters; it is recorded on the ledger for every member to read.</p><p><a href=\"/jobs/\(urlComponent(id))\">Back to the job</a></p>"))
            }
            request = ControlRequest(op: "reject", job: id, reason: reason)
        }
        let r = await node.send(request)
        guard r.ok else {
            logger.warning("console: \(approve ? "approval" : "rejection") of job \(id) refused by the node: \(r.error ?? "")")
            return Page.html(.conflict, layout(session, title: "Refused", body: "<h1>The node refused</h1><p class=\"error\" id=\"error\">\(esc(r.error ?? "refused"))</p><p><a href=\"/jobs/\(urlComponent(id))\">Back to the job</a></p>"))
        }
        logger.notice("console: \(approve ? "approved" : "rejected") job \(id) (session \(session.id.prefix(8))…)")
        return Page.redirect("/jobs/\(urlComponent(id))")
    }

    func resultSection(_ spec: JobSpec, status: JobStatus) async -> String {
        let me = PartyID(party)
        let readable = spec.isRecipient(me) || spec.outputs.contains { $0.sealedTo.contains(me) }
        var b = "<h2>Result</h2>"
        if readable {
            let r = await node.send(ControlRequest(op: "result", job: spec.id))
            if let result = r.result {
                b += "<section id=\"result\" data-recipient=\"yes\">"
                for o in result.outputs {
                    b += "<h3>\(esc(o.name))</h3>"
                    switch o.value {
                    case .number(let n)?: b += "<p class=\"value\" data-output=\"\(esc(o.name))\">\(esc(n))</p>"
                    case .set(let items)?:
                        b += "<p class=\"value\" data-output=\"\(esc(o.name))\">\(items.count) items: \(esc(items.prefix(50).joined(separator: ", ")))\(items.count > 50 ? " …" : "")</p>"
                    case .table(let t)?:
                        b += "<p class=\"value\" data-output=\"\(esc(o.name))\">Table of \(t.rows.count) rows\(t.rows.count > 50 ? "; the first 50" : "").</p>"
                        if let k = t.columns.firstIndex(of: "payout") {
                            let values = t.rows.compactMap { $0.count > k ? Double($0[k]) : nil }
                            b += "<h4>Payout distribution</h4>" + Charts.histogram(values, label: "payout per claim (\(values.count) claims; grey: nothing paid)", id: "payout-chart")
                        }
                        b += "<table class=\"result-table\"><thead><tr>" + t.columns.map { "<th>\(esc($0))</th>" }.joined() + "</tr></thead><tbody>"
                        for row in t.rows.prefix(50) { b += "<tr>" + row.map { "<td>\(esc($0))</td>" }.joined() + "</tr>" }
                        b += "</tbody></table>"
                    case nil: b += "<p class=\"muted\">Not held at this node.</p>"
                    }
                    b += "<p class=\"digest\">digest <code>\(esc(o.digest))</code></p>"
                }
                return b + "</section>"
            }
            b += "<p class=\"error\">\(esc(r.error ?? "no result"))</p>"
        }
        b += "<section id=\"result-digest-only\"><p>\(esc(party)) is not a recipient of this job's outputs: only the digests every party recorded on the ledger are shown.</p>"
        for o in status.outputs ?? [] {
            b += "<p class=\"digest\" data-output=\"\(esc(o.name))\">\(esc(o.name)): digest <code>\(esc(o.digest))</code>\(o.publicValue.map { " · public value " + esc($0) } ?? "")</p>"
        }
        return b + "</section>"
    }
}

extension JSONEncoder {
    static var console: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
