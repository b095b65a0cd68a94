import Foundation
import Testing

@testable import TacitNet

struct KeyTests {
    @Test func generatedKeysRoundTripThroughZ85() throws {
        let kp = try CurveKeyPair.generate()
        #expect(kp.publicKey.z85.count == 40)
        #expect(try CurveSecretKey(z85: kp.secretKey.z85).publicKey == kp.publicKey)
        #expect(!"\(kp.secretKey)".contains(kp.secretKey.z85))
    }

    @Test(arguments: [
        ("", "got 0 characters"),
        ("abc", "got 3 characters"),
        (String(repeating: "a", count: 39) + "~", "outside the Z85 alphabet at position 40"),
        (String(repeating: "#", count: 40), "out of range"),
    ])
    func badZ85KeysAreRejected(text: String, message: String) {
        let e = #expect(throws: NetError.self) { try CurvePublicKey(z85: text) }
        #expect(e?.code == .invalidKey)
        #expect(e?.reason.contains(message) == true, "\(e?.reason ?? "")")
    }

    @Test func keyFilesAreCreatedPrivateAndNeverOverwritten() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let kp = try CurveKeyPair.generate()
        let paths = try KeyFiles.write(name: "alice", keyPair: kp, directory: dir)
        let mode = try FileManager.default.attributesOfItem(atPath: paths.secretPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try KeyFiles.readSecretKey(path: paths.secretPath).publicKey == kp.publicKey)
        #expect(try KeyFiles.readPublicKey(path: paths.publicPath) == kp.publicKey)
        let again = #expect(throws: NetError.self) { try KeyFiles.write(name: "alice", keyPair: kp, directory: dir) }
        #expect(again?.reason.contains("already exists") == true)
        // Same key still on disk.
        #expect(try KeyFiles.readSecretKey(path: paths.secretPath).publicKey == kp.publicKey)

        chmod(paths.secretPath, 0o644)
        let open = #expect(throws: NetError.self) { try KeyFiles.readSecretKey(path: paths.secretPath) }
        #expect(open?.reason.contains("chmod 600") == true)

        let bad = #expect(throws: NetError.self) { try KeyFiles.write(name: "../evil", keyPair: kp, directory: dir) }
        #expect(bad?.code == .keyFile)

        try "not a key\n".write(toFile: dir + "/junk.pub", atomically: true, encoding: .utf8)
        let junk = #expect(throws: NetError.self) { try KeyFiles.readPublicKey(path: dir + "/junk.pub") }
        #expect(junk?.code == .invalidKey)
        #expect(junk?.reason.contains("junk.pub") == true)
    }
}

struct ConsortiumTests {
    static let keyA = "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
    static let keyB = "Yne@$w-vo<fVvi]a<NY6T1ed:M$fCG*[IaLV{hID"

    @Test func parsesYAMLAndJSON() throws {
        let yaml = """
            members:
              - name: b
                publicKey: "\(Self.keyB)"
                endpoint: tcp://10.0.0.2:7100
              - name: a
                publicKey: "\(Self.keyA)"
                endpoint: tcp://10.0.0.1:7100
            """
        let c = try Consortium.parse(yaml)
        #expect(c.names == ["a", "b"])
        #expect(c.member(named: "a")?.endpoint == "tcp://10.0.0.1:7100")
        #expect(try Consortium.parse(c.yaml()) == c)
        let json = """
            {"members": [{"name": "a", "publicKey": "\(Self.keyA)", "endpoint": "tcp://[::1]:7000"}]}
            """
        #expect(try Consortium.parse(json).names == ["a"])
    }

    @Test(arguments: [
        ("members: [", "not valid YAML"),
        ("- a\n- b", "top level must be a mapping"),
        ("other: 1", "missing 'members'"),
        ("members:\n  - name: a\n    endpoint: tcp://h:1", "member 1 (a): field 'publicKey' is missing"),
        ("members:\n  - publicKey: \"\(keyA)\"\n    endpoint: tcp://h:1", "member 1: field 'name'"),
        ("members:\n  - name: a\n    publicKey: \"\(keyA)\"", "member 1 (a): field 'endpoint' is missing"),
        ("members:\n  - name: a\n    publicKey: \"short\"\n    endpoint: tcp://h:1", "member 1 (a): field 'publicKey': public key must be 40"),
        ("members:\n  - name: a\n    publicKey: \"\(keyA)\"\n    endpoint: http://h:1", "must start with tcp://"),
        ("members:\n  - name: a\n    publicKey: \"\(keyA)\"\n    endpoint: tcp://h:99999", "port 1-65535"),
        ("members:\n  - name: a b\n    publicKey: \"\(keyA)\"\n    endpoint: tcp://h:1", "may contain only"),
        ("members:\n  - name: a\n    publicKey: \"\(keyA)\"\n    endpoint: tcp://h:1\n    role: x", "unknown field 'role'"),
        ("members:\n  - name: a\n    publicKey: \"\(keyA)\"\n    endpoint: tcp://h:1\n  - name: a\n    publicKey: \"\(keyB)\"\n    endpoint: tcp://h:2", "listed twice"),
        ("members:\n  - name: a\n    publicKey: \"\(keyA)\"\n    endpoint: tcp://h:1\n  - name: b\n    publicKey: \"\(keyA)\"\n    endpoint: tcp://h:2", "same public key"),
        ("members: []", "at least one member"),
    ])
    func badFilesSayWhatIsWrong(text: String, message: String) {
        let e = #expect(throws: NetError.self) { try Consortium.parse(text) }
        #expect(e?.code == .invalidConsortium)
        #expect(e?.reason.contains(message) == true, "\(e?.reason ?? "no error")")
    }

