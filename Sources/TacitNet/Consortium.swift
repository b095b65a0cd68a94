import Foundation
import Yams

/// The members of a consortium: who may connect, with which CURVE key, and where each one
/// listens. Every party holds the same file.
///
/// ```yaml
/// members:
///   - name: hospital-a
///     publicKey: "rq:rM>}U?@Lns47E1%kR.o@n%FcmmsL/@{H8]yf7"
///     endpoint: tcp://10.0.0.1:7100
/// ```
/// JSON with the same shape is accepted too (YAML is a superset of it).
public struct Consortium: Sendable, Equatable {
    public struct Member: Sendable, Equatable {
        public let name: PartyID
        public let publicKey: CurvePublicKey
        public let endpoint: String

        public init(name: PartyID, publicKey: CurvePublicKey, endpoint: String) throws {
            if let problem = PartyID.validate(name.name) {
                throw NetError(.invalidConsortium, "member name '\(name)' \(problem)")
            }
            if let problem = Endpoint.validate(endpoint) {
                throw NetError(.invalidConsortium, "member \(name): endpoint '\(endpoint)' \(problem)")
            }
            self.name = name
            self.publicKey = publicKey
            self.endpoint = endpoint
        }
    }

    /// Sorted by name.
    public let members: [Member]
    private let byName: [PartyID: Member]
    private let byKey: [CurvePublicKey: Member]

    public init(members: [Member]) throws {
        guard members.count >= 1 else {
            throw NetError(.invalidConsortium, "a consortium needs at least one member")
        }
        var byName: [PartyID: Member] = [:]
        var byKey: [CurvePublicKey: Member] = [:]
        for m in members {
            if byName[m.name] != nil {
                throw NetError(.invalidConsortium, "member \(m.name) is listed twice; names must be unique")
            }
            if let other = byKey[m.publicKey] {
                throw NetError(
                    .invalidConsortium,
                    "members \(other.name) and \(m.name) have the same public key; each party needs its own key pair")
            }
            byName[m.name] = m
            byKey[m.publicKey] = m
        }
        self.members = members.sorted { $0.name < $1.name }
        self.byName = byName
        self.byKey = byKey
    }

    public var names: [PartyID] { members.map(\.name) }
    public func member(named name: PartyID) -> Member? { byName[name] }
    public func member(withKey key: CurvePublicKey) -> Member? { byKey[key] }

    public static func load(path: String) throws -> Consortium {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw NetError(.invalidConsortium, "cannot read consortium file \(path)")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw NetError(.invalidConsortium, "consortium file \(path) is not UTF-8 text")
        }
        do { return try parse(text) } catch let e as NetError {
            throw NetError(e.code, "\(path): \(e.reason)")
        }
    }

    public static func parse(_ text: String) throws -> Consortium {
        let root: Any?
        do { root = try Yams.load(yaml: text) } catch {
            throw NetError(.invalidConsortium, "not valid YAML or JSON: \(error)")
        }
        guard let dict = root as? [String: Any] else {
            throw NetError(.invalidConsortium, "top level must be a mapping with a 'members' list")
        }
        guard let list = dict["members"] as? [Any] else {
            throw NetError(.invalidConsortium, "missing 'members' list at top level")
        }
        var members: [Member] = []
        for (i, item) in list.enumerated() {
            let label = "member \(i + 1)"
            guard let m = item as? [String: Any] else {
                throw NetError(.invalidConsortium, "\(label) must be a mapping with name, publicKey, endpoint")
            }
            guard let name = m["name"] as? String else {
                throw NetError(.invalidConsortium, "\(label): field 'name' is missing or not a string")
            }
            let who = "\(label) (\(name))"
            for key in m.keys where !["name", "publicKey", "endpoint"].contains(key) {
                throw NetError(
                    .invalidConsortium, "\(who): unknown field '\(key)'; allowed: name, publicKey, endpoint")
            }
            guard let keyText = m["publicKey"] as? String else {
                throw NetError(.invalidConsortium, "\(who): field 'publicKey' is missing or not a string")
            }
            guard let endpoint = m["endpoint"] as? String else {
                throw NetError(.invalidConsortium, "\(who): field 'endpoint' is missing or not a string")
            }
            let key: CurvePublicKey
            do { key = try CurvePublicKey(z85: keyText) } catch let e as NetError {
                throw NetError(.invalidConsortium, "\(who): field 'publicKey': \(e.reason)")
            }
            do {
                members.append(try Member(name: PartyID(name), publicKey: key, endpoint: endpoint))
            } catch let e as NetError {
                throw NetError(.invalidConsortium, "\(who): \(e.reason)")
            }
        }
        return try Consortium(members: members)
    }

    /// YAML that `parse` reads back.
    public func yaml() -> String {
        var out = "members:\n"
        for m in members {
            out += "  - name: \(m.name)\n    publicKey: \"\(m.publicKey.z85)\"\n    endpoint: \(m.endpoint)\n"
        }
        return out
    }
}

public enum Endpoint {
    /// nil when `text` is `tcp://host:port` with a port in 1...65535, or 0 (the system picks
    /// a free one) when `bindable` says the endpoint is only bound here, never dialled.
    public static func validate(_ text: String, bindable: Bool = false) -> String? {
        guard text.hasPrefix("tcp://") else { return "must start with tcp://" }
        let rest = text.dropFirst("tcp://".count)
        guard let colon = rest.lastIndex(of: ":") else { return "must be tcp://host:port" }
        let host = rest[..<colon]
        let port = rest[rest.index(after: colon)...]
        if host.isEmpty { return "has an empty host" }
        if host.contains(where: { $0 == " " || $0 == "/" }) { return "has an invalid host" }
        guard let p = Int(port), (bindable ? 0 : 1)...65535 ~= p else {
            return bindable ? "must end in a port 0-65535 (0: any free port)" : "must end in a port 1-65535"
        }
        return nil
    }
}
