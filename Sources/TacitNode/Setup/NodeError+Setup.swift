extension NodeError.Code {
    /// Consortium set-up refused: a key, certificate, member record or genesis is missing,
    /// malformed, or would overwrite something that exists.
    public static let setup = Self(name: "setup")
}

extension NodeError {
    /// A lower layer's error as a set-up error, keeping its text (which says what was wrong
    /// and what to do).
    static func setup(_ error: any Error & CustomStringConvertible) -> NodeError {
        NodeError(.setup, error.description)
    }
}
