public import Foundation
import TacitLedger

/// `tacit node config`: a member's starting node.yaml, with the required fields filled from
/// its own files and the optional ones present but commented out, so nothing is guessed.
public enum NodeConfigTemplate {
    /// `encryptionKey`: the member's NAME.enc.key is in `keysDirectory` (then the node can read
    /// job outputs sealed to it).
    public static func render(name: String, genesis: String, ca: String?, keysDirectory: String, paillierShare: String?,
                              bind: String?, dataDirectory: String, encryptionKey: Bool = false) -> String {
        let caLine = ca.map { "ca: \($0)                # the consortium CA you trust; the node refuses a genesis under another" }
            ?? "# ca: ca.crt                 # recommended: the node then refuses a genesis under another CA"
        let shareLine = paillierShare.map { "  paillierShare: \($0)    # mode 0600" }
            ?? "  # paillierShare: \(keysDirectory)/paillier-share.json   # only if this member holds a Paillier key share"
        let bindLine = bind.map { "bind: \($0)" } ?? "# bind: tcp://0.0.0.0:PORT     # if the genesis endpoint is not this host's own address (NAT)"
        var out: [String] = [
            "# Tacit node configuration for \(name). Paths are relative to this file.",
            "# Required: name, genesis, keys.transport, keys.signing, dataDirectory. The rest is optional.",
            "name: \(name)",
            "genesis: \(genesis)",
            caLine,
            "keys:",
            "  transport: \(keysDirectory)/\(name).key          # mode 0600",
            "  signing: \(keysDirectory)/\(name).signing.key    # mode 0600",
            encryptionKey
                ? "  encryption: \(keysDirectory)/\(name).enc.key    # mode 0600; reads job outputs sealed to this member"
                : "  # encryption: \(keysDirectory)/\(name).enc.key  # to read job outputs sealed to this member",
            shareLine,
            bindLine,
            "dataDirectory: \(dataDirectory)",
        ]
        out += [
            "# datasets:                     # what this member may contribute; only these columns can ever be read",
            "#   - name: claims",
            "#     file: claims.csv          # relative to dataDirectory",
            "#     columns:",
            "#       - {name: amount, type: decimal, fractionDigits: 2}",
            "# protocolTimeoutSeconds: 60",
            "# logLevel: info",
        ]
        out.append("")
        return out.joined(separator: "\n")
    }

    /// Writes the template after checking it against what the node will check at start: the
    /// name is a founder of the genesis and the key files exist. Never replaces a file.
    public static func write(to path: String, name: String, genesis: String, ca: String?, keysDirectory: String,
                             paillierShare: String?, bind: String?, dataDirectory: String) throws {
        let base = ((path as NSString).deletingLastPathComponent as NSString)
        func resolved(_ p: String) -> String { p.hasPrefix("/") ? p : base.appendingPathComponent(p) }
        let inspection = try GenesisReport.inspect(file: resolved(genesis))
        guard inspection.members.contains(where: { $0.name == name }) else {
            throw NodeError(.setup, "\(name) is not a member of \(genesis) (members: \(inspection.members.map(\.name).joined(separator: ", ")))")
        }
        for f in ["\(keysDirectory)/\(name).key", "\(keysDirectory)/\(name).signing.key"] + (paillierShare.map { [$0] } ?? [])
        where !FileManager.default.fileExists(atPath: resolved(f)) {
            throw NodeError(.setup, "\(resolved(f)) does not exist; generate the member's keys first (tacit keys generate, tacit ledger keys)")
        }
        let text = render(name: name, genesis: genesis, ca: ca, keysDirectory: keysDirectory, paillierShare: paillierShare,
                          bind: bind, dataDirectory: dataDirectory,
                          encryptionKey: FileManager.default.fileExists(atPath: resolved("\(keysDirectory)/\(name).enc.key")))
        _ = try NodeConfig.parse(text, baseDirectory: base as String)
        guard !FileManager.default.fileExists(atPath: path) else { throw NodeError(.setup, "\(path) exists; refusing to replace it") }
        guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else { throw NodeError(.setup, "cannot write \(path)") }
    }
}
