import Foundation
import Testing
import TacitJob
import TacitJobHarness
import TacitMPC
import TacitNet
import TacitProtocols

@testable import TacitMillionaires

/// The job end to end in the in-process harness, every predicate and path against the
/// plaintext comparison of the same numbers (Swift's own `<` on Int64/UInt64).
@Suite("millionaires job: every path and predicate against plaintext")
struct MillionairesJobTests {
    let harness = JobHarness(registry: .standard())

    func run(
        _ x: [String], _ y: [String], parameters: [String: String], recipients: [PartyID] = ["bank", "insurer"]
    ) async throws -> JobHarness.Report {
        let inputs: [PartyID: DatasetInput] = [
            "bank": .column("amount", x, fractionDigits: 0, party: "bank"),
            "insurer": .column("amount", y, fractionDigits: 0, party: "insurer"),
        ]
        let spec = JobHarness.spec(
            protocol: "millionaires", inputs: inputs, parameters: ["left": "bank"].merging(parameters) { _, b in b },
            outputs: [JobSpec.Output(name: "result", recipients: recipients)])
        return try await harness.run(spec, inputs: inputs)
    }

    static func expected(_ x: [Int64], _ y: [Int64], _ p: Millionaires.Predicate) -> JobValue {
        // Offsetting by 2^63 keeps order: the unsigned plaintext predicate on the offsets is the
        // signed one, which is what the job compares.
        let bits = zip(x, y).map { p.holds(UInt64(bitPattern: $0) ^ (1 << 63), UInt64(bitPattern: $1) ^ (1 << 63)) }
        #expect(zip(x, y).map { a, b in [a < b, a <= b, a == b, a != b, a >= b, a > b][Millionaires.Predicate.allCases.firstIndex(of: p)!] } == bits)
        return Millionaires.value(bits)
    }

    @Test("signed 64-bit rows, every predicate, both learn", arguments: Millionaires.PathKind.allCases)
    func everyPredicate(_ path: Millionaires.PathKind) async throws {
        let edges: [(Int64, Int64)] = [
            (0, 0), (0, 1), (1, 0), (-1, 0), (0, -1), (.min, .max), (.max, .min), (.max, .max), (.min, .min),
            (.max - 1, .max), (.min + 1, .min), (42, 42), (-42, 42),
        ]
        var pairs = edges
        var g = SystemRandomNumberGenerator()
        for _ in 0..<20 { pairs.append((Int64(bitPattern: g.next()), Int64(bitPattern: g.next()))) }
        let x = pairs.map(\.0), y = pairs.map(\.1)
        for p in Millionaires.Predicate.allCases {
            let report = try await run(x.map(String.init), y.map(String.init), parameters: ["predicate": p.rawValue, "path": path.rawValue])
            let want = Self.expected(x, y, p)
            #expect(try report.value("result", at: "bank") == want, "\(p)")
            #expect(try report.value("result", at: "insurer") == want, "\(p)")
        }
    }

    @Test("only the recipient learns; one row gives a number", arguments: Millionaires.PathKind.allCases)
    func oneRecipient(_ path: Millionaires.PathKind) async throws {
        let report = try await run(["1000000"], ["999999"], parameters: ["predicate": "gt", "path": path.rawValue], recipients: ["insurer"])
        #expect(try report.value("result", at: "insurer") == .number("1"))
        #expect(try report.value("result", at: "bank") == nil)
        // Both record the same digest, so an auditor can check the recipient's answer later.
        #expect(Set(try report.results().values.map { $0.outputs[0].digest }).count == 1)
    }

