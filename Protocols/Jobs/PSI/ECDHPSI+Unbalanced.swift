public import TacitMPC
public import TacitCrypto
import TacitJob
import TacitMath
import TacitBytes

/// Unbalanced mode: a small batch of applicants against a large, rarely changing blacklist.
///
/// The blacklist side prepares once (``PreparedSet``): a long-lived secret key b and the tag
/// T(y) of every entry, under a context that is the prepared set's own random id rather than
/// a job id (the tags must outlive any one job). ``add(_:)`` and ``remove(_:)`` cost one
/// hash and one exponentiation per changed entry, and bump ``PreparedSet/version``.
///
/// A query (``query(_:mode:link:cache:settings:progress:)`` against
/// ``serve(_:mode:link:settings:progress:)``) sends the tags only if the receiver has no
/// ``ReceiverCache`` of the current version; otherwise it is just the receiver's batch:
/// a fresh blinding a per query (so the sender cannot link a repeated applicant across
/// queries), one evaluation by b, the unblinding, and lookups in the cached tags.
///
/// With blinders precomputed offline (``ReceiverCache/precomputeBlinders(_:)``: r·G and r·B for
/// the set's public key B = b·G, two exponentiations each), an intersection query blinds
/// additively instead: it sends H(x) + r·G, which is uniformly random whatever x is, gets
/// b·H(x) + r·B back and subtracts r·B. Its online work per applicant is then a hash to the
/// group, an addition and a subtraction (no exponentiation); the sender's stays one
/// exponentiation. Each blinder is used once. The sender cannot tell which blinding was used.
///
/// What each side learns, beyond the balanced run's: the receiver keeps the blacklist's tags,
/// so it knows the blacklist's size, and by comparing the tags of successive versions, how
/// many entries were added and removed and when; it can name an added or removed entry
/// whenever it has queried that identifier before (it holds that identifier's tag), and it
/// can test a new identifier only by running a query, since a tag needs the sender's key. A
/// version change downloads the whole set again (no deltas yet). The sender learns the size
/// of each query and whether the receiver's cache is current. A query's elements are hidden from the sender as
/// in the balanced run; a compromise of b lets whoever holds the receiver's cache test
/// candidate elements offline, so b is a long-term secret.
extension ECDHPSI {
    /// A blacklist prepared for many queries: its secret key, its id, its version and the tag of
    /// each entry.
    ///
    /// - Important: this holds a secret key. ``serialized()`` includes it: write those bytes
    ///   only with TacitNode's secret-file rules (`SecretFile.create`, mode 0600, refused if
    ///   readable by others) and never log them.
    public struct PreparedSet: Sendable {
        /// Random, fixed for the life of the set: the hash context of every tag in it.
        public let id: [UInt8]
        /// Incremented by every change; a receiver's cache is current when its version is this.
        public private(set) var version: UInt64
        let key: Ristretto255.Scalar
        /// b·G: lets a receiver precompute blinders (``ReceiverCache/precomputeBlinders(_:)``).
        public let publicKey: Ristretto255.Point
        private(set) var tags: Set<Tag>

        public var count: Int { tags.count }

        /// Prepares `set` with a fresh key and id; hashing and exponentiation on both cores.
        public init(_ set: PSISet) throws {
            guard set.count <= maxElements else {
                throw JobError(.invalidInput, "a prepared set holds at most \(maxElements) elements, not \(set.count)")
            }
            id = SecureRandom.bytes(16)
            key = Ristretto255.Scalar.random()
            publicKey = try Ristretto255.Point.generator.multiplied(by: key)
            version = 1
            tags = []
            tags = Set(try tagsOf(set))
        }

        private init(id: [UInt8], version: UInt64, key: Ristretto255.Scalar, tags: Set<Tag>) throws {
            self.id = id
            self.version = version
            self.key = key
            self.publicKey = try Ristretto255.Point.generator.multiplied(by: key)
            self.tags = tags
        }

        func tagsOf(_ elements: some ByteStrings) throws -> [Tag] {
            var out: [Tag] = []
            out.reserveCapacity(elements.count)
            let prefix = Context(kind: .preparedSet, bytes: id).prefix
            var start = 0
            // In slices, so that a 10M-entry set never holds all its points at once.
            while start < elements.count {
                let end = min(elements.count, start + (1 << 16))
                let d = try Ristretto255.hashToGroup(
                    Window(base: elements, range: start..<end), prefix: prefix, dst: dst, multipliedBy: key,
                    output: .digests(prefix: tagDomain, bytes: tagBytes))
                out += ECDHPSI.tags(d)
                start = end
            }
            return out
        }

        /// Adds entries (those already present change nothing). Returns how many were new.
        @discardableResult
        public mutating func add(_ elements: [[UInt8]]) throws -> Int {
            let fresh = Set(try tagsOf(elements)).subtracting(tags)
            guard tags.count + fresh.count <= maxElements else {
                throw JobError(.invalidInput, "a prepared set holds at most \(maxElements) elements")
            }
            tags.formUnion(fresh)
            let added = fresh.count
            if added > 0 { version += 1 }
            return added
        }

