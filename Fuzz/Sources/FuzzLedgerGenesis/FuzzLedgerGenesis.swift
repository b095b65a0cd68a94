// The genesis block (TacitLedger/Block.swift): read from a file a node is given and from
// `tacit ledger verify`'s input; decoded, verified (CA, certificates, founders' signatures)
// and turned into the initial ledger state.
import FuzzLedgerSupport
import FuzzSupport
@testable import TacitLedger

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    TestConsortium.createIfAsked()
    FuzzSeeds.writeIfAsked {
        let g = TestConsortium.genesis
        let unsigned = Genesis(chainName: g.chainName, timestamp: g.timestamp, caCertificateDER: g.caCertificateDER, members: g.members, policies: g.policies)
        return [("genesis", g.encoded), ("genesis-unsigned", unsigned.encoded), ("genesis-one-signature", unsigned.signed(by: TestConsortium.identities["b"]!).encoded)]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let genesis = try? Genesis(decoding: bytes) else { return 0 }
    precondition(genesis.encoded == bytes, "Genesis: decoded bytes do not re-encode identically")
    _ = genesis.hash
    guard (try? genesis.verify()) != nil else { return 0 }
    _ = try? LedgerState(genesis: genesis)
    return 0
}
