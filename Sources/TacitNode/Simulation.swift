import Foundation
import Logging
public import TacitJob
import TacitJobHarness
import TacitMPC
import TacitMath
import TacitNet
public import TacitProtocols

/// `tacit simulate`: any registered job protocol, all its parties in one process over
/// in-memory channels, on CSV inputs. No ledger, no approvals: a researcher's and a
/// newcomer's way to see what a protocol computes and what it costs.
public enum Simulation {
    public struct Request: Sendable {
        public var protocolName: String
        public var parties: Int
        public var engine: String?
        /// `PARTY=FILE` pairs, one per input party.
        public var inputs: [String]
        /// `KEY=VALUE` pairs for the spec's `parameters:`.
        public var parameters: [String]
        /// `NAME` or `NAME=PARTY,PARTY` (default: the protocol's usual outputs, to every party).
        public var outputs: [String]
        /// Columns to read from every input CSV (default: all of its header's columns).
        public var columns: [String]

        public init(protocolName: String, parties: Int, engine: String?, inputs: [String], parameters: [String], outputs: [String], columns: [String]) {
            self.protocolName = protocolName
            self.parties = parties
            self.engine = engine
            self.inputs = inputs
            self.parameters = parameters
            self.outputs = outputs
            self.columns = columns
        }
    }

    /// Runs the simulation and returns the lines to print. Every error says which argument
    /// was wrong and, for names, what is registered.
    public static func run(_ r: Request, registry: JobProtocolRegistry = .standard()) async throws -> [String] {
        let proto: any JobProtocol
        do { proto = try registry.named(r.protocolName) } catch let e as JobError {
            throw NodeError(.invalidSpec, "PROTOCOL: \(e.message)")
        }
        let d = proto.descriptor
        if let engine = r.engine {
            guard registry.engines.lookup(engine) != nil else {
                throw NodeError(.invalidSpec, "--engine: no engine named '\(engine)'; registered engines: \(registry.engines.names.joined(separator: ", "))")
            }
            guard d.needs.contains(.engine) else {
                throw NodeError(.invalidSpec, "--engine: \(d.name) does not run on a secret-sharing engine; leave --engine out")
            }
        } else if d.needs.contains(.engine) {
            throw NodeError(.invalidSpec, "--engine: \(d.name) runs on a secret-sharing engine; give --engine with one of \(registry.engines.names.joined(separator: ", "))")
        }
        if d.needs.contains(.paillierKeyShare) {
            throw NodeError(.invalidSpec, "PROTOCOL: \(d.name) needs the consortium's threshold Paillier key shares, which a simulation does not deal; run it between nodes (make demo)")
        }
        guard (1...64).contains(r.parties) else {
            throw NodeError(.invalidSpec, "--parties: \(r.parties) is not a party count from 1 to 64")
        }

        // Inputs: PARTY=FILE, read with the node's CSV reader (decimal columns, digits as
        // written; identifier columns as written, for a protocol that matches identifiers).
        var inputs: [PartyID: DatasetInput] = [:]
        for item in r.inputs {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex, item.index(after: eq) != item.endIndex else {
                throw NodeError(.invalidSpec, "--input '\(item)': expected PARTY=FILE, e.g. --input hospital-a=claims-a.csv")
            }
            let party = String(item[..<eq]), file = String(item[item.index(after: eq)...])
            if let p = NameRules.problem(party) { throw NodeError(.invalidSpec, "--input '\(item)': party name '\(party)' \(p)") }
            guard inputs[PartyID(party)] == nil else { throw NodeError(.invalidSpec, "--input: party '\(party)' is given twice") }
            inputs[PartyID(party)] = try readCSV(file, party: PartyID(party), columns: r.columns, identifiers: d.inputs == .identifiers)
        }
        guard !inputs.isEmpty else { throw NodeError(.invalidSpec, "--input: give at least one PARTY=FILE") }
        guard r.parties >= inputs.count else {
            throw NodeError(.invalidSpec, "--parties: \(r.parties) is fewer than the \(inputs.count) input parties given with --input")
        }
        let compute = (1...max(1, r.parties - inputs.count)).prefix(r.parties - inputs.count).map { PartyID("compute-\($0)") }
        let all = (Array(inputs.keys) + compute).sorted()

        var parameters: [String: String] = [:]
        for item in r.parameters {
            guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                throw NodeError(.invalidSpec, "--param '\(item)': expected KEY=VALUE; \(d.name) takes: \(d.parameterNames.joined(separator: ", ").isEmpty ? "none" : d.parameterNames.joined(separator: ", "))")
            }
            parameters[String(item[..<eq])] = String(item[item.index(after: eq)...])
        }
        var outputs: [JobSpec.Output] = []
        for item in r.outputs.isEmpty ? d.defaultOutputs : r.outputs {
            let parts = item.split(separator: "=", maxSplits: 1).map(String.init)
            let recipients = parts.count == 2 ? parts[1].split(separator: ",").map { PartyID(String($0)) } : all
            for p in recipients where !all.contains(p) {
                throw NodeError(.invalidSpec, "--output '\(item)': '\(p)' is not a party of the simulation (\(all.map(\.name).joined(separator: ", ")))")
            }
            outputs.append(JobSpec.Output(name: parts.first ?? item, recipients: recipients))
        }

