public import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import NIOCore
import NIOSSL
import TacitBytes
import TacitNet
import TacitNode

/// How `tacit console` serves: where, with TLS or not, and how long a login lasts.
public struct ConsoleSettings: Sendable {
    public var configPath: String
    /// Loopback unless asked otherwise.
    public var host: String = "127.0.0.1"
    /// 0: any free port (the console prints the one it got).
    public var port: Int = 8080
    public var tlsCertificatePath: String?
    public var tlsKeyPath: String?
    /// A session ends after this long without a request, and after `absoluteTimeout` in any case.
    public var idleTimeout: TimeInterval = 15 * 60
    public var absoluteTimeout: TimeInterval = 8 * 3600
    /// Host names (besides the listen address and loopback) the browser may use to reach the
    /// console, e.g. behind a reverse proxy; any other Host header is refused (DNS rebinding).
    public var allowedHosts: [String] = []

    public init(configPath: String) { self.configPath = configPath }
}

/// The web console: jobs, a job's trail with approval at this node, the ledger and audits,
/// served beside the node from its control socket and its ledger replica.
public enum WebConsole {
    /// Serves until SIGTERM or SIGINT. `ready` gets the URL and the login token once the
    /// server listens; the token is not stored anywhere.
    public static func run(_ settings: ConsoleSettings, logger: Logger, ready: @escaping @Sendable (_ url: String, _ token: String) -> Void) async throws {
        let config = try NodeConfig.load(path: settings.configPath)
        guard (1...65535).contains(settings.port) || settings.port == 0 else {
            throw NodeError(.invalidConfig, "--listen: port \(settings.port) is not 0...65535")
        }
        var tls: TLSConfiguration?
        switch (settings.tlsCertificatePath, settings.tlsKeyPath) {
        case (nil, nil): break
        case (let cert?, let key?):
            do {
                let chain = try NIOSSLCertificate.fromPEMFile(cert).map { NIOSSLCertificateSource.certificate($0) }
                tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            } catch {
                throw NodeError(.invalidConfig, "--tls-cert/--tls-key: cannot load the certificate chain or key (\(error)); give PEM files")
            }
        default:
            throw NodeError(.invalidConfig, "give both --tls-cert and --tls-key, or neither")
        }
        let token = SessionStore.randomToken()
        let app = ConsoleApp(
            party: config.name.name, node: NodeAccess(socketPath: config.controlSocketPath, ledgerPath: config.ledgerDatabasePath),
            sessions: SessionStore(token: token, idleTimeout: settings.idleTimeout, absoluteTimeout: settings.absoluteTimeout),
            secure: tls != nil, logger: logger)
        let scheme = tls != nil ? "https" : "http"
        let server: HTTPServerBuilder = try tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1()
        var quiet = logger
        quiet.logLevel = .warning
        let application = Application(
            responder: CallbackResponder<BasicRequestContext> { request, context in await app.respond(request, context) },
            server: server,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "tacit-console"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? settings.port
                var hosts = ["127.0.0.1", "localhost", "[::1]", settings.host.contains(":") ? "[\(settings.host)]" : settings.host]
                hosts += settings.allowedHosts
                app.allow(hosts: hosts.map { $0.contains("]:") || ($0.split(separator: ":").count == 2 && !$0.hasPrefix("[")) ? $0 : "\($0):\(port)" })
                let shown = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
                ready("\(scheme)://\(shown):\(port)/", token)
            },
            logger: quiet)
        try await application.runService()
    }
}

/// Requests in, responses out: every request passes the Host check; every page but the login
/// needs a session; every POST needs the session's CSRF token (and no foreign Origin).
final class ConsoleApp: Sendable {
    let party: String
    let node: NodeAccess
    let sessions: SessionStore
    let secure: Bool
    let logger: Logger
    private let allowedHosts = Locked<Set<String>>([])
    /// The last verification run from the ledger page, shown until the next.
    let lastVerification = Locked<VerificationReport?>(nil)

    /// Per party: browsers keep cookies per host, not per port, so one operator's browser
    /// with two consoles on one machine (an auditor's, say) must not mix their sessions.
    var cookieName: String { "tacit_console_" + String(party.unicodeScalars.map { CharacterSet.alphanumerics.contains($0) ? Character($0) : "_" }) }
    static let maxFormBytes = 1 << 20
    static let maxAuditBytes = 64 << 20

