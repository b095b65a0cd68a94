import Foundation
import Testing
import TacitBytes
import TacitTestSupport
import TacitJob
@testable import TacitNode

/// `tacit psi` in two processes, as a bank tries it in two terminals: the listener holds the
/// blacklist, the connector its applicants.
@Suite("tacit psi between two processes")
struct PSICommandTests {
    let dir = tempDir()

    func write(_ name: String, _ text: String) throws -> String {
        let path = "\(dir)/\(name)"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// Runs a listener with `listenerArgs` over `blacklist` and a connector over `applicants`.
    func pair(blacklist: String, applicants: String, _ listenerArgs: [String], _ connectorArgs: [String]) async throws
        -> (CLIProcess, CLIProcess, Int32, Int32)
    {
        let b = try write("blacklist.csv", blacklist), a = try write("applicants.csv", applicants)
        let listener = try CLIProcess(["psi", "--listen", "127.0.0.1:0", "--file", b, "--timeout", "120"] + listenerArgs)
        let line = try await listener.line("listening on ")
        let words = line.split(separator: " ")
        let address = try #require(words.count > 2 ? words[2].trimmingCharacters(in: [";"]) : nil)
        let key = try #require(words.last.map(String.init))
        let connector = try CLIProcess(["psi", "--connect", address, "--peer-key=\(key)", "--file", a, "--timeout", "120"] + connectorArgs)
        let (ls, cs) = (await listener.exit(), await connector.exit())
        return (listener, connector, ls, cs)
    }

    let blacklist = "name,national_id,reason\nX,AB-123 456,fraud\nY,99 000 111,fraud\nZ,ＤＥ-７７７,default\n"
    let applicants = "applicant,national_id\n1,ab123456\n2,12-000-111\n3,de777\n4,ab123456\n5,\n"

    @Test("the connector writes its matched rows (as written), the listener learns only the count it sent", arguments: ["ot", "ecdh"])
    func intersection(_ path: String) async throws {
        let out = "\(dir)/matches-\(path).csv"
        let (l, c, ls, cs) = try await pair(
            blacklist: blacklist, applicants: applicants, ["--column", "national_id", "--path", path, "--normalise", "trim,nfkc,casefold,separators"],
            ["--column", "national_id", "--out", out, "--stats"])
        #expect(ls == 0, "\(l.stdout)\n\(l.stderr)")
        #expect(cs == 0, "\(c.stdout)\n\(c.stderr)")
        // Rows 1 and 4 are the same person; 3 matches after NFKC and separators; 5 is blank.
        #expect(try String(contentsOfFile: out, encoding: .utf8) == "row,national_id\n1,ab123456\n3,de777\n4,ab123456\n")
        #expect(c.stdout.contains("3 of 5 rows (2 distinct identifiers) are on the listener's list of 3"), "\(c.stdout)")
        #expect(l.stdout.contains("the connector sent 3 distinct identifiers"), "\(l.stdout)")
        // The listener never prints the connector's identifiers, nor the connector the list's.
        #expect(!l.stdout.contains("ab123456") && !c.stdout.contains("fraud") && !c.stdout.contains("99 000"))
        let stats = try #require(c.stdout.split(separator: "\n").first { $0.hasPrefix("stats: ") })
        #expect(stats.contains("matched=2") && stats.contains("peer_distinct=3"), "\(stats)")
        // Both said goodbye before closing: neither warns of a lost connection.
        #expect(!l.stderr.contains("lost") && !c.stderr.contains("lost"), "\(l.stderr)\n\(c.stderr)")
    }

    @Test("reveal size: the connector learns how many, not which, and writes no rows")
    func sizeOnly() async throws {
        let out = "\(dir)/none.csv"
        let (l, c, ls, cs) = try await pair(
            blacklist: blacklist, applicants: applicants, ["--column", "national_id", "--reveal", "size", "--normalise", "trim,nfkc,casefold,separators"],
            ["--column", "national_id", "--out", out])
        #expect(ls == 0 && cs == 0, "\(l.stdout)\(l.stderr)\(c.stdout)\(c.stderr)")
        #expect(c.stdout.contains("2 of your 3 distinct identifiers are on the listener's list of 3; which ones is not revealed"), "\(c.stdout)")
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test("unbalanced: the listener prepares its list once (0600, reloaded next time), queries after the first use the connector's cache")
    func prepared() async throws {
        let file = "\(dir)/prepared.bin"
        for round in 1...2 {
            let out = "\(dir)/m\(round).csv"
            let (l, c, ls, cs) = try await pair(
                blacklist: blacklist, applicants: applicants,
                ["--column", "national_id", "--prepared", file, "--queries", "2", "--normalise", "trim,nfkc,casefold,separators"],
                ["--column", "national_id", "--out", out])
            #expect(ls == 0 && cs == 0, "\(l.stdout)\(l.stderr)\(c.stdout)\(c.stderr)")
            #expect(l.stdout.contains(round == 1 ? "prepared 3 distinct identifiers from 3 rows" : "loaded the prepared list of 3 identifiers"), "\(l.stdout)")
            #expect(c.stdout.contains("query 1: ") && c.stdout.contains("the list's 3 tags downloaded and cached"), "\(c.stdout)")
            #expect(c.stdout.contains("query 2: ") && c.stdout.contains(", from the cache, blinded with precomputed blinders"), "\(c.stdout)")
            #expect(try String(contentsOfFile: out, encoding: .utf8) == "row,national_id\n1,ab123456\n3,de777\n4,ab123456\n")
        }
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0)
        // A prepared list others may read is refused: it holds the list's key.
        #expect(chmod(file, 0o644) == 0)
        let b = try write("b2.csv", blacklist)
        let side = try CLIProcess(["psi", "--listen", "127.0.0.1:0", "--file", b, "--prepared", file, "--timeout", "30"])
        #expect(await side.exit(timeout: 120) != 0)
        #expect(side.stderr.contains("--prepared"), "\(side.stderr)")
    }

    @Test("bad arguments are refused at once with what to give instead", arguments: [
        (["--reveal", "size", "--path", "ot"], "--reveal size needs --path ecdh"),
        (["--path", "gc"], "--path 'gc' is not ot or ecdh"),
        (["--normalise", "lower"], "'lower' is not a step"),
        (["--column", "nope"], "has no column 'nope'"),
        (["--prepared", "/nonexistent-dir/p.bin", "--path", "ot"], "--prepared needs --path ecdh"),
        (["--queries", "3"], "give --prepared FILE too"),
    ])
    func badArguments(_ args: [String], _ message: String) async throws {
        let b = try write("b.csv", blacklist)
        let side = try CLIProcess(["psi", "--listen", "127.0.0.1:0", "--file", b, "--timeout", "30"] + args)
        let status = await side.exit(timeout: 120)
        #expect(status != 0)
        #expect(side.stderr.contains(message), "\(side.stderr)")
        #expect(!side.stdout.contains("listening on"))
    }
}

/// `tacit job result --csv`: a table output written as CSV, privately.
struct ResultCSVTests {
    let dir = tempDir()

