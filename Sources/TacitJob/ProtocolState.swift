import TacitBytes

/// Where a node keeps what its protocols carry from one job to the next (a prepared
/// blacklist, a cache of a peer's tags): local files, never sent, never on the ledger. A
/// protocol names its entries; the store decides where they live, so a name (which may come
/// from a spec) never becomes a path.
public protocol ProtocolStateStore: Sendable {
    /// The entry `name` of protocol `owner`, or nil if there is none.
    func load(owner: String, name: String) throws -> [UInt8]?
    /// Replaces the entry as a whole: a crash leaves the old contents or the new, never a mix.
    func save(owner: String, name: String, _ bytes: [UInt8]) throws
}

/// One protocol's entries in the node's ``ProtocolStateStore`` (declared with
/// ``JobNeeds/protocolState``). Entries may hold secrets (a prepared set's key): the node's
/// store keeps them as secret files.
public struct ProtocolState: Sendable {
    let store: any ProtocolStateStore
    let owner: String
    public init(store: any ProtocolStateStore, owner: String) {
        self.store = store
        self.owner = owner
    }
    public func load(_ name: String) throws -> [UInt8]? { try store.load(owner: owner, name: name) }
    public func save(_ name: String, _ bytes: [UInt8]) throws { try store.save(owner: owner, name: name, bytes) }
}

/// A store in memory, for the in-process harness, `tacit simulate` and tests: kept as long as
/// the value is.
public final class InMemoryProtocolStateStore: ProtocolStateStore {
    private let entries = Locked<[String: [UInt8]]>([:])
    public init() {}
    public func load(owner: String, name: String) throws -> [UInt8]? { entries.withLock { $0["\(owner)\u{0}\(name)"] } }
    public func save(owner: String, name: String, _ bytes: [UInt8]) throws { entries.withLock { $0["\(owner)\u{0}\(name)"] = bytes } }
    /// Every entry of `owner`, by name (for tests that look inside).
    public func entries(of owner: String) -> [String: [UInt8]] {
        var out: [String: [UInt8]] = [:]
        for (k, v) in entries.withLock({ $0 }) where k.hasPrefix(owner + "\u{0}") { out[String(k.dropFirst(owner.count + 1))] = v }
        return out
    }
}