    @Test("unsigned values up to 2^64 − 1 and narrower widths", arguments: Millionaires.PathKind.allCases)
    func unsignedAndNarrow(_ path: Millionaires.PathKind) async throws {
        let x = ["0", "18446744073709551615", "18446744073709551614", "7"]
        let y = ["18446744073709551615", "18446744073709551615", "18446744073709551615", "7"]
        let r = try await run(x, y, parameters: ["signed": "false", "predicate": "lt", "path": path.rawValue])
        #expect(try r.value("result", at: "bank") == .table(try JobTable(columns: ["result"], rows: [["1"], ["0"], ["1"], ["0"]])))
        // 8-bit signed: every pair of a spread of values, against plaintext.
        let values = (-128...127).filter { $0 % 17 == 0 || $0 == 127 || $0 == -128 }
        var xs: [Int64] = [], ys: [Int64] = []
        for a in values { for b in values { xs.append(Int64(a)); ys.append(Int64(b)) } }
        let n = try await run(xs.map(String.init), ys.map(String.init), parameters: ["bits": "8", "predicate": "le", "path": path.rawValue])
        let want = zip(xs, ys).map { $0 <= $1 ? ["1"] : ["0"] }
        #expect(try n.value("result", at: "bank") == .table(try JobTable(columns: ["result"], rows: want)))
    }

    @Test("a value outside the declared width fails the job with a message, its row only in the local detail")
    func outOfRange() async throws {
        let r = try await run(["128"], ["1"], parameters: ["bits": "8"])
        guard case .failure(let e)? = r.outcomes["bank"] else {
            Issue.record("the bank's out-of-range value ran")
            return
        }
        #expect(e.code == .invalidInput)
        #expect(e.message.contains("±2^7"))
        #expect(!e.message.contains("128"))
        #expect(e.localDetail == "row 1 of the input")
        let neg = try await run(["-1"], ["1"], parameters: ["signed": "false"])
        guard case .failure(let e2)? = neg.outcomes["bank"] else {
            Issue.record("a negative unsigned value ran")
            return
        }
        #expect(e2.code == .invalidInput)
    }

    @Test("different row counts fail both sides, the first naming the other")
    func rowCounts() async throws {
        let r = try await run(["1", "2"], ["1"], parameters: [:])
        // The harness stops the other party once one fails, so only the first failure's reason
        // is the protocol's own.
        let first = try #require(r.firstFailure)
        guard case .failure(let e)? = r.outcomes[first] else {
            Issue.record("\(first) ran with unequal row counts")
            return
        }
        #expect(e.code == .invalidInput)
        #expect(e.peer == (first == "bank" ? "insurer" : "bank"))
        for p in ["bank", "insurer"] as [PartyID] {
            if case .success = r.outcomes[p] { Issue.record("\(p) ran with unequal row counts") }
        }
    }

    /// Runs the comparison honestly, then sends the recipient three bytes of "shares" for one row.
    struct BadReveal: JobProtocol {
        let descriptor = Millionaires().descriptor
        func validate(_ spec: JobSpec, engine: ProtocolDescriptor?) -> [SpecProblem] { [] }
        func run(_ ctx: JobContext) async throws -> [String: JobValue] {
            let peer = try #require(ctx.spec.inputParties.first { $0 != ctx.localParty })
            let v = try Millionaires.encodeValue("5", signed: true, bits: 64, fractionDigits: 0)
            _ = try await Millionaires.compare(
                [v], predicate: .lt, path: .ot, bits: 64, role: .holdsY, channel: ctx.channel, pathChannel: ctx.session("millionaires.ot"),
                peer: peer, recipients: [], timeout: ctx.stepTimeout)
            try await ctx.channel.send(Payload([0xff, 0xff, 0xff]), to: peer, tag: Millionaires.revealTag)
            return [:]
        }
    }

    @Test("a malformed answer share fails the recipient with an error naming the sender")
    func badRevealShare() async throws {
        let inputs: [PartyID: DatasetInput] = [
            "bank": .column("amount", ["7"], fractionDigits: 0, party: "bank"),
            "insurer": .column("amount", ["5"], fractionDigits: 0, party: "insurer"),
        ]
        let spec = JobHarness.spec(
            protocol: "millionaires", inputs: inputs, parameters: ["left": "bank"],
            outputs: [JobSpec.Output(name: "result", recipients: ["bank"])])
        let r = try await harness.run(spec, inputs: inputs, misbehaving: ["insurer": BadReveal()])
        guard case .failure(let e)? = r.outcomes["bank"] else {
            Issue.record("the bank accepted a malformed answer share")
            return
        }
        #expect(e.code == .protocolFailure)
        #expect(e.peer == "insurer")
        #expect(e.message.contains("3 bytes"), "\(e.message)")
    }