    @Test("a table is written as RFC 4180 CSV to a new 0600 file; no table, several, or an existing file get a clear error")
    func writesCSV() throws {
        let table = try JobTable(columns: ["row", "national_id", "listedBy"], rows: [["1", "Müller, A", "bank-b;bank-c"], ["4", "say \"hi\"", "bank-b"]])
        let result = StoredResult(jobID: "j", outputs: [OutputResult(name: "result", value: .table(table), digest: "d", publicValue: nil, salt: nil)])
        let path = "\(dir)/m.csv"
        let written = try result.writeCSV(output: nil, to: path)
        #expect(written.output == "result" && written.rows == 2)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "row,national_id,listedBy\n1,\"Müller, A\",bank-b;bank-c\n4,\"say \"\"hi\"\"\",bank-b\n")
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int)
        #expect(mode & 0o077 == 0)
        #expect(throws: NodeError.self) { try result.writeCSV(output: nil, to: path) }  // exists: never overwritten
        let none = StoredResult(jobID: "j", outputs: [OutputResult(name: "result", value: .number("3"), digest: "d", publicValue: nil, salt: nil)])
        do { _ = try none.writeCSV(output: nil, to: "\(dir)/n.csv"); Issue.record("wrote a number as a table") } catch let e as NodeError {
            #expect(e.message.contains("holds no table output"), "\(e.message)")
        }
        let two = StoredResult(jobID: "j", outputs: [OutputResult(name: "a", value: .table(table), digest: "d", publicValue: nil, salt: nil), OutputResult(name: "b", value: .table(table), digest: "d", publicValue: nil, salt: nil)])
        do { _ = try two.writeCSV(output: nil, to: "\(dir)/t.csv"); Issue.record("chose a table") } catch let e as NodeError {
            #expect(e.message.contains("choose one with --output"), "\(e.message)")
        }
        #expect(try two.writeCSV(output: "b", to: "\(dir)/t.csv").output == "b")
    }

    @Test("a cell holding a line break is quoted, CRLF included (one Character, neither CR nor LF)")
    func lineBreaksAreQuoted() throws {
        let table = try JobTable(columns: ["a"], rows: [["x\r\ny"], ["z\rw"], ["plain"]])
        #expect(table.csv == "a\n\"x\r\ny\"\n\"z\rw\"\nplain\n")
    }
}
