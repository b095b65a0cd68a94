import Testing
import TacitJob
import TacitNet
import TacitTestSupport
@testable import TacitPSI

@Suite("PSI identifiers and their normalisation")
struct IdentifierTests {
    let standard = IdentifierNormalisation.standard
    let ids = IdentifierNormalisation(separators: true)

    @Test("NFKC_Casefold: width, ligatures, ß, final sigma, combining accents")
    func unicode() {
        #expect(standard.apply("ＡＢ１２") == "ab12")
        #expect(standard.apply("ﬁle") == "file")
        #expect(standard.apply("Straße") == standard.apply("STRASSE"))
        #expect(standard.apply("ΟΔΟΣ") == standard.apply("οδος"))
        // é precomposed (U+00E9) and as e + U+0301 give the same bytes.
        #expect(Array(standard.apply("caf\u{E9}").utf8) == Array(standard.apply("cafe\u{301}").utf8))
        #expect(standard.apply("  Ana María \t") == "ana maría")
        // Without casefold, case is kept; with none, nothing changes.
        #expect(IdentifierNormalisation(casefold: false).apply(" Ab ") == "Ab")
        #expect(IdentifierNormalisation.none.apply(" Ab ") == " Ab ")
    }

    @Test("the ASCII fast path gives Foundation's bytes for every ASCII character and random ASCII strings, under every step set")
    func asciiFastPath() throws {
        var rng = SeededGenerator(seed: 14)
        let all = (0..<128).map { String(UnicodeScalar(UInt8($0))) }
        for n in (0..<16).map({ IdentifierNormalisation(nfkc: $0 & 1 != 0, casefold: $0 & 2 != 0, separators: $0 & 4 != 0, trim: $0 & 8 != 0) }) {
            for c in all {
                for v in [c, " \(c)x\(c) ", "A\(c)b"] {
                    #expect(n.applyASCII(v).map { Array($0.utf8) } == Array(n.applyUnicode(v).utf8), "\(n) \(Array(v.utf8))")
                }
            }
            for _ in 0..<200 {
                let v = String(decoding: (0..<Int.random(in: 0...12, using: &rng)).map { _ in UInt8.random(in: 0...127, using: &rng) }, as: UTF8.self)
                #expect(n.applyASCII(v).map { Array($0.utf8) } == Array(n.applyUnicode(v).utf8), "\(n) \(Array(v.utf8))")
            }
        }
        #expect(standard.applyASCII("Zoë") == nil)
    }

    @Test("separators: ID numbers written in groups match")
    func separators() {
        for written in ["12-345 678/9", "12.345.678.9", "12 345 678 9", "12‐345_678\u{2014}9", "１２３４５６７８９"] {
            #expect(ids.apply(written) == "123456789", "\(written)")
        }
        #expect(ids.apply("ab-12") != standard.apply("ab-12"))
    }

    @Test("parse: steps in any order, none, and a clear error for anything else")
    func parse() throws {
        #expect(try IdentifierNormalisation.parse("separators, trim").get() == IdentifierNormalisation(nfkc: false, casefold: false, separators: true, trim: true))
        #expect(try IdentifierNormalisation.parse("none").get() == .none)
        #expect(try IdentifierNormalisation.parse("trim,nfkc,casefold").get() == .standard)
        #expect(IdentifierNormalisation.standard.description == "trim,nfkc,casefold")
        for bad in ["", "lower", "trim,none"] {
            guard case .failure(let e) = IdentifierNormalisation.parse(bad) else { Issue.record("accepted '\(bad)'"); continue }
            #expect(e.code == .invalidSpec)
            #expect(e.message.contains("trim, nfkc, casefold, separators"), "\(e.message)")
        }
    }

    func input(_ columns: [(String, ColumnDeclaration.Kind, [String])]) -> DatasetInput {
        DatasetInput(jobID: "j", party: "bank-a", dataset: "d", columns: columns.map {
            .init(declaration: ColumnDeclaration(name: $0.0, type: $0.1), values: $0.2)
        })
    }

    @Test("rows become distinct elements; duplicates after normalisation share one, blanks match nothing")
    func set() throws {
        let s = try IdentifierSet(input([("id", .identifier, ["AB1", " ab1", "", "Zoë", "zoe\u{308}", "   ", "x"])]), normalisation: standard)
        #expect(s.set.elements == [Array("ab1".utf8), Array("zoë".utf8), Array("x".utf8)])
        #expect((0..<3).map(s.rows(of:)) == [[0, 1], [3, 4], [6]])
        #expect(s.blankRows == 2 && s.duplicateRows == 2)
    }

    @Test("several columns join without ambiguity; a number column is refused by name")
    func columns() throws {
        let s = try IdentifierSet(input([("a", .identifier, ["ab", "a", "ab"]), ("b", .identifier, ["c", "bc", ""])]), normalisation: standard)
        #expect(s.set.count == 3)
        #expect(s.set.elements[0] == [0, 0, 0, 2] + Array("ab".utf8) + [0, 0, 0, 1] + Array("c".utf8))
        do { _ = try IdentifierSet(input([("n", .integer, ["0042"])]), normalisation: standard); Issue.record("read a number column") } catch let e as JobError {
            #expect(e.code == .invalidInput)
            #expect(e.message.contains("type: identifier"), "\(e.message)")
        }
    }
}