    init(party: String, node: NodeAccess, sessions: SessionStore, secure: Bool, logger: Logger) {
        self.party = party
        self.node = node
        self.sessions = sessions
        self.secure = secure
        self.logger = logger
    }

    func allow(hosts: [String]) { allowedHosts.withLock { $0 = Set(hosts.map { $0.lowercased() }) } }

    func respond(_ request: Request, _ context: BasicRequestContext) async -> Response {
        let host = (request.head.authority ?? "").lowercased()
        guard allowedHosts.withLock({ $0.contains(host) }) else {
            logger.warning("console: refused a request for host '\(host.prefix(80))'")
            return Page.plain(.misdirectedRequest, "This console does not answer for host '\(host.prefix(80))'. Open it at the address `tacit console` printed, or start it with --allow-host.")
        }
        let path = request.uri.path
        let method = request.method
        // Static assets and the login need no session.
        switch (method, path) {
        case (.get, "/assets/console.css"): return Page.asset(Assets.css, type: "text/css; charset=utf-8")
        case (.get, "/assets/console.js"): return Page.asset(Assets.js, type: "text/javascript; charset=utf-8")
        case (.get, "/favicon.ico"): return Page.plain(.notFound, "no icon")
        case (.get, "/login"): return Page.html(.ok, loginPage(error: nil))
        case (.post, "/login"): return await login(request, host: host)
        default: break
        }
        guard let session = sessions.session(request.cookies[cookieName]?.value) else {
            if method == .get, !path.hasPrefix("/events/") { return Page.redirect("/login") }
            logger.notice("console: refused \(method) \(path.prefix(80)) without a live session")
            return Page.plain(.unauthorized, "Log in first: this session expired or never existed.")
        }
        if method == .post {
            guard originAllowed(request, host: host) else {
                logger.warning("console: refused \(path.prefix(80)) from a foreign origin '\(request.headers[.origin]?.prefix(80) ?? "")'")
                return Page.plain(.forbidden, "Refused: the request came from another site's page.")
            }
            var body = request
            let limit = path == "/audit" ? Self.maxAuditBytes : Self.maxFormBytes
            let form: FormFields
            do { form = FormFields(String(buffer: try await body.collectBody(upTo: limit))) } catch {
                return Page.plain(.contentTooLarge, "The form is larger than \(limit >> 20) MiB.")
            }
            guard let csrf = form["csrf"], SessionStore.equal(csrf, session.csrf) else {
                logger.warning("console: refused \(path.prefix(80)) without this session's CSRF token")
                return Page.plain(.forbidden, "Refused: the form did not carry this session's CSRF token. Reload the page and submit it again.")
            }
            return await post(path, form: form, session: session)
        }
        guard method == .get || method == .head else { return Page.plain(.methodNotAllowed, "Only GET and POST.") }
        return await get(path, query: request.uri.queryParameters.reduce(into: [String: String]()) { $0[String($1.key)] = String($1.value) }, session: session)
    }

    /// A POST's Origin (or, without one, its Referer) must be this console itself; browsers
    /// send one with every form, so a request with neither is refused too.
    private func originAllowed(_ request: Request, host: String) -> Bool {
        let own = "\(secure ? "https" : "http")://\(host)"
        if let origin = request.headers[.origin] { return origin.lowercased() == own }
        if let referer = request.headers[.referer] { return referer.lowercased() == own || referer.lowercased().hasPrefix(own + "/") }
        return false
    }

