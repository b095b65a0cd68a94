import Foundation
import Testing
import TacitBytes
import TacitTestSupport

/// `tacit compare` in two processes, as a newcomer runs it in two terminals.
@Suite("tacit compare between two processes")
struct CompareCommandTests {
    typealias Side = CLIProcess

    /// Starts a listener on port 0 and reads back where it listens and its key. A port picked
    /// by the test and bound later by the listener could be taken in between by another
    /// test's process (it happened under TSan); the listener binding first cannot lose it.
    func listen(_ args: [String]) async throws -> (Side, address: String, key: String) {
        let listener = try Side(["compare", "--listen", "127.0.0.1:0"] + args)
        let line = try await listener.line("listening on ")
        let words = line.split(separator: " ")
        let address = try #require(words.count > 2 ? words[2].trimmingCharacters(in: [";"]) : nil, "\(line)")
        #expect(address.hasPrefix("127.0.0.1:") && address != "127.0.0.1:0", "\(line)")
        let key = try #require(words.last.map(String.init))
        return (listener, address, key)
    }

    func pair(_ listenerArgs: [String], _ connectorArgs: [String]) async throws -> (Side, Side, Int32, Int32) {
        let (listener, address, key) = try await listen(["--timeout", "120"] + listenerArgs)
        let connector = try Side(["compare", "--connect", address, "--peer-key=\(key)", "--timeout", "120"] + connectorArgs)
        let (a, b) = (await listener.exit(), await connector.exit())
        return (listener, connector, a, b)
    }

    @Test("both sides learn the answer, each from its own point of view, on both paths", arguments: ["ot", "he"])
    func bothLearn(_ path: String) async throws {
        let (l, c, ls, cs) = try await pair(["--value", "1200", "--predicate", "lt", "--path", path], ["--value=-950"])
        #expect(ls == 0, "\(l.stdout)\n\(l.stderr)")
        #expect(cs == 0, "\(c.stdout)\n\(c.stderr)")
        // 1200 < −950 is false at the listener; at the connector the same question reads −950 > 1200.
        #expect(l.stdout.contains("mine < theirs: false"), "\(l.stdout)")
        #expect(c.stdout.contains("mine > theirs: false"), "\(c.stdout)")
        #expect(c.stdout.contains("the listener asks: is its number < yours? (\(path) path"), "\(c.stdout)")
        // Neither number is printed by the other side, nor sent in the clear.
        #expect(!l.stdout.contains("950") && !c.stdout.contains("1200"))
    }

    @Test("equal numbers under ≤ and the listener's key fingerprint shown to the connector")
    func equalAndKeys() async throws {
        let (l, c, ls, cs) = try await pair(["--value", "7", "--predicate", "le", "--unsigned", "--bits", "8"], ["--value", "7"])
        #expect(ls == 0 && cs == 0, "\(l.stdout)\(l.stderr)\(c.stdout)\(c.stderr)")
        #expect(l.stdout.contains("mine ≤ theirs: true"))
        #expect(c.stdout.contains("mine ≥ theirs: true"))
        // Each side prints the key it paired with: the connector's own key appears at the listener.
        let connectorKey = try #require(try await c.line("this side's key:").split(separator: " ").last)
        #expect(l.stdout.contains(String(connectorKey)))
    }

    @Test("a number that does not fit the listener's question fails the connector with a message that does not quote it")
    func badValue() async throws {
        let (listener, address, key) = try await listen(["--timeout", "120", "--value", "3", "--bits", "8", "--unsigned"])
        let connector = try Side(["compare", "--connect", address, "--peer-key=\(key)", "--timeout", "120", "--value", "300"])
        let status = await connector.exit()
        // The connector learns the question in the pairing answer and refuses its own number
        // before the comparison starts; the listener is left waiting, so the test stops it.
        listener.kill()
        #expect(status != 0)
        #expect(connector.stderr.contains("not below 2^8"), "\(connector.stderr)")
        #expect(!connector.stderr.contains("300"))
    }

    /// Z85 keys hold shell characters and may begin with `-`; the printed line must survive
    /// being pasted into a shell as it is (a key passed bare once began with `-` and was read
    /// as a missing value).
    @Test("the line the listener prints for the other terminal works when pasted into a shell")
    func pastedHint() async throws {
        for _ in 0..<3 {
            let (listener, _, _) = try await listen(["--timeout", "120", "--value", "4", "--predicate", "lt"])
            let hint = try await listener.line("in the other terminal: ").dropFirst("in the other terminal: ".count)
            #expect(hint.hasSuffix(" --value N"), "\(hint)")
            let connector = try Side(shell: hint.dropLast(" --value N".count) + " --value 9 --timeout 120")
            let (ls, cs) = (await listener.exit(), await connector.exit())
            #expect(ls == 0 && cs == 0, "\(hint)\n\(listener.stderr)\n\(connector.stderr)")
            #expect(listener.stdout.contains("mine < theirs: true"), "\(listener.stdout)")
        }
    }

    @Test("a wrong --peer-key never pairs: the connector gives up with a reason")
    func wrongKey() async throws {
        let (listener, address, _) = try await listen(["--value", "1", "--timeout", "30"])
        // Some other valid key (libzmq's documented example): the CURVE handshake fails, so no
        // answer ever comes.
        let connector = try Side(["compare", "--connect", address, "--peer-key", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "--value", "2", "--timeout", "5"])
        let status = await connector.exit()
        #expect(status != 0)
        #expect(connector.stderr.contains("no answer"), "\(connector.stderr)")
        listener.kill()
    }

    @Test("a bad --predicate, --path, --peer-key or --listen is refused at once with what to give instead", arguments: [
        (["--listen", "127.0.0.1:0", "--value", "1", "--predicate", "less"], "--predicate 'less' is not one of lt, le, eq, ne, ge, gt"),
        (["--listen", "127.0.0.1:0", "--value", "1", "--path", "gc"], "--path 'gc' is not ot or he"),
        (["--listen", "127.0.0.1:70000", "--value", "1"], "must end in a port 0-65535"),
        (["--connect", "127.0.0.1:5555", "--peer-key", "not-a-key", "--value", "1"], "--peer-key is not a CURVE public key"),
        (["--connect", "127.0.0.1:0", "--peer-key", "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7", "--value", "1"], "must end in a port 1-65535"),
    ])
    func badArguments(_ args: [String], _ message: String) async throws {
        let side = try Side(["compare"] + args + ["--timeout", "30"])
        let status = await side.exit(timeout: 120)
        #expect(status != 0)
        #expect(side.stderr.contains(message), "\(side.stderr)")
        #expect(!side.stdout.contains("listening on"), "\(side.stdout)")
    }
}
