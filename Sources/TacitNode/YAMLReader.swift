import TacitJob
import Yams

/// A YAML node with the path that led to it, for validation errors that name the field and
/// point at its line: `parties[1].input.columns: expected a list of strings (line 12)`.
///
/// Config files and job specs are read through this rather than `Codable`, because a
/// decoding error from `Codable` says neither the line nor what to do.
struct YAMLValue {
    let node: Node
    /// Dotted path from the document root, e.g. `parties[1].role`.
    let path: String
    let code: NodeError.Code

    var line: Int? { node.mark?.line }
    var column: Int? { node.mark?.column }

    func error(_ message: String) -> NodeError {
        NodeError(code, path.isEmpty ? message : "\(path): \(message)", line: line, column: column)
    }

    /// Parses a whole document; an empty document is an error naming what was expected.
    static func parse(_ text: String, code: NodeError.Code, expected: String) throws -> YAMLValue {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let e as YamlError {
            throw Self.describe(e, code: code)
        }
        guard let node else { throw NodeError(code, "the file is empty; expected \(expected)", line: 1) }
        return YAMLValue(node: node, path: "", code: code)
    }

    private static func describe(_ e: YamlError, code: NodeError.Code) -> NodeError {
        switch e {
        case .scanner(let context, let problem, let mark, _):
            return NodeError(code, "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")",
                             line: mark.line, column: mark.column)
        case .parser(let context, let problem, let mark, _):
            return NodeError(code, "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")",
                             line: mark.line, column: mark.column)
        case .composer(let context, let problem, let mark, _):
            return NodeError(code, "not valid YAML: \(problem)\(context.map { " \($0.text)" } ?? "")",
                             line: mark.line, column: mark.column)
        default:
            return NodeError(code, "not valid YAML: \(e)")
        }
    }

    // MARK: mappings

    /// The mapping's fields by name, after checking there are no duplicate keys, no keys
    /// outside `allowed`, and every key in `required`.
    func mapping(allowed: [String], required: [String] = [], what: String) throws -> YAMLMapping {
        guard case .mapping(let m) = node else {
            throw error("expected \(what) (a mapping with \(allowed.joined(separator: ", "))), found \(kind)")
        }
        var fields: [String: YAMLValue] = [:]
        for (k, v) in m {
            guard let key = k.string, case .scalar = k else {
                throw YAMLValue(node: k, path: path, code: code).error("keys must be plain strings")
            }
            let childPath = path.isEmpty ? key : "\(path).\(key)"
            if fields[key] != nil {
                let first = fields[key]!.line.map { " (first at line \($0))" } ?? ""
                throw YAMLValue(node: k, path: childPath, code: code)
                    .error("duplicate key '\(key)'\(first); keep one")
            }
            guard allowed.contains(key) else {
                let hint = Self.closest(key, in: allowed).map { "; did you mean '\($0)'?" } ?? ""
                throw YAMLValue(node: k, path: childPath, code: code)
                    .error("unknown field '\(key)'\(hint) (allowed here: \(allowed.joined(separator: ", ")))")
            }
            fields[key] = YAMLValue(node: v, path: childPath, code: code)
        }
        for key in required where fields[key] == nil {
            throw error("missing required field '\(key)' in \(what)")
        }
        return YAMLMapping(owner: self, fields: fields)
    }

    var kind: String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .scalar(let s):
            if (s.style == .plain && ["", "~", "null", "Null", "NULL"].contains(s.string)) {
                return "nothing (null)"
            }
            return "'\(s.string)'"
        }
    }

    // MARK: scalars

    func string() throws -> String {
        guard case .scalar(let s) = node, kind != "nothing (null)" else {
            throw error("expected a string, found \(kind)")
        }
        return s.string
    }

    /// A non-empty string made only of letters, digits, `-`, `_` and `.`: names that end up in
    /// file names and on the ledger.
    func name(_ what: String) throws -> String {
        let s = try string()
        if let problem = NameRules.problem(s) { throw error("\(what) '\(s)' \(problem)") }
        return s
    }

    func int(in range: ClosedRange<Int>? = nil) throws -> Int {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any, let v = Int(s.string) else {
            throw error("expected a whole number, found \(kind)")
        }
        if let range, !range.contains(v) {
            throw error("\(v) is out of range; expected \(range.lowerBound)...\(range.upperBound)")
        }
        return v
    }

    func bool() throws -> Bool {
        guard case .scalar(let s) = node, s.style == .plain || s.style == .any else {
            throw error("expected true or false, found \(kind)")
        }
        switch s.string {
        case "true", "True", "TRUE", "yes": return true
        case "false", "False", "FALSE", "no": return false
        default: throw error("expected true or false, found '\(s.string)'")
        }
    }

    // MARK: sequences

    func list(what: String) throws -> [YAMLValue] {
        guard case .sequence(let seq) = node else {
            throw error("expected a list of \(what), found \(kind)")
        }
        return seq.enumerated().map { YAMLValue(node: $0.element, path: "\(path)[\($0.offset + 1)]", code: code) }
    }

    /// A list of strings; a single string is accepted as a list of one.
    func stringList(what: String, allowEmpty: Bool = false) throws -> [String] {
        if node.scalar != nil, kind != "nothing (null)" { return [try string()] }
        let items = try list(what: what)
        if items.isEmpty && !allowEmpty { throw error("the list of \(what) is empty; name at least one") }
        return try items.map { try $0.string() }
    }

    /// Edit distance ≤ 2 suggestion for a misspelt key.
    static func closest(_ word: String, in candidates: [String]) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(a.count, 1) where !a.isEmpty {
                var prev = row[0]
                row[0] = i
                for j in 1...max(b.count, 1) where !b.isEmpty {
                    let cur = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1))
                    prev = cur
                }
            }
            return row[b.count]
        }
        let w = Array(word.lowercased())
        return candidates.map { ($0, distance(w, Array($0.lowercased()))) }
            .filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }
}

struct YAMLMapping {
    let owner: YAMLValue
    let fields: [String: YAMLValue]

    subscript(_ key: String) -> YAMLValue? { fields[key] }

    func required(_ key: String) throws -> YAMLValue {
        guard let v = fields[key] else { throw owner.error("missing required field '\(key)'") }
        return v
    }
}
