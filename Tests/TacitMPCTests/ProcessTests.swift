import Foundation
import Testing
import TacitNet
import TacitTestSupport

extension TestConsortium {
    func start(_ command: String, _ name: String, extra: [String] = []) throws -> PeerProcess {
        try PeerProcess(
            executable: "tacit-mpc-peer", name: name,
            arguments: [command, "--name", name, "--key", key(name), "--consortium", path] + extra)
    }
}

@Suite("MPC across processes over ZeroMQ (CURVE)")
struct ProcessTests {
    /// Three `tacit-mpc-peer` processes on loopback run the same small program with each
    /// protocol family; every party prints the same, correct result.
    @Test("three processes compute the right answer", arguments: ["additive-dealer", "additive-ot", "shamir", "replicated"])
    func threeProcesses(_ proto: String) async throws {
        let names = ["alice", "bob", "carol"]
        let c = try TestConsortium(names)
        defer { c.cleanup() }
        let peers = try names.map { try c.start("check", $0, extra: ["--protocol", proto, "--timeout-ms", "60000"]) }
        defer { for p in peers { p.kill() } }
        for p in peers { try await p.waitReady() }
        // Parties sorted: alice inputs x = [3, -4, 5, 2^20], bob y = [7, 8, -9, 3·2^16].
        // Fixed point by 16 bits: ⌊x·y / 2^16⌋ = [0, -1, -1, 3·2^20]; both engines document
        // an error of +1 in the last place at most, never −1 (Escudero et al.'s truncation).
        let floor: [Int64] = [0, -1, -1, 3145728]
        for p in peers {
            let line = try await p.nextLine(timeout: .seconds(120))
            #expect(line.hasPrefix("RESULT mul=21,-32,-45,206158430208 lt=1,1,0,0 fixed="), "\(p.name): \(line)")
            #expect(line.hasSuffix("sum=1048580"), "\(p.name): \(line)")
            let fields = line.split(separator: " ")
            let fixed = fields.count > 3 ? fields[3].dropFirst(6).split(separator: ",").compactMap { Int64($0) } : []
            #expect(fixed.count == 4 && zip(fixed, floor).allSatisfy { [0, 1].contains($0 - $1) }, "\(p.name): \(line)")
        }
    }
}
