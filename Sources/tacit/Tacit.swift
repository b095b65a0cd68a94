import ArgumentParser

@main
struct Tacit: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tacit",
        abstract: "Secure multi-party computation: data usable, but invisible.",
        subcommands: [Demo.self, Keys.self, CA.self, Ledger.self]
    )
}