    private func login(_ request: Request, host: String) async -> Response {
        guard originAllowed(request, host: host) else { return Page.plain(.forbidden, "Refused: the login came from another site's page.") }
        var body = request
        guard let buffer = try? await body.collectBody(upTo: 4096) else { return Page.plain(.contentTooLarge, "The login form is too large.") }
        let token = (FormFields(String(buffer: buffer))["token"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        switch sessions.login(token: token) {
        case .opened(let s):
            logger.notice("console: login; session \(s.id.prefix(8))…")
            var r = Page.redirect("/jobs")
            r.headers[.setCookie] = "\(cookieName)=\(s.id); Path=/; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
            return r
        case .wrongToken:
            logger.warning("console: login refused: wrong token")
            return Page.html(.unauthorized, loginPage(error: "That is not this console's token. It is the one `tacit console` printed when it started."))
        case .throttled(let after):
            logger.warning("console: login refused: too many wrong tokens; paused \(after) s")
            var r = Page.html(.tooManyRequests, loginPage(error: "Too many wrong tokens: logins are paused for \(after) s."))
            r.headers[.retryAfter] = "\(after)"
            return r
        }
    }

    private func get(_ path: String, query: [String: String], session: SessionStore.Session) async -> Response {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        switch parts.count {
        case 0: return Page.redirect("/jobs")
        case 1 where parts[0] == "jobs": return await jobsPage(session)
        case 1 where parts[0] == "ledger": return await ledgerPage(session, before: query["before"].flatMap { UInt64($0) })
        case 1 where parts[0] == "audit": return Page.html(.ok, await auditPage(session, form: nil, finding: nil))
        case 2 where parts[0] == "jobs" && isSafeIdentifier(parts[1]): return await jobPage(parts[1], session)
        case 2 where parts[0] == "events" && parts[1] == "jobs": return jobsEvents(since: query["since"] ?? "", session)
        case 3 where parts[0] == "events" && parts[1] == "job" && isSafeIdentifier(parts[2]): return jobEvents(parts[2], shownPhase: query["phase"] ?? "", session)
        case 2 where parts[0] == "ledger" && parts[1] == "export.json": return await ledgerExport()
        case 2 where parts[0] == "ledger" && parts[1] == "verification.txt":
            let report = await verifyNow()
            return Page.download(report.text, type: "text/plain; charset=utf-8", name: "\(party)-ledger-verification.txt")
        case 3 where parts[0] == "ledger" && parts[1] == "members" && parts[2].hasSuffix(".pem"):
            return await memberCertificate(String(parts[2].dropLast(4)))
        default: return Page.html(.notFound, layout(session, title: "Not found", body: "<h1>Not found</h1><p>No page at \(esc(String(path.prefix(200)))).</p>"))
        }
    }

    private func post(_ path: String, form: FormFields, session: SessionStore.Session) async -> Response {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        if parts == ["logout"] {
            sessions.logout(session.id)
            logger.notice("console: logout; session \(session.id.prefix(8))…")
            var r = Page.redirect("/login")
            r.headers[.setCookie] = "\(cookieName)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict\(secure ? "; Secure" : "")"
            return r
        }
        if parts == ["ledger", "verify"] {
            let r = await verifyNow()
            logger.notice("console: ledger verified from the page: \(r.ok ? "OK" : "FAILED")")
            return Page.redirect("/ledger#verification")
        }
        if parts == ["audit"] { return await audit(form, session) }
        if parts.count == 3, parts[0] == "jobs", isSafeIdentifier(parts[1]), parts[2] == "approve" || parts[2] == "reject" {
            return await decide(job: parts[1], approve: parts[2] == "approve", form: form, session: session)
        }
        return Page.plain(.notFound, "Nothing to post to at \(path.prefix(200)).")
    }
}

/// Response helpers: every page carries the same security headers.
enum Page {
    static func secured(_ r: inout Response) {
        r.headers[.contentSecurityPolicy] = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        r.headers[.xContentTypeOptions] = "nosniff"
        r.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        r.headers[.cacheControl] = "no-store"
        r.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
    }

    static func html(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var r = Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        secured(&r)
        return r
    }

    static func plain(_ status: HTTPResponse.Status, _ text: String) -> Response {
        var r = Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text + "\n")))
        secured(&r)
        return r
    }

    static func asset(_ text: String, type: String) -> Response {
        var r = Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
        secured(&r)
        r.headers[.cacheControl] = "private, max-age=300"
        return r
    }

    static func download(_ text: String, type: String, name: String) -> Response {
        var r = Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: text)))
        secured(&r)
        r.headers[.contentDisposition] = "attachment; filename=\"\(name)\""
        return r
    }

    static func redirect(_ to: String) -> Response {
        var r = Response(status: .seeOther, headers: [.location: to])
        secured(&r)
        return r
    }
}