    @Test("specs that do not fit are refused before running, each naming its field")
    func specProblems() {
        let m = Millionaires()
        let inputs: [PartyID: DatasetInput] = [
            "a": .column("v", ["1"], party: "a"), "b": .column("v", ["1"], party: "b"), "c": .column("v", ["1"], party: "c"),
        ]
        func problems(_ parameters: [String: String], parties: [PartyID] = ["a", "b"]) -> [String] {
            let spec = JobHarness.spec(
                protocol: "millionaires", inputs: inputs.filter { parties.contains($0.key) }, parameters: parameters,
                outputs: [JobSpec.Output(name: "result", recipients: ["a"])])
            return m.validate(spec, engine: nil).map(\.path)
        }
        #expect(problems([:]).isEmpty)
        #expect(problems(["predicate": "less"]) == ["parameters.predicate"])
        #expect(problems(["path": "yao"]) == ["parameters.path"])
        #expect(problems(["signed": "yes"]) == ["parameters.signed"])
        #expect(problems(["bits": "65"]) == ["parameters.bits"])
        #expect(problems(["bits": "0"]) == ["parameters.bits"])
        #expect(problems(["fractionDigits": "19"]) == ["parameters.fractionDigits"])
        #expect(problems(["left": "mallory"]) == ["parameters.left"])
        #expect(problems([:], parties: ["a", "b", "c"]) == ["parties"])
    }

    @Test("decimal text is scaled exactly, and what is not a number is refused")
    func decimals() {
        #expect(FixedDecimal.parse("12.5", fractionDigits: 2)! == (false, 1250))
        #expect(FixedDecimal.parse("-0.01", fractionDigits: 2)! == (true, 1))
        #expect(FixedDecimal.parse("18446744073709551615", fractionDigits: 0)! == (false, .max))
        #expect(FixedDecimal.parse("18446744073709551616", fractionDigits: 0) == nil)
        #expect(FixedDecimal.parse("1.234", fractionDigits: 2) == nil)
        for bad in ["", "-", ".", "1.", "1e3", "0x10", "١٢", "1 2", "--1"] {
            #expect(FixedDecimal.parse(bad, fractionDigits: 2) == nil, "\(bad)")
        }
    }

    @Test("shares of < and = give every predicate locally")
    func predicateShares() {
        // Every combination of the two parties' shares against the plaintext predicate of the
        // (lt, eq) they encode; lt and eq never both hold.
        for (lt, eq) in [(false, false), (true, false), (false, true)] {
            for (xl, xe) in [(false, false), (false, true), (true, false), (true, true)] {
                let xs = ComparisonShares(lessThan: [xl], equal: [xe])
                let ys = ComparisonShares(lessThan: [xl != lt], equal: [xe != eq])
                let (x, y): (UInt64, UInt64) = lt ? (1, 2) : eq ? (2, 2) : (3, 2)
                for p in Millionaires.Predicate.allCases {
                    let got = p.share(xs, role: .holdsX)[0] != p.share(ys, role: .holdsY)[0]
                    #expect(got == p.holds(x, y), "\(p) lt=\(lt) eq=\(eq)")
                }
            }
        }
    }

    @Test("result shares are packed in exactly the bits they need")
    func packing() {
        let bits = (0..<13).map { $0 % 3 == 0 }
        #expect(Millionaires.unpack(Millionaires.pack(bits), count: 13) == bits)
        #expect(Millionaires.unpack([0xff], count: 13) == nil)
        #expect(Millionaires.unpack([0xff, 0xff], count: 13) == nil)
        #expect(Millionaires.unpack([0xff, 0x1f], count: 13) != nil)
    }
}
