import Testing
import TacitAdditive
import TacitEngineConformance

@Suite("Additive engines against plaintext")
struct AdditiveEngineTests {
    @Test("additive-dealer and additive-ot conform at 2 and 3 parties", arguments: [2, 3])
    func conforms(_ n: Int) async {
        for engine in [AdditiveProtocol(preprocessing: .dealer(nil)), AdditiveProtocol(preprocessing: .obliviousTransfer)] {
            let failures = await EngineConformance.failures(engine, parties: n, seed: 7)
            #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        }
    }
}
