// The transport's header frame (TacitNet/Frame.swift): the first bytes a peer's message
// puts in front of the receiving node, decoded before anything else looks at it.
import FuzzSupport
@testable import TacitNet

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>) -> CInt {
    FuzzSeeds.writeIfAsked {
        [
            ("alice-small", FrameHeader(sender: PartyID("alice"), session: SessionID(1), tag: Tag(0), payloadLength: 0).encode()),
            ("long-name", FrameHeader(sender: PartyID(String(repeating: "n", count: 64)), session: SessionID(.max), tag: Tag(.max), payloadLength: 1 << 30).encode()),
            ("hospital", FrameHeader(sender: PartyID("st-marys"), session: SessionID(0x0123_4567_89ab_cdef), tag: Tag(42), payloadLength: 4096).encode()),
        ]
    }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let raw = UnsafeRawBufferPointer(start: data, count: size)
    guard let header = try? FrameHeader.decode(raw) else { return 0 }
    // What the receiver accepts it must be able to write back byte for byte: one encoding
    // per header, so nothing downstream sees two spellings of one sender.
    precondition(header.encode() == Array(raw), "FrameHeader: a decoded header does not re-encode to its bytes")
    return 0
}
