// The test suites' free-port finder: the transport's own (also behind `tacit init`).
import TacitNet

/// `n` distinct TCP ports free on 127.0.0.1 right now.
public func freePorts(_ n: Int) throws -> [Int] { try LoopbackPorts.free(n) }
