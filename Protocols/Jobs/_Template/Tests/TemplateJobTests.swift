import Testing
import TacitJob
import TacitJobHarness
import TacitJobTemplate
import TacitNet
import TacitProtocols

@Suite("The job template against plaintext")
struct TemplateJobTests {
    @Test("job-template totals the column on every standard engine", arguments: ["additive-ot", "shamir"])
    func total(_ engine: String) async throws {
        var registry = JobProtocolRegistry.standard()
        // Registered here unless the standard registry already has it (a copy that shipped).
        if registry.lookup(TemplateJob().descriptor.name) == nil { try registry.register(TemplateJob()) }
        let inputs: [PartyID: DatasetInput] = [
            "a": .column("amount", ["10.25", "-3.00"], party: "a"),
            "b": .column("amount", ["100.00"], party: "b"),
        ]
        let spec = JobHarness.spec(protocol: "job-template", engine: engine, inputs: inputs, compute: ["c"],
                                   outputs: [JobSpec.Output(name: "total", recipients: ["b"])])
        let report = try await JobHarness(registry: registry).run(spec, inputs: inputs)
        #expect(try report.value("total", at: "b") == .number("107.25"))  // 10.25 − 3.00 + 100.00
        #expect(try report.value("total", at: "a") == nil)
        #expect(report.rounds > 0 && report.bytesSent.values.allSatisfy { $0 > 0 })
    }
}
