import Foundation
import Yams
public import TacitJob
public import TacitNet

/// What a party node runs with, read from YAML. Relative paths are relative to the file.
///
/// ```yaml
/// name: st-marys                      # this party, as the genesis lists it
/// genesis: genesis.bin               # the ledger's genesis: members, certificates, CURVE keys, endpoints
/// ca: ca.crt                          # optional: the consortium CA this node trusts (the genesis must name it)
/// keys:
///   transport: keys/st-marys.key      # CURVE secret key (mode 0600)
///   signing: keys/st-marys.signing.key  # Ed25519 ledger signing key, certified by the CA (mode 0600)
///   encryption: keys/st-marys.enc.key   # optional: X25519 key, to read job outputs sealed to this member (mode 0600)
///   paillierShare: keys/paillier-share.json  # optional: threshold Paillier key share (mode 0600)
/// bind: tcp://0.0.0.0:7101            # optional; defaults to this party's consortium endpoint
/// dataDirectory: data                 # ledger replica, openings, results, control socket
/// datasets:
///   - name: claims
///     file: claims.csv                # relative to dataDirectory
///     columns:
///       - {name: amount, type: decimal, fractionDigits: 2}
///       - {name: year, type: integer}
/// protocolTimeoutSeconds: 60          # a protocol step waiting longer fails the job
/// logLevel: info
/// ```
public struct NodeConfig: Sendable {
    public var name: PartyID
    /// The ledger's genesis block: the founding members (certificates, signing, CURVE and
    /// encryption keys, endpoints) and policies, signed by every founding member. The mesh's
    /// peers are its members.
    public var genesisPath: String
    /// The consortium CA certificate (PEM) this node was given out of band; the genesis must
    /// carry exactly this CA. Optional, but without it a swapped genesis goes unnoticed.
    public var caPath: String?
    public var transportKeyPath: String
    public var signingKeyPath: String
    /// The member's X25519 key (`NAME.enc.key`): opens job outputs sealed to it on the ledger.
    public var encryptionKeyPath: String?
    public var paillierSharePath: String?
    public var bind: String?
    public var dataDirectory: String
    public var datasets: [DatasetDeclaration]
    public var protocolTimeout: Duration
    public var logLevel: String
    /// Accept Paillier keys below 2048 bits (tests, quick local trials). Logged loudly.
    public var allowInsecureKeySizes: Bool

    /// The ledger replica (SQLite): in the data directory.
    public var ledgerDatabasePath: String { (dataDirectory as NSString).appendingPathComponent("ledger.sqlite") }

    /// The control socket: in the data directory, mode 0600.
    public var controlSocketPath: String { (dataDirectory as NSString).appendingPathComponent("control.sock") }

    public func dataset(named name: String) -> DatasetDeclaration? { datasets.first { $0.name == name } }

    static let fields = [
        "name", "genesis", "ca", "keys", "bind", "dataDirectory", "datasets",
        "protocolTimeoutSeconds", "logLevel", "allowInsecureKeySizes",
    ]

