// Control-socket requests (TacitNode/Control.swift): the byte stream a local client writes, cut
// into lines by `ControlLineReader` and checked by `ControlServer.request(from:)` before a
// node's handler sees it. No socket and no node: the same functions the server calls.
// Input: one byte choosing how the stream is split into reads, then the stream.
import Foundation
import FuzzSupport
@testable import TacitNode

let requests: [(String, ControlRequest)] = [
    ("submit", ControlRequest(op: "submit", spec: "name: mean\nprotocol: statistics\n", file: "claims.yaml")),
    ("approve", ControlRequest(op: "approve", job: "job-1a2b3c4d", columns: ["amount", "age"])),
    ("reject", ControlRequest(op: "reject", job: "job-1a2b3c4d", reason: "not this quarter")),
    ("status", ControlRequest(op: "status", job: "job-1a2b3c4d")),
    ("ledger", ControlRequest(op: "ledger", job: "job-1a2b3c4d")),
    ("list", ControlRequest(op: "list")),
    ("node-status", ControlRequest(op: "node-status")),
]

func line(_ r: ControlRequest) throws -> [UInt8] { Array(try JSONEncoder.sorted.encode(r)) + [10] }

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        var seeds: [(String, [UInt8])] = []
        for (name, r) in requests {
            let bytes = try line(r)
            _ = try ControlServer.request(from: Array(bytes.dropLast()))
            seeds.append((name, [0] + bytes))
        }
        // Several requests in one stream, split into reads of a few bytes.
        seeds.append(("pipelined", [7] + (try requests.flatMap { try line($0.1) })))
        seeds.append(("refused", [3] + FuzzSeeds.text("{\"op\":\"explode\"}\n   \n[1,2]\n{\"op\":5}\n")))
        return seeds
    }
    return 0
}

/// A small limit, so the overflow path is reached by inputs the fuzzer can grow to.
let maxLine = 4096

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let split = Int(input.byte())
    let stream = input.rest

    // Whole stream in one read, and in reads of 1 + split bytes: the same lines either way.
    var whole = ControlLineReader(maxLineBytes: maxLine)
    let expected = whole.feed(stream[...])
    var pieces = ControlLineReader(maxLineBytes: maxLine)
    var got: [[UInt8]] = []
    var at = 0
    while at < stream.count {
        let end = min(stream.count, at + 1 + split)
        got += pieces.feed(stream[at..<end])
        at = end
    }
    precondition(got == expected, "ControlLineReader: lines depend on how the stream was read")
    precondition(pieces.pending == whole.pending, "ControlLineReader: a different remainder depending on the reads")
    precondition(expected.allSatisfy { !$0.contains(10) }, "ControlLineReader: a line holds a newline")
    precondition(expected.reduce(0) { $0 + $1.count + 1 } + whole.pending == stream.count, "ControlLineReader: bytes lost or invented")

    for l in expected {
        do {
            let request = try ControlServer.request(from: l)
            precondition(ControlRequest.ops.contains(request.op), "ControlServer: accepted unknown op \(request.op)")
            // What a client encodes decodes to the same request on the server.
            let again = try ControlServer.request(from: Array(try JSONEncoder.sorted.encode(request)))
            precondition(
                again.op == request.op && again.spec == request.spec && again.file == request.file && again.job == request.job
                    && again.columns == request.columns && again.reason == request.reason,
                "ControlRequest: does not survive re-encoding")
        } catch let e as NodeError {
            precondition(e.code == .control && !e.message.isEmpty, "ControlServer: a refusal without a message")
            // The refusal goes back as one response line: encoded, it must hold no raw newline.
            guard let reply = try? JSONEncoder.sorted.encode(ControlResponse.failure(e.message)) else {
                preconditionFailure("ControlResponse: a refusal does not encode")
            }
            precondition(!reply.contains(10), "ControlResponse: a refusal spans lines")
        } catch {
            preconditionFailure("ControlServer: an error other than NodeError: \(error)")
        }
    }
    return 0
}
