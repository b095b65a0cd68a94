import Foundation
import Testing
import TacitCrypto
import TacitMath

/// A real round trip with python-paillier (phe), installed into `.build-venv` by `make py-deps`
/// (which `make test` runs). The interpreter comes from `TACIT_PYTHON` or that venv.
@Suite("Paillier: interoperability with python-paillier")
struct InteropTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = packageRoot.appendingPathComponent("Tests/TacitCryptoTests/Fixtures/phe_interop.py").path

    static func python() throws -> String {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["TACIT_PYTHON"], packageRoot.appendingPathComponent(".build-venv/bin/python").path]
        for case let path? in candidates where FileManager.default.isExecutableFile(atPath: path) { return path }
        Issue.record("python-paillier is not installed: no TACIT_PYTHON and no .build-venv/bin/python. Run `make test` (or `make py-deps`), which creates the venv with phe and gmpy2.")
        throw CancellationError()
    }

    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try python())
        process.arguments = [script] + arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errors = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("phe_interop.py failed (\(process.terminationStatus)): \(String(decoding: errors, as: UTF8.self))")
            throw CancellationError()
        }
        return String(decoding: data, as: UTF8.self)
    }

    func field(_ json: String, _ path: [String]) throws -> Any? {
        var value: Any? = try JSONSerialization.jsonObject(with: Data(json.utf8))
        for key in path { value = (value as? [String: Any])?[key] }
        return value
    }

    @Test func pheDecryptsAndAddsTacitCiphertexts() throws {
        let key = Keys.k1024
        let pk = key.publicKey
        let values: [BigInt] = [0, 1, -1, 123_456_789_012, -987_654_321, BigInt(1) << 200]
        var cs = try values.map { try pk.encrypt($0) }
        cs.append(try key.encrypt(-42))  // key-holder (CRT) encryption
        let all = values + [-42]
        let message = Paillier.PHE.encodeMessage(publicKey: pk, ciphertexts: cs)
        let input = "{\"message\": \(message), \"private\": \(Paillier.PHE.encodeJWKPrivateKey(key))}"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tacit-phe-\(UUID().uuidString).json")
        try input.write(to: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: path) }
        let output = try Self.run(["check-tacit", path.path])
        let decrypted = try field(output, ["decrypted"]) as? [String]
        #expect(decrypted == all.map(\.description))
        let sum = all.reduce(BigInt(0), +)
        #expect(try field(output, ["sum"]) as? String == sum.description)
        #expect(try field(output, ["plus_seven"]) as? String == "7")
        // phe's homomorphic sum, back in Tacit.
        let sumText = try #require(try field(output, ["sum_ciphertext"]) as? String)
        let pheSum = try pk.ciphertext(BigInt(parsing: sumText))
        #expect(key.decrypt(pheSum) == sum)
    }

    @Test func tacitDecryptsAndAddsPheCiphertexts() throws {
        let values = ["0", "1", "-1", "31415926535", "-271828182845", "123456789012345678901234567890"]
        let output = try Self.run(["make-phe", "1024"] + values)
        let root = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        #expect(root["message"] != nil)
        // JSONSerialization rounds big numbers; feed Tacit the exact text instead.
        let exactMessage = try #require(Self.extract(member: "message", from: output))
        let (pk, numbers) = try Paillier.PHE.decodeMessage(exactMessage, policy: Keys.policy)
        #expect(pk.hs == nil)
        let privateJSON = try #require(Self.extract(member: "private", from: output))
        let key = try Paillier.PHE.decodeJWKPrivateKey(privateJSON, policy: Keys.policy)
        #expect(key.publicKey.n == pk.n)
        let expected = try values.map { try BigInt(parsing: $0) }
        let cs = try numbers.map { try $0.integerCiphertext(publicKey: pk) }
        #expect(cs.map { key.decrypt($0) } == expected)
        // Tacit adds phe's ciphertexts and its own, under phe's key.
        var total = try pk.encrypt(1000)  // textbook: the imported key has no hs
        for c in cs { total = pk.add(total, c) }
        #expect(key.decrypt(total) == expected.reduce(BigInt(1000), +))
        let fast = pk.withFastEncryptionBase()
        #expect(key.decrypt(pk.add(try fast.encrypt(5, method: .fast), cs[3])) == expected[3] + 5)
        // phe's own sum, as a pheutil {"v", "e"} object.
        let sumJSON = try #require(Self.extract(member: "sum", from: output))
        let pheSum = try Paillier.PHE.decodeEncryptedNumber(sumJSON, publicKey: pk)
        #expect(key.decrypt(try pheSum.integerCiphertext(publicKey: pk)) == expected.reduce(BigInt(0), +))
        // The JWK public key reads too.
        let jwk = try #require(Self.extract(member: "jwk_public", from: output))
        #expect(try Paillier.PHE.decodePublicKey(jwk, policy: Keys.policy).n == pk.n)
    }

    /// The exact text of a top-level object member (balanced braces; strings hold no braces here).
    static func extract(member: String, from json: String) -> String? {
        guard let start = json.range(of: "\"\(member)\": ") else { return nil }
        var depth = 0
        var index = start.upperBound
        let first = index
        while index < json.endIndex {
            let c = json[index]
            if c == "{" { depth += 1 }
            if c == "}" { depth -= 1; if depth == 0 { return String(json[first...index]) } }
            index = json.index(after: index)
        }
        return nil
    }
}
