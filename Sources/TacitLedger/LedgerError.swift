/// Every failure TacitLedger reports. Says what was wrong and what to do, names the block
/// height, transaction or member where one is involved, and never carries key material.
public struct LedgerError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Kind: Hashable, Sendable {
            case malformed, badSignature, unknownMember, notAuthorised, replay, invalidTransaction
            case invalidBlock, invalidCertificate, invalidGenesis, storage, jobInvariant, keyFile
            case consensus, closed, timeout, invalidName, pinMismatch
        }
        let kind: Kind
        /// Bytes that do not decode as what they claim to be (truncated, trailing, bad tag).
        public static let malformed = Code(kind: .malformed)
        /// A signature does not verify under the key it claims.
        public static let badSignature = Code(kind: .badSignature)
        /// The named author or signer is not a member at that height.
        public static let unknownMember = Code(kind: .unknownMember)
        /// A member acted outside its roles or the policy.
        public static let notAuthorised = Code(kind: .notAuthorised)
        /// A transaction (or its author's nonce) is already on the chain or pending.
        public static let replay = Code(kind: .replay)
        /// A transaction is well formed and signed but not valid in the current state.
        public static let invalidTransaction = Code(kind: .invalidTransaction)
        /// A block breaks the chain: hash link, Merkle root, height, proposer, quorum.
        public static let invalidBlock = Code(kind: .invalidBlock)
        /// An X.509 certificate is malformed, not issued by the consortium CA, or expired.
        public static let invalidCertificate = Code(kind: .invalidCertificate)
        /// The genesis block is malformed or not signed by every founding member.
        public static let invalidGenesis = Code(kind: .invalidGenesis)
        /// SQLite refused an operation or the database content is not what the ledger wrote.
        public static let storage = Code(kind: .storage)
        /// A job's transactions are out of order (e.g. input committed before approval).
        public static let jobInvariant = Code(kind: .jobInvariant)
        /// A key or certificate file cannot be read or written.
        public static let keyFile = Code(kind: .keyFile)
        /// The consensus engine refused to act (e.g. it would sign two votes for one step).
        public static let consensus = Code(kind: .consensus)
        /// The node is shutting down.
        public static let closed = Code(kind: .closed)
        /// Waited too long (for a commit, a peer).
        public static let timeout = Code(kind: .timeout)
        /// A job id (or other name a node may use as a key) breaks the shared name rules
        /// (`TacitBytes.IdentifierRules`): letters, digits, '-', '_', '.', at most 64, not
        /// starting with '.' or '-'.
        public static let invalidName = Code(kind: .invalidName)
        /// The replica is not what the auditor pinned from outside it: another chain id or CA,
        /// fewer blocks than an expected height, another block at the expected head.
        public static let pinMismatch = Code(kind: .pinMismatch)
        public var description: String { "\(kind)" }
    }

    public let code: Code
    /// What was wrong and what to do; never contains secrets.
    public let reason: String
    /// The block height concerned, when there is one.
    public let height: UInt64?
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, height: UInt64? = nil, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.height = height
        self.file = file
        self.line = line
    }

    /// The same error, located at `height` (kept if already set).
    func at(height h: UInt64) -> LedgerError {
        LedgerError(code, reason, height: height ?? h, file: file, line: line)
    }

    public var description: String {
        let where_ = height.map { "block \($0): " } ?? ""
        return "LedgerError.\(code): \(where_)\(reason)"
    }

    public static func == (lhs: LedgerError, rhs: LedgerError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason && lhs.height == rhs.height
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(reason)
        hasher.combine(height)
    }
}
