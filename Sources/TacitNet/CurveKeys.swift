internal import CZeroMQ
import Foundation
import TacitBytes

/// A CURVE public key (Curve25519), written in Z85 as ZeroMQ does: 40 characters.
public struct CurvePublicKey: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The Z85 text, safe to log and publish.
    public let z85: String

    public init(z85 text: String) throws {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try Z85.decode32(text, what: "public key")
        self.z85 = text
    }

    /// For text libzmq itself produced.
    init(trusted z85: String) { self.z85 = z85 }

    /// The 32 raw bytes, for fingerprints (`z85` was checked when this key was made).
    public var rawBytes: [UInt8] { (try? Z85.decode32(z85, what: "public key")) ?? [] }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { try self.init(z85: text) } catch let e as NetError {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: e.reason))
        }
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(z85)
    }

    public var description: String { z85 }
}

/// A CURVE secret key. Its description never shows the key, so it cannot leak into logs.
public struct CurveSecretKey: Sendable, CustomStringConvertible {
    let z85: String

    public init(z85 text: String) throws {
        let text = text.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try Z85.decode32(text, what: "secret key")
        self.z85 = text
    }

    /// The public key that belongs to this secret key.
    public var publicKey: CurvePublicKey {
        var out = [CChar](repeating: 0, count: 41)
        let rc = zmq_curve_public(&out, z85)
        // The secret was validated as 32 Z85-encoded bytes on init; failure here means libzmq
        // was built without CURVE, which `generate` reports properly first.
        precondition(rc == 0, "zmq_curve_public failed: libzmq lacks CURVE support")
        return CurvePublicKey(trusted: String(cChars: out))
    }

    public var description: String { "CurveSecretKey(<redacted>)" }
}


public struct CurveKeyPair: Sendable {
    public let publicKey: CurvePublicKey
    public let secretKey: CurveSecretKey

    public init(secretKey: CurveSecretKey) {
        self.secretKey = secretKey
        self.publicKey = secretKey.publicKey
    }

    /// A fresh key pair from libzmq's CSPRNG (libsodium).
    public static func generate() throws -> CurveKeyPair {
        guard zmq_has("curve") != 0 else {
            throw NetError(.transport, "this libzmq was built without CURVE; install a libzmq with libsodium")
        }
        var pub = [CChar](repeating: 0, count: 41)
        var sec = [CChar](repeating: 0, count: 41)
        guard zmq_curve_keypair(&pub, &sec) == 0 else {
            throw NetError(.transport, "zmq_curve_keypair failed: \(ZMQ.lastError())")
        }
        defer { for i in sec.indices { sec[i] = 0 } }
        return try CurveKeyPair(secretKey: CurveSecretKey(z85: String(cChars: sec)))
    }
}

enum Z85 {
    static let alphabet = Set(
        "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#".utf8)

    /// Decodes a 40-character Z85 key to its 32 bytes, or says exactly what is wrong.
    static func decode32(_ text: String, what: String) throws -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count == 40 else {
            throw NetError(
                .invalidKey,
                "\(what) must be 40 Z85 characters (32 bytes), got \(utf8.count) characters; "
                    + "generate keys with `tacit keys generate`")
        }
        if let bad = utf8.firstIndex(where: { !alphabet.contains($0) }) {
            throw NetError(.invalidKey, "\(what) has a character outside the Z85 alphabet at position \(bad + 1)")
        }
        var out = [UInt8](repeating: 0, count: 32)
        guard zmq_z85_decode(&out, text) != nil else {
            throw NetError(.invalidKey, "\(what) is not valid Z85 (value out of range)")
        }
        return out
    }
}

/// Key files as `tacit keys generate` writes them: `NAME.key` holds the Z85 secret key and is
/// readable only by its owner; `NAME.pub` holds the Z85 public key.
public enum KeyFiles {
    /// Writes both files. The secret file is created with mode 0600 in the same `open` call
    /// (never widened then narrowed), and never overwrites an existing file.
    public static func write(name: String, keyPair: CurveKeyPair, directory: String) throws -> (
        secretPath: String, publicPath: String
    ) {
        if let problem = PartyID.validate(name) {
            throw NetError(.keyFile, "party name '\(name)' \(problem)")
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let secretPath = (directory as NSString).appendingPathComponent("\(name).key")
        let publicPath = (directory as NSString).appendingPathComponent("\(name).pub")
        try writeNew(path: secretPath, contents: keyPair.secretKey.z85 + "\n", mode: 0o600)
        do {
            try writeNew(path: publicPath, contents: keyPair.publicKey.z85 + "\n", mode: 0o644)
        } catch {
            unlink(secretPath)
            throw error
        }
        return (secretPath, publicPath)
    }

    /// Reads a secret key file, refusing one that group or others can read.
    public static func readSecretKey(path: String) throws -> CurveSecretKey {
        do { try SecretFile.requirePrivate(atPath: path) } catch { throw NetError(.keyFile, error.message) }
        let text = try readText(path)
        do { return try CurveSecretKey(z85: text) } catch let e as NetError {
            throw NetError(.invalidKey, "\(path): \(e.reason)")
        }
    }

    public static func readPublicKey(path: String) throws -> CurvePublicKey {
        let text = try readText(path)
        do { return try CurvePublicKey(z85: text) } catch let e as NetError {
            throw NetError(.invalidKey, "\(path): \(e.reason)")
        }
    }

    private static func readText(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NetError(.keyFile, "cannot read key file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw NetError(.invalidKey, "key file \(path) is not UTF-8 text")
        }
        return text
    }

    private static func writeNew(path: String, contents: String, mode: mode_t) throws {
        do { try SecretFile.create(atPath: path, contents: Array(contents.utf8), mode: Int(mode)) } catch {
            throw NetError(.keyFile, error.message)
        }
    }
}
