import Foundation
import TacitBytes

/// A progress bar on the terminal's standard error, redrawn in place; nothing when standard
/// error is not a terminal (scripts and logs get the plain lines only).
public final class ProgressLine: Sendable {
    public init() {}
    private let tty = isatty(STDERR_FILENO) != 0
    private let last = Locked("")

    public func show(_ step: String, _ fraction: Double) {
        guard tty else { return }
        let width = 30
        let f = max(0, min(1, fraction))
        let filled = Int(f * Double(width))
        let line = "[\(String(repeating: "#", count: filled))\(String(repeating: " ", count: width - filled))] \(Int(f * 100))% \(step)"
        let changed = last.withLock { old -> Bool in
            if old == line { return false }
            old = line
            return true
        }
        if changed { FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8)) }
    }

    public func clear() {
        guard tty else { return }
        let had = last.withLock { old -> Bool in
            defer { old = "" }
            return !old.isEmpty
        }
        if had { FileHandle.standardError.write(Data("\r\u{1B}[2K".utf8)) }
    }
}
