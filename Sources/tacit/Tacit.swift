import ArgumentParser

@main
struct Tacit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tacit",
        abstract: "Secure multi-party computation: data usable, but invisible.",
        subcommands: [Init.self, Node.self, Job.self, Audit.self, CA.self, Ledger.self, Keys.self, PaillierCommand.self, Simulate.self, Compare.self, PSICommand.self, ClaimsCommand.self, Console.self, Demo.self]
    )
}
