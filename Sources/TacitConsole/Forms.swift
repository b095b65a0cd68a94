import Foundation

/// An `application/x-www-form-urlencoded` body (or query), in order, repeated names kept.
struct FormFields: Sendable {
    private(set) var pairs: [(String, String)] = []

    init(_ text: String) {
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            pairs.append((Self.decode(kv[0]), kv.count > 1 ? Self.decode(kv[1]) : ""))
        }
    }

    subscript(_ name: String) -> String? { pairs.first { $0.0 == name }?.1 }
    func all(_ name: String) -> [String] { pairs.filter { $0.0 == name }.map(\.1) }

    static func decode(_ s: Substring) -> String {
        let plus = s.replacingOccurrences(of: "+", with: " ")
        return plus.removingPercentEncoding ?? plus
    }
}

/// Escapes text for HTML element content and double-quoted attributes: everything shown
/// comes from the ledger or a peer and goes through here.
func esc(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.utf8.count)
    for c in s.unicodeScalars {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default:
            // Control characters (a bidi override in a job id, say) are shown as code points.
            if c.value < 0x20 && c != "\n" && c != "\t" || (0x202A...0x202E).contains(c.value) || (0x2066...0x2069).contains(c.value) {
                out += "\\u{\(String(c.value, radix: 16))}"
            } else {
                out.unicodeScalars.append(c)
            }
        }
    }
    return out
}

/// What may stand in a URL path segment for a job id or member name: anything else is
/// refused before it reaches the node (it is never a file path here, but it is shown).
func isSafeIdentifier(_ s: String) -> Bool {
    !s.isEmpty && s.utf8.count <= 128 && s.utf8.allSatisfy { c in
        (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 46 || c == 95
    }
}

/// For links: percent-encodes everything but unreserved characters.
func urlComponent(_ s: String) -> String {
    s.addingPercentEncoding(withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")) ?? ""
}

extension Date {
    /// UTC, to the second: the ledger's times are the proposers' clocks, shown as they are.
    var consoleText: String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyy-MM-dd HH:mm:ss 'UTC'"
        return f.string(from: self)
    }
}
