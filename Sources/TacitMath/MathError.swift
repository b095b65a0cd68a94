/// An error from TacitMath: what was wrong with the input, and what to do about it.
///
/// Messages never quote the offending value itself, which may be secret; they say where it
/// went wrong and why.
public struct MathError: Error, Hashable, CustomStringConvertible, Sendable {
    public enum Code: Hashable, Sendable {
        /// A number string was empty or had a character that is not a digit of its radix.
        case invalidNumber
        /// A radix outside 2...36 (62 for GMP's extended alphabet is not accepted).
        case invalidRadix
        /// A value does not fit the requested fixed width or range.
        case overflow
        /// A value was negative where only non-negative values make sense.
        case negativeValue
        /// A decimal amount had more fractional digits than its fixed-point format keeps.
        case precisionLoss
    }

    public let code: Code
    public let message: String
    public let fileID: String
    public let line: Int

    @usableFromInline
    init(_ code: Code, _ message: String, fileID: String = #fileID, line: Int = #line) {
        self.code = code
        self.message = message
        self.fileID = fileID
        self.line = line
    }

    public var description: String { message }

    // Where an error was raised is diagnostic detail, not part of its identity.
    public static func == (lhs: MathError, rhs: MathError) -> Bool {
        lhs.code == rhs.code && lhs.message == rhs.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
