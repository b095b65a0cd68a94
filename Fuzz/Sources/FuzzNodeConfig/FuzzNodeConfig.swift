// Node configuration files (TacitNode/NodeConfig.swift): YAML an operator writes, often from a
// template someone else sent.
import FuzzSupport
import TacitNode

let good = """
    name: hospital-a
    genesis: ../genesis.bin
    ca: ../ca.crt
    keys:
      transport: keys/a.key
      signing: keys/a.signing
      paillierShare: keys/paillier-share.json
    bind: tcp://0.0.0.0:7101
    dataDirectory: data
    datasets:
      - name: claims
        file: claims.csv
        columns:
          - {name: amount, type: decimal, fractionDigits: 2}
          - {name: age, type: integer}
          - year
    protocolTimeoutSeconds: 60
    logLevel: info
    allowInsecureKeySizes: false
    """

let minimal = """
    name: lab
    genesis: /srv/genesis.bin
    keys: {transport: t.key, signing: s.key}
    dataDirectory: /srv/lab
    """

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        for t in [good, minimal] { _ = try NodeConfig.parse(t, baseDirectory: "/srv/tacit/a") }
        return [("full.yaml", FuzzSeeds.text(good)), ("minimal.yaml", FuzzSeeds.text(minimal))]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let config = try? NodeConfig.parse(text, baseDirectory: "/srv/tacit/a") else { return 0 }
    _ = config.ledgerDatabasePath
    _ = config.controlSocketPath
    return 0
}
