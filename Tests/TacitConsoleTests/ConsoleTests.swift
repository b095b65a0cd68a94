import Foundation
import Testing
@testable import TacitConsole

@Suite("web console: logins, sessions, forms, escaping")
struct ConsoleTests {
    final class Clock: @unchecked Sendable {
        var now = Date(timeIntervalSince1970: 1_800_000_000)
    }

    @Test("the token opens a session with its own CSRF token; a wrong one does not")
    func login() throws {
        let store = SessionStore(token: "right-token", idleTimeout: 60, absoluteTimeout: 3600)
        #expect(store.login(token: "wrong-token") == .wrongToken)
        #expect(store.login(token: "") == .wrongToken)
        #expect(store.login(token: "right-token ") == .wrongToken)
        guard case .opened(let s) = store.login(token: "right-token") else { Issue.record("the right token was refused"); return }
        #expect(s.id.count == 64 && s.csrf.count == 64 && s.id != s.csrf)
        #expect(store.session(s.id)?.csrf == s.csrf)
        #expect(store.session(String(repeating: "0", count: 64)) == nil)
        #expect(store.session(nil) == nil)
        guard case .opened(let t) = store.login(token: "right-token") else { Issue.record("second login refused"); return }
        #expect(t.id != s.id && t.csrf != s.csrf)
        store.logout(s.id)
        #expect(store.session(s.id) == nil)
        #expect(store.session(t.id) != nil)
    }

    @Test("sessions end when idle too long and after the absolute limit, whatever the activity")
    func expiry() throws {
        let clock = Clock()
        let store = SessionStore(token: "t", idleTimeout: 60, absoluteTimeout: 300, now: { clock.now })
        guard case .opened(let s) = store.login(token: "t") else { Issue.record("refused"); return }
        for _ in 0..<5 {
            clock.now += 59
            #expect(store.session(s.id) != nil, "a request within the idle limit keeps the session")
        }
        clock.now += 10
        #expect(store.session(s.id) == nil, "past 300 s from login the session is over")
        guard case .opened(let u) = store.login(token: "t") else { Issue.record("refused"); return }
        clock.now += 61
        #expect(store.session(u.id) == nil, "61 s idle ends it")
    }

    @Test("after 10 wrong tokens in a minute logins pause, the right token included, then resume")
    func throttle() throws {
        let clock = Clock()
        let store = SessionStore(token: "t", idleTimeout: 60, absoluteTimeout: 300, now: { clock.now })
        for _ in 0..<10 { #expect(store.login(token: "x") == .wrongToken) }
        guard case .throttled(let after) = store.login(token: "t") else { Issue.record("not throttled"); return }
        #expect(after > 0 && after <= 60)
        clock.now += 61
        guard case .opened = store.login(token: "t") else { Issue.record("still throttled after the window"); return }
    }

    @Test("tokens come from the system generator: 256 bits, all distinct")
    func randomTokens() {
        let tokens = (0..<200).map { _ in SessionStore.randomToken() }
        #expect(Set(tokens).count == tokens.count)
        #expect(tokens.allSatisfy { $0.count == 64 && $0.allSatisfy(\.isHexDigit) })
    }

    @Test("constant-time comparison agrees with ==")
    func equal() {
        for (a, b) in [("", ""), ("a", "a"), ("a", "b"), ("abc", "abd"), ("abc", "ab"), ("x", "")] {
            #expect(SessionStore.equal(a, b) == (a == b))
        }
    }

    @Test("form bodies: percent and plus decoding, repeated names in order, odd input tolerated")
    func forms() {
        let f = FormFields("csrf=ab%2Fc&column=member_id&column=amount&reason=not+this+quarter%21&empty=&flag&=x&bad=%ZZ")
        #expect(f["csrf"] == "ab/c")
        #expect(f.all("column") == ["member_id", "amount"])
        #expect(f["reason"] == "not this quarter!")
        #expect(f["empty"] == "")
        #expect(f["flag"] == "")
        #expect(f["bad"] == "%ZZ")
        #expect(f["missing"] == nil)
    }

    @Test("what the ledger or a peer says is escaped for HTML; ids for links are checked")
    func escaping() {
        #expect(esc("<script>alert('x')</script> & \"q\"") == "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;")
        #expect(esc("job\u{202E}fdp.exe") == "job\\u{202e}fdp.exe")
        #expect(esc("a\u{1}b") == "a\\u{1}b")
        #expect(isSafeIdentifier("job-1a2b3c4d"))
        for bad in ["", "../etc/passwd", "a/b", "a b", "<x>", String(repeating: "a", count: 129), "é"] {
            #expect(!isSafeIdentifier(bad), "\(bad)")
        }
    }

    @Test("plots: bars for every job and claim, nothing but SVG markup")
    func charts() {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let svg = Charts.jobsOverTime([(t0, "completed"), (t0 + 10, "failed"), (t0 + 7200, "completed")])
        #expect(svg.hasPrefix("<svg") && svg.hasSuffix("</svg>"))
        #expect(svg.contains("<title>1 failed</title>") && svg.components(separatedBy: "<title>1 completed</title>").count == 3)
        #expect(!svg.contains("<script") && !svg.contains("style="))
        let h = Charts.histogram([0, 0, 0, 5, 10, 100], label: "payout <per> claim", id: "p")
        #expect(h.contains("<title>3 at 0</title>"))
        #expect(h.contains("payout &lt;per&gt; claim"))
        #expect(Charts.jobsOverTime([]).contains("No jobs"))
    }
}
