/// Every failure TacitNode reports: a code that can grow, what was wrong and what to do, and,
/// for configuration and job-spec errors, the file and line it points at.
public struct NodeError: Error, Hashable, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A node configuration file is missing, malformed or inconsistent.
        public static let invalidConfig = Code(name: "invalidConfig")
        /// A job spec is malformed or names something that does not exist.
        public static let invalidSpec = Code(name: "invalidSpec")
        /// A dataset cannot be read, or a value in it does not parse.
        public static let dataset = Code(name: "dataset")
        /// Data was asked for that its owner did not approve: refused.
        public static let notApproved = Code(name: "notApproved")
        /// A job or ledger entry does not exist.
        public static let notFound = Code(name: "notFound")
        /// An operation does not fit the job's current state.
        public static let invalidState = Code(name: "invalidState")
        /// A ledger entry failed its signature, chain or invariant check.
        public static let ledger = Code(name: "ledger")
        /// A protocol run failed (a peer misbehaved, timed out or disagreed).
        public static let protocolFailure = Code(name: "protocolFailure")
        /// A control request was malformed or the control socket failed.
        public static let control = Code(name: "control")
        /// A commitment does not match the data and salt given.
        public static let audit = Code(name: "audit")
        /// A key or key-share file is missing or wrong.
        public static let keys = Code(name: "keys")

        public var description: String { name }
    }

    public let code: Code
    /// What was wrong and what to do. Never contains data values or key material.
    public let message: String
    /// The file the error points into, if any.
    public let file: String?
    /// 1-based line (and column) in `file`, if known.
    public let line: Int?
    public let column: Int?

    public init(_ code: Code, _ message: String, file: String? = nil, line: Int? = nil, column: Int? = nil) {
        self.code = code
        self.message = message
        self.file = file
        self.line = line
        self.column = column
    }

    /// `FILE:LINE:COL: message`, the shape editors and compilers use, so a terminal click
    /// opens the offending line.
    public var description: String {
        var where_ = ""
        if let file { where_ += file }
        if let line {
            where_ += (where_.isEmpty ? "line " : ":") + "\(line)"
            if let column { where_ += ":\(column)" }
        }
        return where_.isEmpty ? message : "\(where_): \(message)"
    }

    func inFile(_ path: String) -> NodeError {
        NodeError(code, message, file: file ?? path, line: line, column: column)
    }
}
