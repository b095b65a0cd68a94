// Job specs as the ledger carries them (the JSON inside a JobProposed transaction, written by
// another member): decoded as every node decodes them, checked with the same rules as a YAML
// spec (`JobSpec.problems`), and for an accepted spec what the node then derives from it.
import Foundation
import FuzzNodeSupport
import FuzzSupport
import TacitJob
import TacitNode

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        try SampleSpecs.yaml.map { name, text in
            let spec = try JobSpec.parse(text, file: name, context: SampleSpecs.context)
            return (name + ".json", FuzzSeeds.text(spec.canonicalJSON()))
        }
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let spec = try? JSONDecoder().decode(JobSpec.self, from: bytes) else { return 0 }
    guard spec.problems(in: SampleSpecs.registry, members: SampleSpecs.members).isEmpty else { return 0 }
    _ = spec.summary()
    _ = spec.canonicalJSON()
    _ = JobSpec.session(forJob: spec.id)
    for p in spec.parties { _ = spec.isRecipient(p.name) }
    return 0
}
