/// Every failure TacitNet reports. Wraps a code that can grow without breaking callers, says
/// what was wrong and what to do about it, and records where it was raised.
public struct NetError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        enum Kind: Hashable, Sendable {
            case timeout, cancelled, closed, unknownPeer, messageTooLarge, invalidKey
            case invalidConsortium, invalidIdentity, transport, keyFile
        }
        let kind: Kind

        /// No message (or no room to send one) before the deadline: the peer may be down,
        /// slow, or running a different protocol step.
        public static let timeout = Code(kind: .timeout)
        /// The waiting task was cancelled.
        public static let cancelled = Code(kind: .cancelled)
        /// The mesh was closed while the call was waiting, or before it started.
        public static let closed = Code(kind: .closed)
        /// The party named is not a member of the consortium (or is this party itself).
        public static let unknownPeer = Code(kind: .unknownPeer)
        /// A payload is larger than the configured maximum message size.
        public static let messageTooLarge = Code(kind: .messageTooLarge)
        /// A CURVE key is not valid Z85 or has the wrong length.
        public static let invalidKey = Code(kind: .invalidKey)
        /// The consortium file cannot be read or a member entry is wrong.
        public static let invalidConsortium = Code(kind: .invalidConsortium)
        /// This party's name or keys do not match its consortium entry.
        public static let invalidIdentity = Code(kind: .invalidIdentity)
        /// ZeroMQ refused an operation (bind, connect, socket option).
        public static let transport = Code(kind: .transport)
        /// A key file cannot be written or read, or has unsafe permissions.
        public static let keyFile = Code(kind: .keyFile)

        public var description: String { "\(kind)" }
    }

    public let code: Code
    /// What was wrong and what to do; never contains key material or payload bytes.
    public let reason: String
    public let file: String
    public let line: Int

    public init(_ code: Code, _ reason: String, file: String = #fileID, line: Int = #line) {
        self.code = code
        self.reason = reason
        self.file = file
        self.line = line
    }

    public var description: String { "NetError.\(code): \(reason) (\(file):\(line))" }

    // Two errors are the same failure whatever line raised them.
    public static func == (lhs: NetError, rhs: NetError) -> Bool {
        lhs.code == rhs.code && lhs.reason == rhs.reason
    }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(reason)
    }
}
