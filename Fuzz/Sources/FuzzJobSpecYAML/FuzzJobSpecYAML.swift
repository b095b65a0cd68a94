// Job specs as YAML (TacitNode/JobSpec.swift and YAMLReader.swift): what an operator or a
// script submits; parsed and checked with the rules every spec meets.
import FuzzNodeSupport
import FuzzSupport
import TacitJob
import TacitNode

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        // Every sample must parse, or the seeds would start the fuzzer in the error paths.
        for (name, text) in SampleSpecs.yaml { _ = try JobSpec.parse(text, file: name, context: SampleSpecs.context) }
        return SampleSpecs.yaml.map { ($0.0 + ".yaml", FuzzSeeds.text($0.1)) }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let spec = try? JobSpec.parse(text, file: "job.yaml", context: SampleSpecs.context) else { return 0 }
    // What the node does next with an accepted spec: show it, put it on the ledger.
    _ = spec.summary()
    _ = spec.canonicalJSON()
    return 0
}