    public static func load(path: String) throws -> NodeConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NodeError(.invalidConfig, "cannot read node configuration \(path); create one with `tacit init`")
        }
        let text = String(decoding: data, as: UTF8.self)
        let base = ((path as NSString).deletingLastPathComponent as NSString).standardizingPath
        do { return try parse(text, baseDirectory: base.isEmpty ? "." : base) } catch let e as NodeError {
            throw e.inFile(path)
        }
    }

    public static func parse(_ text: String, baseDirectory: String) throws -> NodeConfig {
        let root = try YAMLValue.parse(text, code: .invalidConfig, expected: "a node configuration mapping")
        let m = try root.mapping(
            allowed: fields, required: ["name", "genesis", "keys", "dataDirectory"],
            what: "a node configuration")
        func resolve(_ p: String) -> String {
            p.hasPrefix("/") ? p : ((baseDirectory as NSString).appendingPathComponent(p) as NSString).standardizingPath
        }
        let name = try m.required("name").name("party name")
        let keys = try m.required("keys").mapping(
            allowed: ["transport", "signing", "encryption", "paillierShare"], required: ["transport", "signing"], what: "the keys")
        var bind: String?
        if let b = m["bind"] {
            let s = try b.string()
            guard s.hasPrefix("tcp://"), s.split(separator: ":").count == 3 else {
                throw b.error("'\(s)' is not tcp://HOST:PORT")
            }
            bind = s
        }
        let dataDirectory = resolve(try m.required("dataDirectory").string())
        var datasets: [DatasetDeclaration] = []
        if let list = m["datasets"] {
            for item in try list.list(what: "datasets") {
                let d = try DatasetDeclaration.parse(item, dataDirectory: dataDirectory)
                if datasets.contains(where: { $0.name == d.name }) {
                    throw item.error("dataset '\(d.name)' is declared twice; dataset names must be unique")
                }
                datasets.append(d)
            }
        }
        let timeout = try m["protocolTimeoutSeconds"]?.int(in: 1...86_400) ?? 60
        let level = try m["logLevel"]?.string() ?? "info"
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(level) else {
            throw m["logLevel"]!.error("'\(level)' is not a log level; use one of \(levels.joined(separator: ", "))")
        }
        return NodeConfig(
            name: PartyID(name),
            genesisPath: resolve(try m.required("genesis").string()),
            caPath: try m["ca"].map { resolve(try $0.string()) },
            transportKeyPath: resolve(try keys.required("transport").string()),
            signingKeyPath: resolve(try keys.required("signing").string()),
            encryptionKeyPath: try keys["encryption"].map { resolve(try $0.string()) },
            paillierSharePath: try keys["paillierShare"].map { resolve(try $0.string()) },
            bind: bind,
            dataDirectory: dataDirectory,
            datasets: datasets,
            protocolTimeout: .seconds(timeout),
            logLevel: level,
            allowInsecureKeySizes: try m["allowInsecureKeySizes"]?.bool() ?? false)
    }
}

/// A dataset a node offers: a CSV file in its data directory and the columns it may contribute.
/// Columns not listed here are never read, whatever a job asks.
public struct DatasetDeclaration: Sendable, Hashable, Codable {
    public var name: String
    /// Absolute path of the CSV file.
    public var file: String
    public var columns: [ColumnDeclaration]

    public func column(named name: String) -> ColumnDeclaration? { columns.first { $0.name == name } }

    static func parse(_ v: YAMLValue, dataDirectory: String) throws -> DatasetDeclaration {
        let m = try v.mapping(allowed: ["name", "file", "columns"], required: ["name", "file", "columns"], what: "a dataset")
        let name = try m.required("name").name("dataset name")
        let fileValue = try m.required("file")
        let file = try fileValue.string()
        let path = file.hasPrefix("/") ? file : (dataDirectory as NSString).appendingPathComponent(file)
        var columns: [ColumnDeclaration] = []
        let list = try m.required("columns").list(what: "columns")
        if list.isEmpty { throw try m.required("columns").error("a dataset must offer at least one column") }
        for item in list {
            let c = try ColumnDeclaration.parse(item)
            if columns.contains(where: { $0.name == c.name }) {
                throw item.error("column '\(c.name)' is listed twice")
            }
            columns.append(c)
        }
        return DatasetDeclaration(name: name, file: (path as NSString).standardizingPath, columns: columns)
    }
}

extension ColumnDeclaration {
    static func parse(_ v: YAMLValue) throws -> ColumnDeclaration {
        // `- amount` is shorthand for a decimal column with 2 fraction digits.
        if v.node.scalar != nil { return ColumnDeclaration(name: try v.name("column name"), type: .decimal, fractionDigits: 2) }
        let m = try v.mapping(allowed: ["name", "type", "fractionDigits"], required: ["name", "type"], what: "a column")
        let name = try m.required("name").name("column name")
        let typeValue = try m.required("type")
        let typeText = try typeValue.string()
        guard let type = Kind(rawValue: typeText) else {
            throw typeValue.error("unknown column type '\(typeText)'; use one of \(Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let digits = try m["fractionDigits"]?.int(in: 0...18) ?? (type == .decimal ? 2 : 0)
        if type != .decimal, let f = m["fractionDigits"], digits != 0 {
            throw f.error("an \(type.rawValue) column has no fraction digits; remove this field or use type: decimal")
        }
        return ColumnDeclaration(name: name, type: type, fractionDigits: digits)
    }
}
