internal import CZeroMQ
import Foundation
import TacitBytes

/// Thin helpers over the libzmq C API. Nothing here is public: no C type crosses the module.
enum ZMQ {
    static func lastError() -> String {
        let e = zmq_errno()
        return "\(String(cString: zmq_strerror(e))) (errno \(e))"
    }

    static func setInt(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int, _ what: String) throws {
        var v = Int32(clamping: value)
        guard zmq_setsockopt(socket, option, &v, MemoryLayout<Int32>.size) == 0 else {
            throw NetError(.transport, "cannot set \(what): \(lastError())")
        }
    }

    static func setInt64(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: Int64, _ what: String) throws {
        var v = value
        guard zmq_setsockopt(socket, option, &v, MemoryLayout<Int64>.size) == 0 else {
            throw NetError(.transport, "cannot set \(what): \(lastError())")
        }
    }

    static func setString(_ socket: UnsafeMutableRawPointer, _ option: Int32, _ value: String, _ what: String) throws {
        let bytes = Array(value.utf8)
        let rc = bytes.withUnsafeBytes { zmq_setsockopt(socket, option, $0.baseAddress, $0.count) }
        guard rc == 0 else { throw NetError(.transport, "cannot set \(what): \(lastError())") }
    }

    static func lastEndpoint(_ socket: UnsafeMutableRawPointer) -> String? {
        var buf = [CChar](repeating: 0, count: 256)
        var size = buf.count
        guard zmq_getsockopt(socket, ZMQ_LAST_ENDPOINT, &buf, &size) == 0 else { return nil }
        return String(cChars: buf)
    }
}

/// One `zmq_msg_t` on the heap, so its address (and, for small messages, its inline data)
/// never moves while a `Payload` points into it.
final class ZMessage {
    let msg: UnsafeMutablePointer<zmq_msg_t>

    init() {
        msg = .allocate(capacity: 1)
        msg.initialize(to: zmq_msg_t())
        zmq_msg_init(msg)
    }

    deinit {
        zmq_msg_close(msg)
        msg.deinitialize(count: 1)
        msg.deallocate()
    }

    /// false on EAGAIN (nothing to read) or error.
    func receive(from socket: UnsafeMutableRawPointer, dontWait: Bool) -> Bool {
        zmq_msg_recv(msg, socket, dontWait ? ZMQ_DONTWAIT : 0) >= 0
    }

    var size: Int { zmq_msg_size(msg) }
    /// The descriptor of the connection the message came on (-1 if unknown).
    var sourceDescriptor: Int32 { zmq_msg_get(msg, ZMQ_SRCFD) }
    var hasMore: Bool { zmq_msg_more(msg) != 0 }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: zmq_msg_data(msg), count: size))
    }

    /// A metadata property of the connection the message came on, e.g. "User-Id" (the name
    /// our ZAP handler bound to the authenticated key).
    func property(_ name: String) -> String? {
        guard let p = zmq_msg_gets(msg, name) else { return nil }
        return String(cString: p)
    }

    /// Hands the bytes to Swift without copying: the payload keeps this message alive.
    func intoPayload() -> Payload {
        let count = size
        let base = UnsafeRawPointer(zmq_msg_data(msg)) ?? UnsafeRawPointer(Payload.empty.storage.base)
        return Payload(storage: PayloadStorage(base: base, count: count) { [self] in _ = self })
    }
}

/// libzmq calls this (on one of its own threads) when it no longer needs a payload it was
/// lent by `zmq_msg_init_data`: drop the reference taken for it.
let releasePayloadStorage: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = {
    _, hint in
    guard let hint else { return }
    Unmanaged<PayloadStorage>.fromOpaque(hint).release()
}

extension String {
    /// From a NUL-terminated C buffer that libzmq filled.
    init(cChars buffer: [CChar]) {
        let bytes = buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }
        self = String(decoding: bytes, as: UTF8.self)
    }
}

/// The events of one socket (libzmq's `zmq_socket_monitor`), read without blocking from a
/// PAIR socket connected to its monitor endpoint. Owned by the I/O thread once created.
final class SocketMonitor {
    private static let counter = Locked<UInt64>(0)
    let pair: UnsafeMutableRawPointer

    struct Event {
        let event: Int32
        let value: UInt32
    }

    /// Call before the socket binds or connects, so no event is missed.
    init(context: UnsafeMutableRawPointer, socket: UnsafeMutableRawPointer, events: Int32) throws {
        let n = Self.counter.withLock { c in
            c += 1
            return c
        }
        let address = "inproc://tacit-monitor-\(n)"
        guard zmq_socket_monitor(socket, address, events) == 0 else {
            throw NetError(.transport, "cannot monitor a socket: \(ZMQ.lastError())")
        }
        guard let p = zmq_socket(context, ZMQ_PAIR) else {
            throw NetError(.transport, "zmq_socket failed: \(ZMQ.lastError())")
        }
        var zero: Int32 = 0
        zmq_setsockopt(p, ZMQ_LINGER, &zero, 4)
        guard zmq_connect(p, address) == 0 else {
            zmq_close(p)
            throw NetError(.transport, "cannot connect to a socket monitor: \(ZMQ.lastError())")
        }
        pair = p
    }

    /// Every event queued so far.
    func drain() -> [Event] {
        var out: [Event] = []
        while true {
            let m = ZMessage()
            guard m.receive(from: pair, dontWait: true) else { return out }
            var event: UInt16 = 0
            var value: UInt32 = 0
            if m.size >= 6 {
                m.withBytes { b in
                    // libzmq writes the event and value in host byte order, unaligned.
                    withUnsafeMutableBytes(of: &event) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[0..<2])) }
                    withUnsafeMutableBytes(of: &value) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: b[2..<6])) }
                }
            }
            // The second frame is the endpoint; read it to reach the next event.
            var more = m.hasMore
            while more {
                let rest = ZMessage()
                guard rest.receive(from: pair, dontWait: false) else { break }
                more = rest.hasMore
            }
            out.append(Event(event: Int32(event), value: value))
        }
    }

    func close() { zmq_close(pair) }
}
