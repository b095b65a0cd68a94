import Foundation
import Testing

/// The package's root, from this file's place in it.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

@Suite("tacit simulate")
struct SimulateTests {
    let dir = tempDir()

    /// Two hospitals' claims, with a column the job does not use.
    func writeInputs() throws -> (a: String, b: String, values: [Decimal]) {
        let a = ["1200.50", "80.00", "-5.25", "1000.00", "0.07"], b = ["999.99", "1000.01", "2500.10"]
        let fa = "\(dir)/a.csv", fb = "\(dir)/b.csv"
        try (["claim,amount"] + a.enumerated().map { "c\($0.offset),\($0.element)" }).joined(separator: "\n").write(toFile: fa, atomically: true, encoding: .utf8)
        try (["amount"] + b).joined(separator: "\n").write(toFile: fb, atomically: true, encoding: .utf8)
        return (fa, fb, (a + b).map { Decimal(string: $0)! })
    }

    @Test("statistics on shamir prints the mean a plaintext computation gives")
    func meanMatchesPlaintext() async throws {
        let (a, b, values) = try writeInputs()
        var mean = values.reduce(0, +) / Decimal(values.count)
        var rounded = Decimal()
        NSDecimalRound(&rounded, &mean, 2, .plain)
        let r = try await TacitBinary.run([
            "simulate", "statistics", "--parties", "3", "--engine", "shamir", "--input", "hospital-a=\(a)", "--input", "hospital-b=\(b)",
            "--column", "amount", "--param", "statistic=mean",
        ])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out.contains("result = \(rounded)  (at compute-1, hospital-a, hospital-b)"), "\(r.out)")
        #expect(r.out.contains("hospital-a: sent ") && r.out.contains("rounds: "), "\(r.out)")
    }

    @Test("psi reads identifier columns as written (leading zeros, letters) and prints the receiver's matched rows")
    func psi() async throws {
        let fa = "\(dir)/applicants.csv", fb = "\(dir)/blacklist.csv"
        try "national_id,score\n0042-7,1\nAB 9,2\n427,3\n".write(toFile: fa, atomically: true, encoding: .utf8)
        try "national_id\n0042-7\nab 9\n".write(toFile: fb, atomically: true, encoding: .utf8)
        let r = try await TacitBinary.run([
            "simulate", "psi", "--parties", "2", "--input", "bank-a=\(fa)", "--input", "bank-b=\(fb)", "--column", "national_id",
            "--output", "result=bank-a",
        ])
        #expect(r.status == 0, "\(r.err)")
        // 0042-7 is not the number 427; "AB 9" and "ab 9" match after case folding.
        #expect(r.out.contains("result = table of 2 rows\n    row,national_id,listedBy\n    1,0042-7,bank-b\n    2,AB 9,bank-b  (at bank-a)"), "\(r.out)")
    }

    @Test("a wrong protocol, engine, party count or input file is a clear error with exit status 1")
    func badArguments() async throws {
        let (a, b, _) = try writeInputs()
        let base = ["--input", "hospital-a=\(a)", "--input", "hospital-b=\(b)", "--column", "amount"]
        let cases: [([String], String)] = [
            (["simulate", "statistic", "--parties", "3", "--engine", "shamir"] + base, "no job protocol named 'statistic'; registered: claims, mean-variance, millionaires, paillier-aggregation, psi, statistics"),
            (["simulate", "shamir", "--parties", "3"] + base, "'shamir' is an engine, not a job protocol"),
            (["simulate", "statistics", "--parties", "3", "--engine", "shamr"] + base, "no engine named 'shamr'; registered engines: additive-dealer, additive-ot, replicated, shamir"),
            (["simulate", "statistics", "--parties", "3"] + base, "--engine: statistics runs on a secret-sharing engine"),
            (["simulate", "statistics", "--parties", "2", "--engine", "shamir"] + base, "engine shamir runs with 3...16 parties; this job has 2"),
            (["simulate", "statistics", "--parties", "1", "--engine", "shamir"] + base, "--parties: 1 is fewer than the 2 input parties"),
            (["simulate", "statistics", "--parties", "3", "--engine", "shamir", "--input", "hospital-a=\(dir)/missing.csv"], "cannot read \(dir)/missing.csv"),
            (["simulate", "statistics", "--parties", "3", "--engine", "shamir", "--input", "hospital-a"], "expected PARTY=FILE"),
            (["simulate", "statistics", "--parties", "3", "--engine", "shamir", "--param", "statistic=median"] + base, "unknown statistic 'median'"),
            (["simulate", "statistics", "--parties", "3", "--engine", "shamir", "--input", "hospital-a=\(a)"], "column 'claim' of \(a) is not numeric (row 2); choose numeric columns with --column"),
            (["simulate", "statistics", "--parties", "3", "--engine", "shamir", "--input", "hospital-a=\(a)", "--input", "hospital-b=\(b)", "--column", "amount", "--column", "amount"],
             "a column is listed twice"),
        ]
        for (args, message) in cases {
            let r = try await TacitBinary.run(args)
            #expect(r.status == 1, "\(args): exit \(r.status), \(r.err)")
            #expect(r.err.contains(message), "\(args): \(r.err)")
            #expect(!r.err.contains("Fatal error"), "\(args): trapped")
        }
    }
}

