import Foundation
import TacitBytes

// Transitional: `Hex` and `SHA256Bytes` live in TacitBytes. These forwarders keep the node's
// existing public names resolving in the files that do not import TacitBytes yet (JobSpec,
// JobManager, SecretSharedStatistic, PaillierAggregation, being rewritten); delete this file
// once they `import TacitBytes`. No logic here: each call is TacitBytes'.

/// SHA-256 for the node: forwards to TacitBytes' `SHA256Bytes`.
public enum SHA256Bytes {
    public static func hash(_ bytes: [UInt8]) -> [UInt8] { TacitBytes.SHA256Bytes.hash(bytes) }
}

/// Hex for the node: forwards to TacitBytes' `Hex`.
public enum Hex {
    public static func encode(_ bytes: [UInt8]) -> String { TacitBytes.Hex.encode(bytes) }

    /// Ignores surrounding whitespace: salts and digests come from files and the command line.
    public static func decode(_ text: String) -> [UInt8]? {
        TacitBytes.Hex.decode(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