    @Test func missingFileIsNamed() {
        let e = #expect(throws: NetError.self) { try Consortium.load(path: "/nonexistent/c.yaml") }
        #expect(e?.reason.contains("/nonexistent/c.yaml") == true)
    }

    @Test func meshRefusesIdentityNotInConsortium() throws {
        let kp = try CurveKeyPair.generate()
        let other = try CurveKeyPair.generate()
        let c = try Consortium(members: [.init(name: "a", publicKey: kp.publicKey, endpoint: "tcp://127.0.0.1:1")])
        let e1 = #expect(throws: NetError.self) {
            try ZeroMQMesh(configuration: MeshConfiguration(name: "zed", keyPair: kp, consortium: c))
        }
        #expect(e1?.code == .invalidIdentity)
        let e2 = #expect(throws: NetError.self) {
            try ZeroMQMesh(configuration: MeshConfiguration(name: "a", keyPair: other, consortium: c))
        }
        #expect(e2?.code == .invalidIdentity)
    }

    @Test func bindFailureIsReported() throws {
        let kp = try CurveKeyPair.generate()
        // 192.0.2.1 (TEST-NET-1) is not an address of this host.
        let c = try Consortium(members: [.init(name: "a", publicKey: kp.publicKey, endpoint: "tcp://192.0.2.1:7000")])
        let e = #expect(throws: NetError.self) {
            try ZeroMQMesh(configuration: MeshConfiguration(name: "a", keyPair: kp, consortium: c))
        }
        #expect(e?.code == .transport)
        #expect(e?.reason.contains("cannot bind") == true)
    }
}

struct FrameTests {
    @Test func headerRoundTrips() throws {
        let h = FrameHeader(sender: "hospital-a", session: SessionID(.max), tag: Tag(12345), payloadLength: 1 << 40)
        let bytes = h.encode()
        #expect(bytes.count == 32 + 10)
        #expect(Array(bytes.prefix(6)) == [0x54, 0x41, 0x43, 0x54, 1, 0])
        #expect(try bytes.withUnsafeBytes { try FrameHeader.decode($0) } == h)
    }

    @Test func pieceHeaderRoundTrips() throws {
        let h = FrameHeader(
            sender: "b", session: SessionID(3), tag: Tag(4), payloadLength: 10,
            piece: .init(messageID: 9, total: 1 << 30, offset: 1 << 20))
        let bytes = h.encode()
        #expect(bytes.count == 32 + 24 + 1)
        #expect(bytes[5] == 1)
        #expect(try bytes.withUnsafeBytes { try FrameHeader.decode($0) } == h)
        // A piece flag on a header without the piece fields is refused.
        var flagged = FrameHeader(sender: "b", session: SessionID(3), tag: Tag(4), payloadLength: 10).encode()
        flagged[5] = 1
        #expect(throws: FrameHeader.DecodeError.self) { try flagged.withUnsafeBytes { try FrameHeader.decode($0) } }
    }

    @Test func malformedHeadersAreRejectedNotTrapped() {
        let good = FrameHeader(sender: "a", session: SessionID(1), tag: Tag(2), payloadLength: 3).encode()
        var cases: [[UInt8]] = [[], Array(good.prefix(31)), good + [0], good + Array(repeating: 0x61, count: 100)]
        for i in [0, 4, 5, 6, 7, 32] {
            var b = good
            b[i] ^= 0xFF
            cases.append(b)
        }
        var zeroName = good
        zeroName[6] = 0
        cases.append(Array(zeroName.prefix(32)))
        for c in cases {
            #expect(throws: FrameHeader.DecodeError.self) { try c.withUnsafeBytes { try FrameHeader.decode($0) } }
        }
        // Random bytes never crash the decoder.
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<10_000 {
            let n = Int.random(in: 0...100, using: &rng)
            var b = (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if n >= 8, Bool.random(using: &rng) { b.replaceSubrange(0..<4, with: FrameHeader.magic); b[4] = 1 }
            _ = try? b.withUnsafeBytes { try FrameHeader.decode($0) }
        }
    }
}
