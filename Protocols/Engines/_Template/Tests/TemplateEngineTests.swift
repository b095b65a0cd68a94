import Testing
import TacitEngineConformance
import TacitEngineTemplate

@Suite("The engine template against plaintext")
struct TemplateEngineTests {
    @Test("template-cleartext conforms at 2 and 4 parties", arguments: [2, 4])
    func conforms(_ n: Int) async {
        let failures = await EngineConformance.failures(TemplateProtocol(), parties: n, seed: 7)
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
    }
}
