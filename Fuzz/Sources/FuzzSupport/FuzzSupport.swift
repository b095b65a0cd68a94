import Foundation

/// What every fuzz target shares: writing its seed corpus from the real encoders, and
/// reading several values out of one fuzz input.
public enum FuzzSeeds {
    /// Called from `LLVMFuzzerInitialize`. With `TACIT_FUZZ_SEEDS=DIR` in the environment the
    /// target writes its seeds into DIR and exits instead of fuzzing, so the committed corpus
    /// comes from the encoders the node uses (`make fuzz-seeds`), not from hand-made bytes.
    public static func writeIfAsked(_ make: () throws -> [(String, [UInt8])]) {
        guard let dir = ProcessInfo.processInfo.environment["TACIT_FUZZ_SEEDS"], !dir.isEmpty else { return }
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let seeds = try make()
            for (name, bytes) in seeds {
                let path = (dir as NSString).appendingPathComponent(name)
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
                    throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: path])
                }
            }
            print("wrote \(seeds.count) seeds to \(dir)")
            exit(0)
        } catch {
            print("writing seeds failed: \(error)")
            exit(1)
        }
    }

    public static func text(_ s: String) -> [UInt8] { Array(s.utf8) }
}

/// One fuzz input read front to back: a selector byte, then the rest. Reads past the end give
/// zeros, so every input means something.
public struct FuzzInput {
    public let bytes: [UInt8]
    public private(set) var position = 0

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    public mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// Everything not read yet.
    public var rest: [UInt8] { Array(bytes[min(position, bytes.count)...]) }

    /// A field of at most 65535 bytes, length-prefixed by two bytes (big-endian).
    public mutating func field() -> [UInt8] {
        let n = Int(byte()) << 8 | Int(byte())
        let end = min(bytes.count, position + n)
        defer { position = end }
        return Array(bytes[min(position, end)..<end])
    }

    /// `[selector] ++ field…` as the seeds write it.
    public static func fields(_ selector: UInt8, _ fields: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [selector]
        for f in fields {
            precondition(f.count <= 0xffff, "a seed field is longer than 65535 bytes")
            out += [UInt8(f.count >> 8), UInt8(f.count & 0xff)] + f
        }
        return out
    }
}

/// A fresh directory for one fuzz process's set-up files (a test consortium's keys); the target
/// removes it once it has read them (`removeTemporaryDirectory`).
public func fuzzTemporaryDirectory(_ name: String) -> String {
    let dir = (NSTemporaryDirectory() as NSString).appendingPathComponent("tacit-fuzz-\(name)-\(getpid())")
    try? FileManager.default.removeItem(atPath: dir)
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return dir
}

public func removeTemporaryDirectory(_ dir: String) { try? FileManager.default.removeItem(atPath: dir) }
