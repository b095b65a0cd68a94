import TacitNet

/// Ports for a consortium on one machine (`tacit init`): TacitNet's finder, as a node error.
public enum FreePorts {
    public static func loopback(_ n: Int) throws -> [Int] {
        do { return try LoopbackPorts.free(n) } catch let e as NetError {
            throw NodeError(.setup, "cannot find \(n) free ports on 127.0.0.1: \(e.reason)")
        }
    }
}
