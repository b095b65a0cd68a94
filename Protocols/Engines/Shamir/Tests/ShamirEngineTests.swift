import Testing
import TacitEngineConformance
import TacitShamir

@Suite("Shamir engine against plaintext")
struct ShamirEngineTests {
    @Test("shamir conforms at 3 and 5 parties", arguments: [3, 5])
    func conforms(_ n: Int) async {
        let failures = await EngineConformance.failures(ShamirProtocol(), parties: n, seed: 7)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