        let spec = JobHarness.spec(protocol: d.name, engine: r.engine, inputs: inputs, compute: compute, parameters: parameters, outputs: outputs)
        let problems = spec.problems(in: registry)
        guard problems.isEmpty else {
            throw NodeError(.invalidSpec, problems.map { "\(argument(for: $0.path)): \($0.message)" }.joined(separator: "; "))
        }
        var logger = Logger(label: "tacit.simulate")
        logger.logLevel = .error
        // Each simulated party gets a state store of its own for the run (a prepared list is
        // prepared, used and dropped): the same code paths as on a node, nothing kept.
        let resources = Dictionary(uniqueKeysWithValues: spec.partyNames.map { ($0, JobResources(state: InMemoryProtocolStateStore())) })
        let report = try await JobHarness(registry: registry).run(spec, inputs: inputs, resources: resources, logger: logger)
        for p in all {
            if case .failure(let e)? = report.outcomes[p] {
                throw NodeError(.protocolFailure, "the run failed at \(p): \(e.message)")
            }
        }
        let results = try report.results()
        var lines = ["\(d.name)\(r.engine.map { " on \($0)" } ?? ""), \(all.count) parties: \(all.map(\.name).joined(separator: ", "))"]
        for o in outputs {
            let at = o.recipients.sorted()
            let value = at.first.flatMap { results[$0]?.output(o.name)?.value }
            lines.append("\(o.name) = \(value.map(\.description) ?? "(no value)")  (at \(at.map(\.name).joined(separator: ", ")))")
            if let digest = at.first.flatMap({ results[$0]?.output(o.name)?.digest }) { lines.append("  digest \(digest)") }
        }
        for p in all {
            lines.append("\(p): sent \(report.bytesSent[p] ?? 0) bytes in \(report.messagesSent[p] ?? 0) messages")
        }
        lines.append("rounds: \(report.rounds)")
        lines.append(String(format: "time: %.3f s", report.seconds))
        return lines
    }

    /// Which command-line argument a spec path comes from.
    static func argument(for path: String) -> String {
        if path.hasPrefix("parameters") { return "--param" }
        if path.hasPrefix("outputs") { return "--output" }
        if path.hasPrefix("engine") { return "--engine" }
        if path.hasPrefix("parties["), path.hasSuffix(".input") { return "--input/--column" }
        if path.hasPrefix("parties") { return "--parties/--input" }
        return path
    }

    /// A CSV file as one party's input: the named columns (all by default), each read as a
    /// decimal with as many fraction digits as its cells use, or as identifiers (text as
    /// written) when `identifiers`.
    static func readCSV(_ file: String, party: PartyID, columns wanted: [String], identifiers: Bool = false) throws -> DatasetInput {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw NodeError(.dataset, "--input: cannot read \(file) (no such file, or not readable)")
        }
        let bytes = [UInt8](data)
        guard let header = CSV.header(bytes), !header.allSatisfy(\.isEmpty) else {
            throw NodeError(.dataset, "--input: \(file) is empty; it needs a header row naming the columns")
        }
        let names = wanted.isEmpty ? header : wanted
        var decls: [ColumnDeclaration] = []
        var rows: [[String]]?
        for name in names {
            guard let i = header.firstIndex(of: name) else {
                throw NodeError(.dataset, "--column: \(file) has no column '\(name)' (has: \(header.joined(separator: ", ")))")
            }
            if identifiers {
                decls.append(ColumnDeclaration(name: name, type: .identifier))
                continue
            }
            var digits = 0
            // Numbers: a whole parse to find the digits (simulations of number jobs are small);
            // identifiers above are read in one pass that keeps only their column.
            if rows == nil { rows = CSV.rows(String(decoding: bytes, as: UTF8.self)) }
            for (r, row) in (rows ?? []).dropFirst().enumerated() where i < row.count {
                let cell = row[i].trimmingCharacters(in: .whitespaces)
                if cell.isEmpty && row.count == 1 { continue }  // a blank line
                let body = cell.hasPrefix("-") ? cell.dropFirst() : Substring(cell)
                let parts = body.split(separator: ".", omittingEmptySubsequences: false)
                guard (1...2).contains(parts.count), !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }) else {
                    throw NodeError(.dataset, "--input: column '\(name)' of \(file) is not numeric (row \(r + 2)); choose numeric columns with --column")
                }
                if parts.count == 2 { digits = max(digits, parts[1].count) }
            }
            decls.append(ColumnDeclaration(name: name, type: .decimal, fractionDigits: min(digits, 18)))
        }
        let columns = try CSV.extract(bytes, columns: decls, file: file)
        return DatasetInput(jobID: "simulation", party: party, dataset: (file as NSString).lastPathComponent, columns: columns)
    }
}