        /// Removes entries (those absent change nothing). Returns how many were removed.
        @discardableResult
        public mutating func remove(_ elements: [[UInt8]]) throws -> Int {
            let gone = try tagsOf(elements)
            let before = tags.count
            tags.subtract(gone)
            let removed = before - tags.count
            if removed > 0 { version += 1 }
            return removed
        }

        /// Adds and removes tags already computed under this set's key (``StoredBlacklist``
        /// keeps each entry's tag); one version step for the whole change.
        mutating func apply(adding added: [Tag], removing removed: [Tag]) throws {
            let before = tags
            tags.subtract(removed)
            tags.formUnion(added)
            guard tags.count <= maxElements else {
                tags = before
                throw JobError(.invalidInput, "a prepared set holds at most \(maxElements) elements")
            }
            if tags != before { version += 1 }
        }

        static let magic = Array("TACITPSIPREP".utf8)
        static let formatVersion: UInt8 = 1
        static let headerBytes = 12 + 1 + 32 + 16 + 8 + 8

        /// magic ‖ format ‖ key (32, secret) ‖ id (16) ‖ version (u64) ‖ count (u64) ‖ tags
        /// (16 each, ascending). Holds the secret key: see the type's note.
        public func serialized() -> [UInt8] {
            var out = Self.magic + [Self.formatVersion] + key.serialized() + id + be(version, 8) + be(UInt64(count), 8)
            out.reserveCapacity(Self.headerBytes + count * tagBytes)
            var body = [UInt8](repeating: 0, count: count * tagBytes)
            body.withUnsafeMutableBytes { raw in
                for (i, t) in tags.sorted().enumerated() { t.write(to: raw, at: i * tagBytes) }
            }
            return out + body
        }

        /// Reads what ``serialized()`` wrote, checking every field (lengths before any
        /// allocation, the key canonical, the tags strictly ascending).
        public init(serialized bytes: [UInt8]) throws {
            func bad(_ why: String) -> JobError {
                JobError(.invalidInput, "not a prepared PSI set (\(why)): prepare the blacklist again")
            }
            guard bytes.count >= Self.headerBytes, Array(bytes[0..<12]) == Self.magic else { throw bad("bad header") }
            guard bytes[12] == Self.formatVersion else { throw bad("format \(bytes[12])") }
            let key: Ristretto255.Scalar
            do {
                key = try Ristretto255.Scalar(canonical: bytes[13..<45])
            } catch {
                throw bad("the key is not a canonical non-zero scalar")
            }
            let tags = try ECDHPSI.sortedTags(bytes, countAt: 69, from: Self.headerBytes, bad)
            try self.init(id: Array(bytes[45..<61]), version: readBE(bytes, 61, 8), key: key, tags: tags)
        }
    }

    /// What a receiver keeps of a prepared set it queried: the set's id, its version and its
    /// tags (16 bytes an entry). Reveals the blacklist's size; not secret in the way the
    /// sender's key is, but it should stay with the receiver.
    ///
    /// It can also hold precomputed single-use blinders for the set's public key, which make a
    /// later intersection query's online work an addition and a subtraction per element instead
    /// of two exponentiations. They are shared by every copy of the cache (taken blinders are
    /// gone for all copies, so reusing an old copy never reuses one) and are not serialised.
    public struct ReceiverCache: Sendable {
        public let setID: [UInt8]
        public let version: UInt64
        public let publicKey: Ristretto255.Point
        let tags: Set<Tag>
        let pool: BlinderPool
        public var count: Int { tags.count }

        init(setID: [UInt8], version: UInt64, tags: Set<Tag>, publicKey: Ristretto255.Point, pool: BlinderPool) {
            self.setID = setID
            self.version = version
            self.tags = tags
            self.publicKey = publicKey
            self.pool = pool
        }

        /// Precomputes `count` more blinders (two exponentiations each, on both cores): work to
        /// do before the applicants arrive.
        public func precomputeBlinders(_ count: Int) {
            guard count > 0 else { return }
            let b = Ristretto255.blinders(count: min(count, maxElements), publicKey: publicKey)
            pool.add(b)
        }

        /// Blinders ready for use: a query of up to this many elements runs with them.
        public var blindersAvailable: Int { pool.available }

        static let magic = Array("TACITPSICACH".utf8)
        static let headerBytes = 12 + 1 + 16 + 8 + 32 + 8

        /// magic ‖ format ‖ set id (16) ‖ version (u64) ‖ count (u64) ‖ tags (16 each,
        /// ascending), for a receiver that keeps its cache between runs.
        public func serialized() -> [UInt8] {
            var body = [UInt8](repeating: 0, count: count * tagBytes)
            body.withUnsafeMutableBytes { raw in
                for (i, t) in tags.sorted().enumerated() { t.write(to: raw, at: i * tagBytes) }
            }
            return Self.magic + [PreparedSet.formatVersion] + setID + be(version, 8) + publicKey.encoded + be(UInt64(count), 8)
                + body
        }