@Suite("Layers, as Package.swift and the import lines say")
struct LayoutTests {
    /// `import X` lines of every Swift file under `folder`.
    func imports(under folder: String) throws -> [(file: String, module: String)] {
        var out: [(String, String)] = []
        let root = packageRoot.appendingPathComponent(folder)
        guard let e = FileManager.default.enumerator(atPath: root.path) else { return [] }
        for case let rel as String in e where rel.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root.appendingPathComponent(rel).path, encoding: .utf8)
            for line in text.split(separator: "\n") {
                let words = line.split(separator: " ").map(String.init).filter { !$0.hasPrefix("@") }
                if let i = words.firstIndex(of: "import"), i + 1 < words.count, words[..<i].allSatisfy({ ["public", "internal", "package", "private"].contains($0) }) {
                    out.append(("\(folder)/\(rel)", words[i + 1]))
                }
            }
        }
        return out
    }

    @Test("no protocol folder imports the ledger or the node")
    func protocolsStayBelowTheNode() throws {
        let found = try imports(under: "Protocols")
        #expect(found.count > 10)
        for (file, module) in found {
            #expect(!["TacitLedger", "TacitNode", "CZeroMQ", "GRDB"].contains(module), "\(file) imports \(module)")
        }
    }

    /// The web console is the node layer's face for browsers: its own target on top of
    /// TacitNode (so the node library links no HTTP server), imported only by `tacit console`.
    @Test("the tacit command imports TacitNode and no other Tacit module (TacitConsole only in `tacit console`)")
    func cliGoesThroughTheNode() throws {
        let found = try imports(under: "Sources/tacit")
        #expect(found.contains { $0.module == "TacitNode" })
        for (file, module) in found where module.hasPrefix("Tacit") || module.hasPrefix("C") {
            if module == "TacitConsole" {
                #expect(file.hasSuffix("ConsoleCommand.swift"), "\(file) imports TacitConsole")
                continue
            }
            #expect(module == "TacitNode", "\(file) imports \(module)")
        }
        for (file, module) in try imports(under: "Sources/TacitConsole") where module.hasPrefix("C") && !module.hasPrefix("Crypto") {
            Issue.record("\(file) imports the C module \(module)")
        }
    }

    @Test("Package.swift: tacit depends on TacitNode (and TacitConsole, which sits on it) only among our modules; no protocol target on TacitLedger or TacitNode")
    func manifestDependencies() throws {
        // A scratch path of its own: `swift test` holds the lock on the package's .build.
        let scratch = tempDir()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["swift", "package", "--package-path", packageRoot.path, "--scratch-path", scratch, "dump-package"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let watchdog = DispatchWorkItem { p.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 180, execute: watchdog)
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        watchdog.cancel()
        #expect(p.terminationStatus == 0, "swift package dump-package failed or took over 180 s")
        let manifest = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let targets = try #require(manifest["targets"] as? [[String: Any]])
        func dependencies(_ t: [String: Any]) -> [String] {
            (t["dependencies"] as? [[String: Any]] ?? []).compactMap { d in
                ((d["byName"] ?? d["target"]) as? [Any])?.first as? String
            }
        }
        let ours = Set(targets.compactMap { $0["name"] as? String })
        let tacit = try #require(targets.first { $0["name"] as? String == "tacit" })
        #expect(dependencies(tacit).filter(ours.contains) == ["TacitNode", "TacitConsole"])
        let console = try #require(targets.first { $0["name"] as? String == "TacitConsole" })
        #expect(dependencies(console).contains("TacitNode"))
        #expect(!dependencies(console).contains("TacitLedger") && !dependencies(console).contains("tacit"))
        let protocolTargets = targets.filter { ($0["path"] as? String)?.hasPrefix("Protocols/") == true }
        #expect(protocolTargets.count >= 10)
        for t in protocolTargets {
            for d in dependencies(t) {
                #expect(!["TacitLedger", "TacitNode", "tacit"].contains(d), "\(t["name"] ?? "?") depends on \(d)")
            }
        }
    }
}