        /// Reads what ``serialized()`` wrote, checking lengths before any allocation and the
        /// tags strictly ascending.
        public init(serialized bytes: [UInt8]) throws {
            func bad(_ why: String) -> JobError {
                JobError(.invalidInput, "not a PSI receiver cache (\(why)): query without a cache to rebuild it")
            }
            guard bytes.count >= Self.headerBytes, Array(bytes[0..<12]) == Self.magic else { throw bad("bad header") }
            guard bytes[12] == PreparedSet.formatVersion else { throw bad("format \(bytes[12])") }
            let publicKey: Ristretto255.Point
            do {
                publicKey = try Ristretto255.Point(validating: bytes[37..<69])
            } catch {
                throw bad("the public key is not a valid point")
            }
            let tags = try ECDHPSI.sortedTags(bytes, countAt: 69, from: Self.headerBytes, bad)
            self.init(
                setID: Array(bytes[13..<29]), version: readBE(bytes, 29, 8), tags: tags, publicKey: publicKey,
                pool: BlinderPool())
        }
    }

    /// Precomputed blinders (r·G, r·B), packed, taken from the front, each once.
    final class BlinderPool: Sendable {
        private let state = Locked<(addends: [UInt8], offsets: [UInt8])>(([], []))

        var available: Int { state.withLock { $0.addends.count / Ristretto255.pointBytes } }

        func add(_ b: (addends: [UInt8], offsets: [UInt8])) {
            state.withLock {
                $0.addends += b.addends
                $0.offsets += b.offsets
            }
        }

        /// The first `n` blinders, removed; nil (and nothing removed) when fewer are ready.
        func take(_ n: Int) -> (addends: [UInt8], offsets: [UInt8])? {
            state.withLock { s in
                let bytes = n * Ristretto255.pointBytes
                guard n > 0, s.addends.count >= bytes else { return nil }
                let out = (Array(s.addends[..<bytes]), Array(s.offsets[..<bytes]))
                s.addends.removeFirst(bytes)
                s.offsets.removeFirst(bytes)
                return out
            }
        }
    }

    /// A query's outcome and the cache to use next time.
    public struct QueryResult: Sendable {
        public let outcome: PSIOutcome
        public let cache: ReceiverCache
        /// Whether this query downloaded the set's tags (no cache, or an outdated one).
        public let downloaded: Bool
        /// Whether it blinded with precomputed blinders.
        public let usedPrecomputedBlinders: Bool
    }

    /// The tags of a stored set or cache: a u64 count at `countAt`, then that many tags from
    /// `from` to the end, strictly ascending; the length is checked before anything is
    /// allocated from the count.
    static func sortedTags(_ bytes: [UInt8], countAt: Int, from start: Int, _ bad: (String) -> JobError) throws -> Set<Tag> {
        let count = readBE(bytes, countAt, 8)
        guard count <= UInt64(maxElements), bytes.count == start + Int(count) * tagBytes else {
            throw bad("\(bytes.count) bytes for \(count) tags")
        }
        var tags = Set<Tag>()
        tags.reserveCapacity(Int(count))
        var previous: Tag?
        try bytes.withUnsafeBytes { raw in
            for i in 0..<Int(count) {
                let t = Tag(raw, at: start + i * tagBytes)
                if let previous, !(previous < t) { throw bad("tags out of order") }
                previous = t
                tags.insert(t)
            }
        }
        return tags
    }

    /// The blacklist side of a query: answers one receiver's batch with `prepared`'s key,
    /// sending its tags first unless the receiver's cache is current.
    public static func serve(
        _ prepared: PreparedSet, mode: PSIOutputMode, link: PairLink, settings: Settings = Settings(),
        progress: PSIProgress? = nil
    ) async throws -> PSIOutcome {
        try await send(.prepared(prepared), mode: mode, link: link, settings: settings, balanced: nil, progress: progress)
    }

    /// The applicant side of a query against a peer's prepared set; pass the cache the last
    /// query returned (nil the first time).
    public static func query(
        _ set: PSISet, mode: PSIOutputMode, link: PairLink, cache: ReceiverCache?, settings: Settings = Settings(),
        progress: PSIProgress? = nil
    ) async throws -> QueryResult {
        let r = try await receive(
            set, mode: mode, link: link, settings: settings, balanced: nil, cache: cache, progress: progress)
        guard let newCache = r.cache else {
            throw JobError(.protocolFailure, "a prepared-set query gave no cache")
        }
        let downloaded = !(cache.map { $0.setID == newCache.setID && $0.version == newCache.version } ?? false)
        return QueryResult(outcome: r.outcome, cache: newCache, downloaded: downloaded, usedPrecomputedBlinders: r.precomputed)
    }
}
