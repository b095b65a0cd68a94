internal import CZeroMQ
import Foundation
public import Logging
import TacitBytes
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A party's connections to every other consortium member over ZeroMQ.
///
/// Topology: the party binds one PULL socket (a CURVE server) that every peer sends to, and
/// connects one PUSH socket (a CURVE client) to each peer's PULL. Each direction is thus one
/// ordered ZeroMQ pipe, and the receiver learns who sent a message from the key that
/// authenticated the connection (the ZAP handler's user id), never from the message.
///
/// Membership can change while the mesh runs (`updateConsortium`): the ledger's committed
/// membership, not the file it started from, is what the allow-list follows.
///
/// Threads: one dedicated thread owns the ZAP and PULL sockets (they are not thread-safe);
/// async callers reach it through a locked command queue and a wake-up pipe, and it delivers
/// received messages into a `Mailbox`, which resumes waiting receivers.
public final class ZeroMQMesh: PartyChannel {
    public let localParty: PartyID
    public let defaultTimeout: Duration
    /// As given at start; `consortium` is the current membership.
    public let configuration: MeshConfiguration
    /// The endpoint actually bound (resolves a `:0` port).
    public let boundEndpoint: String

    private let io: IOLoop
    private let mailbox: Mailbox

    /// Binds, connects and starts the I/O thread. Throws if this party's identity does not
    /// match the consortium, or if ZeroMQ cannot bind or connect.
    public init(configuration: MeshConfiguration, logger: Logger = Logger(label: "tacit.net")) throws {
        let c = configuration
        try Self.checkIdentity(c.consortium, c)
        guard c.maxMessageSize > 0, c.maxMessageSize <= Int.max - IOLoop.wireSlack else {
            throw NetError(.transport, "maxMessageSize must be positive, got \(c.maxMessageSize)")
        }
        guard c.pieceSize > 0 else { throw NetError(.transport, "pieceSize must be positive, got \(c.pieceSize)") }
        self.localParty = c.name
        self.defaultTimeout = c.defaultTimeout
        self.configuration = c
        let mailbox = Mailbox(limits: c.mailboxLimits, logger: logger)
        self.mailbox = mailbox
        self.io = try IOLoop(configuration: c, mailbox: mailbox, logger: logger)
        self.boundEndpoint = io.boundEndpoint
    }

    static func checkIdentity(_ consortium: Consortium, _ c: MeshConfiguration) throws {
        guard let me = consortium.member(named: c.name) else {
            throw NetError(
                .invalidIdentity,
                "party \(c.name) is not in the consortium (members: \(consortium.names)); check --name")
        }
        guard me.publicKey == c.keyPair.publicKey else {
            throw NetError(
                .invalidIdentity,
                "the secret key given for \(c.name) does not belong to the public key the consortium lists for it; "
                    + "use \(c.name).key, or update the consortium file")
        }
    }

    deinit { io.stop() }

    /// Every current member, this party included, sorted by name.
    public var parties: [PartyID] { io.consortium.names }

    /// The membership the allow-list currently enforces.
    public var consortium: Consortium { io.consortium }

    /// Replaces the membership without a restart. Added members are admitted by ZAP and
    /// connected to; removed ones are refused from now on, their open connection is cut,
    /// messages queued towards them are dropped (logged) and sends to them fail with
    /// `.unknownPeer`. A member whose key or endpoint changed is treated as removed and added.
    /// Receives from a removed member stay allowed and simply get nothing (a re-added member
    /// is heard again). Throws `.invalidIdentity` if the new membership does not list this
    /// party with its key (nothing changes then), `.closed` after `close`.
    public func updateConsortium(_ new: Consortium) throws {
        try Self.checkIdentity(new, configuration)
        let removed = try io.update(new)
        for p in removed { mailbox.dropPeer(p) }
    }

    public func send(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) async throws {
        let lane = try io.lane(for: peer)
        guard payload.count <= configuration.maxMessageSize else {
            throw NetError(
                .messageTooLarge,
                "payload of \(payload.count) bytes exceeds maxMessageSize \(configuration.maxMessageSize); "
                    + "split it or raise maxMessageSize on every party")
        }
        let pieceSize = configuration.pieceSize
        guard payload.count > pieceSize else {
            let header = FrameHeader(
                sender: localParty, session: session, tag: tag, payloadLength: UInt64(payload.count))
            try await io.enqueue(.init(peer: peer, header: header.encode(), payload: payload), on: lane, timeout: defaultTimeout)
            return
        }
        // Pieces are queued in order on the one pipe to `peer`, each lent from `payload`'s
        // buffer without a copy.
        let id = io.nextMessageID()
        for offset in stride(from: 0, to: payload.count, by: pieceSize) {
            let length = min(pieceSize, payload.count - offset)
            let header = FrameHeader(
                sender: localParty, session: session, tag: tag, payloadLength: UInt64(length),
                piece: .init(messageID: id, total: UInt64(payload.count), offset: UInt64(offset)))
            try await io.enqueue(
                .init(peer: peer, header: header.encode(), payload: payload, range: offset..<(offset + length)), on: lane,
                timeout: defaultTimeout)
        }
    }

    /// Hands a single-piece message to ZeroMQ on the caller's thread, if nothing is queued
    /// towards `peer` and its pipe has room: no task switch, which is what a caller that keeps
    /// its own per-peer queue (the ledger node) saves by trying this first.
    public func trySend(_ payload: Payload, to peer: PartyID, session: SessionID, tag: Tag) -> Bool {
        guard payload.count <= configuration.pieceSize, payload.count <= configuration.maxMessageSize,
            let lane = try? io.lane(for: peer)
        else { return false }
        let header = FrameHeader(sender: localParty, session: session, tag: tag, payloadLength: UInt64(payload.count))
        return io.trySend(.init(peer: peer, header: header.encode(), payload: payload), on: lane)
    }

    public func receive(from peer: PartyID, session: SessionID, tag: Tag, timeout: Duration?) async throws
        -> Payload
    {
        guard io.isOrWasPeer(peer) else {
            throw NetError(
                .unknownPeer, "\(peer) is not another member of the consortium; members: \(parties)")
        }
        return try await mailbox.receive(MailboxKey(peer: peer, session: session, tag: tag), timeout: timeout)
    }

    public func endSession(_ session: SessionID) { mailbox.endSession(session) }

    /// Runs tasks on the mesh's I/O thread. A task that prefers it
    /// (`withTaskExecutorPreference(mesh.ioExecutor) { ... }`) is resumed by an arriving
    /// message without any thread switch, which roughly halves round-trip latency on small
    /// machines. Only for light protocol steps: while such a task computes, this party reads
    /// no messages and answers no handshakes. Once the mesh is closed its jobs run on the
    /// global executor.
    public var ioExecutor: any TaskExecutor { io.executor }

    /// A snapshot of the counters.
    public var stats: MeshStats {
        var s = io.stats.withLock { $0 }
        s.lateDropped = mailbox.droppedLate
        s.overLimitDropped = mailbox.droppedOverLimit
        s.expiredDropped = mailbox.droppedExpired
        return s
    }

    /// `peer` has said it is closing (a goodbye its protocol exchanged): the end of its
    /// connections is then expected, not a loss to warn about.
    public func peerIsLeaving(_ peer: PartyID) {
        _ = io.leaving.withLock { $0.insert(peer.name) }
    }

    /// Stops the I/O thread after flushing for at most `linger`; waiting receives fail with
    /// `.closed`. Idempotent.
    public func close() {
        io.stop()
        mailbox.close(NetError(.closed, "the mesh of \(localParty) was closed"))
    }

    /// Sends arbitrary frames to `peer` as one multipart message, bypassing framing: lets tests
    /// check that receivers survive malformed input.
    @_spi(Testing) public func sendRawFrames(_ frames: [[UInt8]], to peer: PartyID) async throws {
        let lane = try io.lane(for: peer)
        try await io.enqueue(.init(peer: peer, header: [], payload: .empty, raw: frames), on: lane, timeout: defaultTimeout)
    }
}

/// Owns the ZeroMQ context and sockets.
///
/// Socket ownership: the ZAP and PULL sockets belong to the I/O thread alone. Each PUSH socket
/// belongs to its `Lane` and is only ever used while holding that lane's lock, so exactly one
/// thread uses it at a time (ZeroMQ allows a socket to move between threads across a full
/// memory barrier, which the lock provides). That lets a sender hand its message to ZeroMQ
/// on its own thread, without waking the I/O thread: one thread hop less per message.
/// A lane's socket is created and connected before the lane is published in `roster`, and
/// closed (under the lane's lock, which marks it closed) when its member leaves or the mesh
/// stops; nothing uses a closed lane's socket.
final class IOLoop: @unchecked Sendable {
    // @unchecked: ZAP/PULL pointers and `view`/`connections` are confined to the I/O thread
    // after init; PUSH pointers to their lane's lock; everything else shared is in a Locked or
    // immutable.

    /// ZMQ_MAXMSGSIZE is maxMessageSize plus this, so a payload slightly over the limit still
    /// reaches our validation and is counted, while a grossly oversized one is cut off by
    /// libzmq before it allocates (it then drops that connection).
    static let wireSlack = 64 * 1024
    /// Payloads up to this size are copied into ZeroMQ (cheaper than lending the buffer).
    static let zeroCopyThreshold = 8 * 1024

    struct Outgoing {
        let peer: PartyID
        let header: [UInt8]
        let payload: Payload
        /// The part of `payload` to send (a piece); nil for all of it.
        var range: Range<Int>? = nil
        var raw: [[UInt8]]? = nil
        var deadline: ContinuousClock.Instant = .now
    }

    struct SendWaiter {
        let id: UInt64
        var item: Outgoing
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// What is queued towards one peer because ZeroMQ's queue to it was full, and the
    /// senders waiting for room in that queue.
    struct LaneState {
        /// Replaced when the connection is redialled after a refused handshake.
        var socket: UnsafeMutableRawPointer
        var pending = FIFO<Outgoing>()
        var waiters = FIFO<SendWaiter>()
        var cancelledEarly: Set<UInt64> = []
        var closed = false
        /// Closed because its member left the consortium (rather than because the mesh stopped).
        var removed = false
    }

    final class Lane: @unchecked Sendable {
        // @unchecked: the socket is used only inside `state.withLock`, and never once `closed`;
        // `monitor`, `redialAt`, `backoff` and `connected` belong to the I/O thread once the
        // lane is published.
        let member: Consortium.Member
        let state: Locked<LaneState>
        var monitor: SocketMonitor
        var redialAt: ContinuousClock.Instant?
        var backoff: Duration
        /// Its handshake succeeded and no disconnect followed: a disconnect now is a lost
        /// connection, not a failed attempt.
        var connected = false
        init(member: Consortium.Member, socket: UnsafeMutableRawPointer, monitor: SocketMonitor, backoff: Duration) {
            self.member = member
            self.state = Locked(LaneState(socket: socket))
            self.monitor = monitor
            self.backoff = backoff
        }
    }

    /// The current membership and one lane per other member. Changed by `update` (any
    /// thread) and read by senders and, through `view`, by the I/O thread.
    struct Roster {
        var consortium: Consortium
        var lanes: [PartyID: Lane]
        /// Names that were members and are not now: receives from them wait rather than fail
        /// (a re-added member is heard again), sends to them fail with a clear reason.
        var removed: Set<PartyID> = []
        /// Lanes of members that left, for the I/O thread to close.
        var retiring: [Lane] = []
        var generation: UInt64 = 0
        var closed = false
    }

    let boundEndpoint: String
    let stats = Locked(MeshStats())

    private let roster: Locked<Roster>
    private let config: MeshConfiguration
    private let mailbox: Mailbox
    private let logger: Logger
    private let dropLog: RateLimitedLog
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let done = DispatchSemaphore(value: 0)
    private let stopOnce = Locked(false)
    private let stopping = Locked(false)
    private let nextWaiterID = Locked<UInt64>(1)

    let executor: IOExecutor

    private let context: UnsafeMutableRawPointer
    private let zap: UnsafeMutableRawPointer
    private let pull: UnsafeMutableRawPointer
    private let pullMonitor: SocketMonitor

    /// The I/O thread's copy of the roster, refreshed when its generation changes.
    private var view: (generation: UInt64, consortium: Consortium, lanes: [Lane])
    /// Inbound connections by file descriptor (learnt from received messages), with the key
    /// that authenticated them: how a removed member's open connection is found and cut, and
    /// whom a lost one was from.
    private var connections: [Int32: CurvePublicKey] = [:]
    /// Inbound connections whose handshake succeeded and that have not ended, known or not.
    /// libzmq's monitor gives no descriptor with a handshake's outcome, so a lost connection
    /// that delivered no message yet is recognised by this count exceeding `connections`.
    private var inboundEstablished = 0
    /// Descriptors of inbound connections that ended (or that `cut` shut down), until libzmq
    /// accepts a new connection on the same number: messages read after the end are still
    /// delivered, but their descriptor is no longer recorded (nor cut, which could hit a reuse).
    private var endedFDs: Set<Int32> = []
    private var cutFDs: Set<Int32> = []
    /// The bound socket's last event was a failed handshake: libzmq reports every failed
    /// handshake's disconnect right after it, on the same thread.
    private var lastInboundEventFailed = false
    /// Large messages being reassembled, by sender and message id (I/O thread only).
    private var assemblies: [PartyID: [UInt64: Assembly]] = [:]
    private let messageIDs = Locked<UInt64>(0)
    /// Peers that said they are closing: the end of their connections is expected, logged at
    /// debug level and not counted as lost.
    let leaving = Locked<Set<String>>([])

    func nextMessageID() -> UInt64 {
        messageIDs.withLock { id in
            id &+= 1
            return id
        }
    }

    init(configuration c: MeshConfiguration, mailbox: Mailbox, logger: Logger) throws {
        self.config = c
        self.mailbox = mailbox
        var logger = logger
        logger[metadataKey: "party"] = "\(c.name)"
        self.logger = logger
        self.dropLog = RateLimitedLog(logger: logger)
        let peers = c.consortium.members.filter { $0.name != c.name }

        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else {
            throw NetError(.transport, "cannot create the I/O thread's wake-up pipe: \(String(cString: strerror(errno)))")
        }
        wakeRead = fds[0]
        wakeWrite = fds[1]
        executor = IOExecutor(wakeFD: fds[1])
        _ = fcntl(wakeRead, F_SETFL, O_NONBLOCK)
        _ = fcntl(wakeWrite, F_SETFL, O_NONBLOCK)

        guard let ctx = zmq_ctx_new() else {
            throw NetError(.transport, "zmq_ctx_new failed: \(ZMQ.lastError())")
        }
        context = ctx
        var created: [UnsafeMutableRawPointer] = []
        func socket(_ type: Int32) throws -> UnsafeMutableRawPointer {
            guard let s = zmq_socket(ctx, type) else {
                throw NetError(.transport, "zmq_socket failed: \(ZMQ.lastError())")
            }
            created.append(s)
            var zero: Int32 = 0
            zmq_setsockopt(s, ZMQ_LINGER, &zero, 4)
            return s
        }
        var lanes: [PartyID: Lane] = [:]
        do {
            if c.security == .curve, zmq_has("curve") == 0 {
                throw NetError(.transport, "this libzmq was built without CURVE; install one with libsodium")
            }
            // Fail closed: libzmq admits every CURVE client while no ZAP handler is bound in
            // the context, so the handler is bound before any other socket binds or connects,
            // and nothing else happens if that fails.
            zap = try socket(ZMQ_REP)
            guard zmq_bind(zap, "inproc://zeromq.zap.01") == 0 else {
                throw NetError(.transport, "cannot bind the ZAP handler: \(ZMQ.lastError()); refusing to start")
            }

            pull = try socket(ZMQ_PULL)
            pullMonitor = try SocketMonitor(
                context: ctx, socket: pull,
                events: ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
                    | ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_ACCEPTED | ZMQ_EVENT_DISCONNECTED)
            created.append(pullMonitor.pair)
            try Self.commonOptions(pull, c)
            try ZMQ.setInt(pull, ZMQ_RCVHWM, c.receiveHighWaterMark, "ZMQ_RCVHWM")
            try ZMQ.setInt64(pull, ZMQ_MAXMSGSIZE, Int64(c.maxMessageSize + Self.wireSlack), "ZMQ_MAXMSGSIZE")
            if c.security == .curve {
                try ZMQ.setInt(pull, ZMQ_CURVE_SERVER, 1, "ZMQ_CURVE_SERVER")
                try ZMQ.setString(pull, ZMQ_CURVE_SECRETKEY, c.keyPair.secretKey.z85, "ZMQ_CURVE_SECRETKEY")
                try ZMQ.setString(pull, ZMQ_ZAP_DOMAIN, "tacit", "ZMQ_ZAP_DOMAIN")
            }
            let bindTo = c.bindEndpoint ?? (c.consortium.member(named: c.name)?.endpoint ?? "")
            guard zmq_bind(pull, bindTo) == 0 else {
                throw NetError(
                    .transport,
                    "cannot bind \(bindTo): \(ZMQ.lastError()); is another node using the port, "
                        + "or is the address not this host's? (set bindEndpoint)")
            }
            boundEndpoint = ZMQ.lastEndpoint(pull) ?? bindTo

            for peer in peers {
                let (s, monitor) = try Self.pushSocket(ctx, to: peer, c)
                created.append(s)
                created.append(monitor.pair)
                lanes[peer.name] = Lane(member: peer, socket: s, monitor: monitor, backoff: c.reconnectInterval)
            }
        } catch {
            for s in created { zmq_close(s) }
            zmq_ctx_term(ctx)
            close(wakeRead)
            close(wakeWrite)
            throw error
        }
        roster = Locked(Roster(consortium: c.consortium, lanes: lanes))
        view = (0, c.consortium, peers.compactMap { lanes[$0.name] })

        if c.security == .plainTCPInsecure {
            logger.critical(
                "INSECURE: plain TCP transport; no encryption, no authentication. Anyone who can reach \(boundEndpoint) can read, inject and impersonate. For local experiments only."
            )
        }
        logger.info(
            "mesh up",
            metadata: [
                "bound": "\(boundEndpoint)", "peers": "\(peers.map(\.name.name))",
                "security": "\(c.security == .curve ? "curve" : "plain")",
            ])
        let thread = Thread { [self] in run() }
        thread.name = "tacit-net-io"
        thread.start()
    }

    /// A PUSH socket connected to `peer`'s PULL, pinning its CURVE key, with a monitor of its
    /// handshakes. Thread-safe: it uses only the context, and neither socket is shared until
    /// the caller publishes them.
    private static func pushSocket(
        _ ctx: UnsafeMutableRawPointer, to peer: Consortium.Member, _ c: MeshConfiguration
    ) throws -> (UnsafeMutableRawPointer, SocketMonitor) {
        guard let s = zmq_socket(ctx, ZMQ_PUSH) else {
            throw NetError(.transport, "zmq_socket failed: \(ZMQ.lastError())")
        }
        var monitor: SocketMonitor?
        do {
            monitor = try SocketMonitor(context: ctx, socket: s, events: Self.laneEvents)
            try commonOptions(s, c)
            try ZMQ.setInt(s, ZMQ_SNDHWM, c.sendHighWaterMark, "ZMQ_SNDHWM")
            if c.security == .curve {
                try ZMQ.setString(s, ZMQ_CURVE_SERVERKEY, peer.publicKey.z85, "ZMQ_CURVE_SERVERKEY of \(peer.name)")
                try ZMQ.setString(s, ZMQ_CURVE_PUBLICKEY, c.keyPair.publicKey.z85, "ZMQ_CURVE_PUBLICKEY")
                try ZMQ.setString(s, ZMQ_CURVE_SECRETKEY, c.keyPair.secretKey.z85, "ZMQ_CURVE_SECRETKEY")
            }
            guard zmq_connect(s, peer.endpoint) == 0 else {
                throw NetError(.transport, "cannot connect to \(peer.name) at \(peer.endpoint): \(ZMQ.lastError())")
            }
        } catch {
            zmq_close(s)
            monitor?.close()
            throw error
        }
        guard let monitor else { fatalError("unreachable: the monitor is set or the do block threw") }
        return (s, monitor)
    }

    /// What a lane watches: libzmq does not redial a connection whose handshake the peer
    /// refused (a protocol error ends the session for good), so a member that is refused
    /// while the peer has not yet applied the membership change that admits it would never
    /// connect. The lane redials itself instead, with back-off. Disconnects are watched so that
    /// a lost connection is counted and logged (libzmq redials those itself).
    static let laneEvents = ZMQ_EVENT_HANDSHAKE_SUCCEEDED | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL
        | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_DISCONNECTED

    private static func commonOptions(_ s: UnsafeMutableRawPointer, _ c: MeshConfiguration) throws {
        try ZMQ.setInt(s, ZMQ_LINGER, c.linger.milliseconds, "ZMQ_LINGER")
        try ZMQ.setInt(s, ZMQ_RECONNECT_IVL, c.reconnectInterval.milliseconds, "ZMQ_RECONNECT_IVL")
        try ZMQ.setInt(s, ZMQ_RECONNECT_IVL_MAX, c.reconnectIntervalMax.milliseconds, "ZMQ_RECONNECT_IVL_MAX")
        try ZMQ.setInt(s, ZMQ_HEARTBEAT_IVL, c.heartbeatInterval.milliseconds, "ZMQ_HEARTBEAT_IVL")
        try ZMQ.setInt(s, ZMQ_HEARTBEAT_TIMEOUT, c.heartbeatTimeout.milliseconds, "ZMQ_HEARTBEAT_TIMEOUT")
        try ZMQ.setInt(s, ZMQ_HEARTBEAT_TTL, c.heartbeatTimeout.milliseconds, "ZMQ_HEARTBEAT_TTL")
    }

    // MARK: membership

    var consortium: Consortium { roster.withLock { $0.consortium } }

    func isOrWasPeer(_ p: PartyID) -> Bool {
        roster.withLock { r in r.lanes[p] != nil || r.removed.contains(p) }
    }

    func lane(for peer: PartyID) throws -> Lane {
        let (lane, removed, names) = roster.withLock { r in (r.lanes[peer], r.removed.contains(peer), r.consortium.names) }
        if let lane { return lane }
        if removed {
            throw NetError(
                .unknownPeer,
                "\(peer) was removed from the consortium; nothing is sent to it any more (members: \(names))")
        }
        throw NetError(.unknownPeer, "\(peer) is not another member of the consortium; members: \(names)")
    }

    /// Applies a new membership (the caller checked that it lists this party with its key).
    /// Returns the names that are no longer members.
    func update(_ new: Consortium) throws -> [PartyID] {
        let c = config
        let (added, retired, gone): ([Consortium.Member], [Lane], [PartyID]) = try roster.withLock { r in
            if r.closed { throw NetError(.closed, "the mesh of \(c.name) is closed") }
            var lanes = r.lanes
            var fresh: [Lane] = []
            // Sockets first: if one cannot be made, nothing changes.
            do {
                for m in new.members where m.name != c.name && lanes[m.name]?.member != m {
                    let (s, monitor) = try Self.pushSocket(context, to: m, c)
                    fresh.append(Lane(member: m, socket: s, monitor: monitor, backoff: c.reconnectInterval))
                }
            } catch {
                for l in fresh {
                    _ = l.state.withLock { zmq_close($0.socket) }
                    l.monitor.close()
                }
                throw error
            }
            var retired: [Lane] = []
            for (name, lane) in lanes where new.member(named: name) != lane.member {
                retired.append(lane)
                lanes[name] = nil
            }
            for l in fresh { lanes[l.member.name] = l }
            // Refused at once; the I/O thread closes their sockets.
            for l in retired { l.state.withLock { $0.removed = true } }
            r.retiring += retired
            let gone = r.consortium.names.filter { $0 != c.name && new.member(named: $0) == nil }
            r.removed.formUnion(gone)
            r.removed.subtract(new.names)
            r.consortium = new
            r.lanes = lanes
            r.generation += 1
            return (fresh.map(\.member), retired, gone)
        }
        if !added.isEmpty || !retired.isEmpty {
            logger.notice(
                "consortium changed",
                metadata: [
                    "connected": "\(added.map(\.name.name))", "disconnected": "\(retired.map(\.member.name.name))",
                    "members": "\(new.names.map(\.name))",
                ])
        }
        signal()
        return gone
    }

    /// Closes the lane of a member that left, on the I/O thread: queued messages are dropped
    /// (logged), waiting senders fail, the sockets are closed.
    private func retire(_ lane: Lane) {
        let name = lane.member.name
        let (waiters, dropped): ([SendWaiter], Int) = lane.state.withLock { s in
            if s.closed { return ([], 0) }
            s.closed = true
            s.removed = true
            var out: [SendWaiter] = []
            while let w = s.waiters.popFirst() { out.append(w) }
            let dropped = s.pending.count
            s.pending = FIFO()
            zmq_close(s.socket)
            return (out, dropped)
        }
        lane.monitor.close()
        if dropped > 0 {
            logger.warning(
                "dropped queued messages: their recipient left the consortium",
                metadata: ["peer": "\(name)", "count": "\(dropped)"])
        }
        for w in waiters {
            w.continuation.resume(throwing: NetError(
                .unknownPeer, "\(name) was removed from the consortium while a send to it waited"))
        }
    }

    // MARK: callers' side

    func enqueue(_ item: Outgoing, on lane: Lane, timeout: Duration) async throws {
        var item = item
        item.deadline = .now + timeout
        enum Admit { case done, queued, full(UInt64), closed, removed }
        let admit: Admit = lane.state.withLock { s in
            if s.removed { return .removed }
            if s.closed { return .closed }
            // Queue behind anything already waiting, so per-peer order is kept.
            if s.pending.isEmpty && s.waiters.isEmpty {
                if send(item, on: s.socket) { return .done }
                s.pending.append(item)
                return .queued
            }
            if s.pending.count < config.sendQueueLimit && s.waiters.isEmpty {
                s.pending.append(item)
                return .queued
            }
            return .full(nextWaiterID.withLock { id in
                defer { id += 1 }
                return id
            })
        }
        switch admit {
        case .done: return
        case .closed: throw NetError(.closed, "the mesh of \(config.name) is closed")
        case .removed: throw NetError(.unknownPeer, "\(item.peer) was removed from the consortium; nothing is sent to it any more")
        case .queued: signal()
        case .full(let id): try await waitForRoom(id: id, item: item, lane: lane, timeout: timeout)
        }
    }

    /// `enqueue`'s first case only: sent now, or nothing done.
    func trySend(_ item: Outgoing, on lane: Lane) -> Bool {
        lane.state.withLock { s in
            guard !s.removed, !s.closed, s.pending.isEmpty, s.waiters.isEmpty else { return false }
            return send(item, on: s.socket)
        }
    }

    private func waitForRoom(id: UInt64, item: Outgoing, lane: Lane, timeout: Duration) async throws {
        let peerName = item.peer
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
                let failure: NetError? = lane.state.withLock { s in
                    if s.removed { return NetError(.unknownPeer, "\(peerName) was removed from the consortium") }
                    if s.closed { return NetError(.closed, "the mesh of \(config.name) is closed") }
                    if s.cancelledEarly.remove(id) != nil {
                        return NetError(.cancelled, "send to \(peerName) was cancelled")
                    }
                    s.waiters.append(SendWaiter(id: id, item: item, continuation: c))
                    return nil
                }
                if let failure { c.resume(throwing: failure); return }
                signal()
                // Not cancelled on admission: firing then finds no waiter and does nothing.
                _ = DeadlineTimer.shared.schedule(at: .now + timeout) { [self] in
                    failWaiter(id, lane: lane, NetError(
                        .timeout,
                        "\(peerName) did not take messages for \(timeout) (send queue full); it may be down"))
                }
            }
        } onCancel: {
            failWaiter(id, lane: lane, NetError(.cancelled, "send to \(peerName) was cancelled"), early: true)
        }
    }

    private func failWaiter(_ id: UInt64, lane: Lane, _ error: NetError, early: Bool = false) {
        let w: SendWaiter? = lane.state.withLock { s in
            var rest = FIFO<SendWaiter>()
            var found: SendWaiter?
            while let w = s.waiters.popFirst() {
                if w.id == id { found = w } else { rest.append(w) }
            }
            s.waiters = rest
            if found == nil && early { s.cancelledEarly.insert(id) }
            return found
        }
        w?.continuation.resume(throwing: error)
    }

    private func signal() {
        var b: UInt8 = 1
        // A full pipe already means "wake up"; EAGAIN is fine.
        _ = write(wakeWrite, &b, 1)
    }

    func stop() {
        let first = stopOnce.withLock { done in
            defer { done = true }
            return !done
        }
        guard first else { return }
        stopping.withLock { $0 = true }
        signal()
        // Closing from a task running on the I/O thread itself: it cannot wait for itself;
        // the loop sees `stopping` when that task returns.
        let onIOThread = executor.isIOThread
        if !onIOThread { done.wait() }
    }

    // MARK: the I/O thread

    private func run() {
        executor.adopt()
        var items: [zmq_pollitem_t] = []
        // Retry interval for messages ZeroMQ could not take (peer at its high-water mark):
        // short while they drain, backing off while a peer stays stuck.
        var retryMs = 1
        while true {
            items.removeAll(keepingCapacity: true)
            items.append(zmq_pollitem_t(socket: nil, fd: wakeRead, events: Int16(ZMQ_POLLIN), revents: 0))
            items.append(zmq_pollitem_t(socket: zap, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            items.append(zmq_pollitem_t(socket: pull, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            items.append(zmq_pollitem_t(socket: pullMonitor.pair, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            refreshView()
            // Before the poll items are built: a redial replaces a lane's monitor socket.
            let redialIn = redialDue()
            let lanes = view.lanes
            for lane in lanes {
                items.append(zmq_pollitem_t(socket: lane.monitor.pair, fd: 0, events: Int16(ZMQ_POLLIN), revents: 0))
            }
            let (anyPending, progressed) = flushLanes()
            retryMs = progressed ? 1 : min(retryMs * 2, 50)
            var timeout = anyPending ? retryMs : -1
            if let redialIn { timeout = timeout < 0 ? redialIn : min(timeout, redialIn) }
            // Incomplete messages are checked for expiry at least once a second.
            if !assemblies.isEmpty { timeout = timeout < 0 ? 1000 : min(timeout, 1000) }
            // Jobs this thread queued itself (the send waiters `flushLanes` admitted) wrote no
            // wake-up: look and come back at once.
            if executor.hasQueued { timeout = 0 }
            let rc = zmq_poll(&items, Int32(items.count), timeout)
            if rc < 0 {
                if zmq_errno() == EINTR { continue }
                logger.error("zmq_poll failed: \(ZMQ.lastError()); I/O thread stops")
                break
            }
            if items[0].revents != 0 {
                var buf = [UInt8](repeating: 0, count: 256)
                while read(wakeRead, &buf, buf.count) > 0 {}
            }
            if items[1].revents & Int16(ZMQ_POLLIN) != 0 { serveZAP() }
            // Events before messages: a connection that ended and a new one given the same
            // descriptor (after a handshake that needed the ZAP reply above) are then told apart.
            if items[3].revents & Int16(ZMQ_POLLIN) != 0 { serverEvents() }
            if items[2].revents & Int16(ZMQ_POLLIN) != 0 { drainInbound() }
            for (i, lane) in lanes.enumerated() where items[4 + i].revents & Int16(ZMQ_POLLIN) != 0 {
                laneEvents(lane)
            }
            expireAssemblies()
            executor.runQueued()
            if stopping.withLock({ $0 }) { break }
        }
        shutdown()
    }

    /// Picks up a membership change: the lanes to flush, the keys ZAP admits, and the open
    /// inbound connections of members that left, which are cut (libzmq offers no call to
    /// drop one connection of a bound socket; shutting its descriptor down makes libzmq close
    /// it as if the peer had).
    private func refreshView() {
        let current: (UInt64, Consortium, [Lane], [Lane])? = roster.withLock { r in
            if r.generation == view.generation { return nil }
            defer { r.retiring = [] }
            return (r.generation, r.consortium, r.lanes.values.sorted { $0.member.name < $1.member.name }, r.retiring)
        }
        guard let (generation, consortium, lanes, retiring) = current else { return }
        view = (generation, consortium, lanes)
        for lane in retiring { retire(lane) }
        for (fd, key) in connections where !admits(key) {
            cut(fd, key: key, why: "its key is no longer a consortium member")
        }
    }

    /// Handshake outcomes of a lane: a refusal schedules a redial (see `laneEvents`); the end
    /// of a connection that was up is counted and logged.
    private func laneEvents(_ lane: Lane) {
        for e in lane.monitor.drain() {
            if e.event == ZMQ_EVENT_HANDSHAKE_SUCCEEDED {
                lane.backoff = config.reconnectInterval
                lane.redialAt = nil
                lane.connected = true
            } else if e.event == ZMQ_EVENT_DISCONNECTED {
                // libzmq reports one after every failed handshake too; those are not losses.
                guard lane.connected else { continue }
                lane.connected = false
                if leaving.withLock({ $0.contains(lane.member.name.name) }) {
                    logger.debug("a peer that said goodbye closed its connection", metadata: ["peer": "\(lane.member.name)"])
                    continue
                }
                stats.withLock { $0.connectionsLost += 1 }
                dropLog.warning(
                    "lost the connection to a peer", "ZeroMQ redials it; " + lossDetail,
                    metadata: ["peer": "\(lane.member.name)", "endpoint": "\(lane.member.endpoint)"])
            } else if lane.redialAt == nil {
                lane.redialAt = .now + lane.backoff
                dropLog.warning(
                    "handshake with a peer failed", "will redial in \(lane.backoff) (\(Self.describe(e)))",
                    metadata: ["peer": "\(lane.member.name)"])
                lane.backoff = min(lane.backoff * 2, max(config.reconnectIntervalMax, config.reconnectInterval))
            }
        }
    }

    /// Redials the lanes whose time has come; returns milliseconds until the next one.
    private func redialDue() -> Int? {
        let now = ContinuousClock.now
        var next: Duration?
        for lane in view.lanes {
            guard let at = lane.redialAt else { continue }
            if at > now {
                next = min(next ?? (at - now), at - now)
                continue
            }
            lane.redialAt = nil
            do {
                let (socket, monitor) = try Self.pushSocket(context, to: lane.member, config)
                let replaced: Bool = lane.state.withLock { s in
                    if s.closed { return false }
                    // What ZeroMQ still held for the refused connection is lost with it; Tacit's
                    // own queue (`pending`) carries over.
                    zmq_close(s.socket)
                    s.socket = socket
                    return true
                }
                if replaced {
                    lane.monitor.close()
                    lane.monitor = monitor
                    lane.connected = false
                } else {
                    zmq_close(socket)
                    monitor.close()
                }
            } catch {
                logger.error("cannot redial \(lane.member.name): \(error)")
                lane.redialAt = now + lane.backoff
            }
        }
        return next.map { max(1, $0.milliseconds) }
    }

    /// Events of this party's bound socket. Handshakes that failed before the ZAP allow-list
    /// was asked (wrong mechanism, a CURVE handshake that did not decrypt) are logged and
    /// counted here, since nothing else sees them; refusals by the allow-list itself are
    /// logged by `serveZAP`. Connections that ended after their handshake are counted and
    /// logged as lost.
    private func serverEvents() {
        for e in pullMonitor.drain() {
            let failed = e.event == ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL || e.event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL
            defer { lastInboundEventFailed = failed }
            switch e.event {
            case ZMQ_EVENT_HANDSHAKE_SUCCEEDED:
                inboundEstablished += 1
            case ZMQ_EVENT_ACCEPTED:
                let fd = Int32(bitPattern: e.value)
                endedFDs.remove(fd)
                cutFDs.remove(fd)
                connections[fd] = nil
            case ZMQ_EVENT_DISCONNECTED:
                inboundEnded(Int32(bitPattern: e.value), afterFailedHandshake: lastInboundEventFailed)
            case _ where failed:
                stats.withLock { $0.handshakesFailed += 1 }
                dropLog.warning(
                    "refused connection before the allow-list", Self.describe(e),
                    metadata: ["bound": "\(boundEndpoint)"])
            default:
                break
            }
        }
    }

    /// An inbound connection on `fd` ended. It was lost if its handshake had succeeded and
    /// this party did not cut it: known by its key if it delivered a message, otherwise
    /// inferred from the count of established connections (a disconnect after a refusal by
    /// ZAP is reported without a failure event just before it).
    private func inboundEnded(_ fd: Int32, afterFailedHandshake: Bool) {
        endedFDs.insert(fd)
        if cutFDs.remove(fd) != nil {
            inboundEstablished = max(0, inboundEstablished - 1)
            return
        }
        if let key = connections.removeValue(forKey: fd) {
            inboundEstablished = max(0, inboundEstablished - 1)
            let name = view.consortium.member(withKey: key).map { "\($0.name)" } ?? "key \(key.z85)"
            if let member = view.consortium.member(withKey: key), leaving.withLock({ $0.contains(member.name.name) }) {
                logger.debug("a peer that said goodbye closed its inbound connection", metadata: ["peer": "\(name)"])
                return
            }
            stats.withLock { $0.connectionsLost += 1 }
            dropLog.warning(
                "lost an inbound connection", "the peer redials it; " + lossDetail, metadata: ["peer": "\(name)"])
            return
        }
        guard !afterFailedHandshake, inboundEstablished > connections.count else { return }
        inboundEstablished -= 1
        stats.withLock { $0.connectionsLost += 1 }
        dropLog.warning(
            "lost an inbound connection",
            "which peer is not known (the connection had delivered no whole message); the peer redials it; " + lossDetail,
            metadata: ["peer": "unknown", "bound": "\(boundEndpoint)"])
    }

    /// Why a connection may have ended and what to do; the same for both ends.
    private var lossDetail: String {
        "messages in flight on it were lost. The peer closed or died, the link failed, or a heartbeat timed out: "
            + "a single message that takes longer than heartbeatTimeout (\(config.heartbeatTimeout)) to cross is cut, "
            + "so over a slow link send large payloads in smaller pieces "
            + "(lower pieceSize, now \(config.pieceSize) bytes, on the sender)"
    }

    static func describe(_ e: SocketMonitor.Event) -> String {
        switch e.event {
        case ZMQ_EVENT_HANDSHAKE_FAILED_AUTH: return "refused by the peer's allow-list (ZAP status \(e.value))"
        case ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL: return "handshake failed (errno \(e.value))"
        case ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL:
            switch Int32(bitPattern: e.value) {
            case ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH:
                return "security mechanism mismatch (the client does not use CURVE, or uses it the other way round)"
            case ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC:
                return "CURVE handshake did not decrypt (the client used another server key)"
            default: return String(format: "ZMTP protocol error 0x%08x", e.value)
            }
        default: return "socket event \(e.event)"
        }
    }

    private func admits(_ key: CurvePublicKey) -> Bool {
        guard let m = view.consortium.member(withKey: key) else { return false }
        return m.name != config.name
    }

    private func cut(_ fd: Int32, key: CurvePublicKey, why: String) {
        connections[fd] = nil
        guard fd >= 0 else { return }
        // Its disconnect is this party's doing, counted here, not as a lost connection.
        cutFDs.insert(fd)
        endedFDs.insert(fd)
        #if canImport(Glibc)
        _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        #else
        _ = Darwin.shutdown(fd, SHUT_RDWR)
        #endif
        stats.withLock { $0.connectionsCut += 1 }
        logger.warning("cut an inbound connection: \(why)", metadata: ["key": "\(key.z85)"])
    }

    /// Hands queued messages to ZeroMQ, admits waiting senders, drops expired messages.
    /// Returns whether anything is still queued and whether anything moved.
    private func flushLanes() -> (pending: Bool, progressed: Bool) {
        var anyPending = false
        var progressed = false
        let now = ContinuousClock.now
        for lane in view.lanes {
            let (admitted, expired, still, moved): ([SendWaiter], Int, Bool, Bool) = lane.state.withLock { s in
                if s.closed || (s.pending.isEmpty && s.waiters.isEmpty) { return ([], 0, false, false) }
                var moved = false
                while let item = s.pending.first, send(item, on: s.socket) {
                    _ = s.pending.popFirst()
                    moved = true
                }
                var expired = 0
                while let first = s.pending.first, first.deadline <= now {
                    _ = s.pending.popFirst()
                    expired += 1
                }
                var admitted: [SendWaiter] = []
                while s.pending.count < config.sendQueueLimit, let w = s.waiters.popFirst() {
                    s.pending.append(w.item)
                    admitted.append(w)
                }
                return (admitted, expired, !s.pending.isEmpty || !s.waiters.isEmpty, moved)
            }
            for w in admitted { w.continuation.resume() }
            if expired > 0 {
                stats.withLock { $0.sendTimeouts += expired }
                logger.warning(
                    "dropped queued messages: peer did not take them in time",
                    metadata: ["peer": "\(lane.member.name)", "count": "\(expired)"])
            }
            anyPending = anyPending || still
            progressed = progressed || moved || !admitted.isEmpty
        }
        return (anyPending, progressed)
    }

    /// One multipart message, without blocking. false when the peer's queue is full.
    private func send(_ item: Outgoing, on socket: UnsafeMutableRawPointer) -> Bool {
        if let raw = item.raw {
            for (n, frame) in raw.enumerated() {
                let flags = ZMQ_DONTWAIT | (n < raw.count - 1 ? ZMQ_SNDMORE : 0)
                let rc = frame.withUnsafeBytes { zmq_send(socket, $0.baseAddress, $0.count, flags) }
                if rc < 0 { return n > 0 }
            }
            return true
        }
        let rc = item.header.withUnsafeBytes {
            zmq_send(socket, $0.baseAddress, $0.count, ZMQ_DONTWAIT | ZMQ_SNDMORE)
        }
        if rc < 0 {
            if zmq_errno() != EAGAIN {
                logger.error("send failed: \(ZMQ.lastError())", metadata: ["peer": "\(item.peer)"])
            }
            return false
        }
        // The header went in, so ZeroMQ takes the rest of the message whatever the HWM.
        var msg = zmq_msg_t()
        let storage = item.payload.storage
        let range = item.range ?? 0..<storage.count
        let base = storage.base + range.lowerBound
        if range.count > Self.zeroCopyThreshold {
            let hint = Unmanaged.passRetained(storage).toOpaque()
            zmq_msg_init_data(&msg, UnsafeMutableRawPointer(mutating: base), range.count, releasePayloadStorage, hint)
        } else {
            zmq_msg_init_size(&msg, range.count)
            if range.count > 0 { memcpy(zmq_msg_data(&msg), base, range.count) }
        }
        if zmq_msg_send(&msg, socket, 0) < 0 {
            logger.error("payload send failed: \(ZMQ.lastError())", metadata: ["peer": "\(item.peer)"])
            zmq_msg_close(&msg)
        }
        stats.withLock {
            $0.messagesSent += 1
            $0.bytesSent += range.count
        }
        return true
    }

    private func drainInbound() {
        // Bounded in frames, not messages, so a flood from one peer, or one message of a
        // million parts, cannot starve sends and ZAP for long.
        var budget = 4096
        while budget > 0 {
            let head = ZMessage()
            guard head.receive(from: pull, dontWait: true) else { return }
            var frames = 1
            var payloadMsg: ZMessage?
            var more = head.hasMore
            while more {
                let m = ZMessage()
                // The rest of a multipart message is already here: ZeroMQ delivers it whole, and
                // it must be read to the end before the next message. Parts beyond the second
                // are freed as soon as they are read.
                guard m.receive(from: pull, dontWait: false) else { break }
                frames += 1
                if frames == 2 { payloadMsg = m }
                more = m.hasMore
            }
            budget -= frames
            accept(head: head, payload: payloadMsg, frames: frames)
        }
    }

    private func accept(head: ZMessage, payload: ZMessage?, frames: Int) {
        func drop(_ kind: WritableKeyPath<MeshStats, Int>, _ why: String, _ sender: String) {
            stats.withLock { $0[keyPath: kind] += 1 }
            let category =
                switch kind {
                case \.oversizedDropped: "dropped incoming message (oversized)"
                case \.impersonationDropped: "dropped incoming message (sender)"
                case \.notMemberDropped: "dropped incoming message (not a member)"
                default: "dropped incoming message"
                }
            dropLog.warning(category, why, metadata: ["from": "\(sender)"])
        }
        // The ZAP handler sets the user id to the client's key (not its name), so a message on
        // a connection opened before a membership change is judged by today's membership.
        let key = head.property("User-Id").flatMap { $0.isEmpty ? nil : CurvePublicKey(trusted: $0) }
        let member = key.flatMap { view.consortium.member(withKey: $0) }
        let who = member?.name.name ?? key.map { "key \($0.z85)" } ?? head.property("Peer-Address") ?? "?"
        if let key {
            // A descriptor whose connection ended may already be another connection's.
            let fd = endedFDs.contains(head.sourceDescriptor) ? -1 : head.sourceDescriptor
            if fd >= 0, connections[fd] != key { connections[fd] = key }
            guard admits(key) else {
                drop(\.notMemberDropped, "the connection's key is not (or no longer) a consortium member", who)
                return cut(fd, key: key, why: "its key is no longer a consortium member")
            }
        }
        guard frames == 2, let payload else {
            return drop(\.malformedDropped, "expected 2 frames, got \(frames)", who)
        }
        let header: FrameHeader
        do {
            header = try head.withBytes { try FrameHeader.decode($0) }
        } catch let FrameHeader.DecodeError.malformed(why) {
            return drop(\.malformedDropped, why, who)
        } catch {
            return drop(\.malformedDropped, "undecodable header", who)
        }
        if config.security == .curve {
            guard let member, header.sender == member.name else {
                return drop(
                    \.impersonationDropped,
                    "claims to be from \(header.sender) but the connection is authenticated as \(member?.name.name ?? "nobody")",
                    who)
            }
        }
        guard header.sender != config.name, view.consortium.member(named: header.sender) != nil else {
            return drop(\.impersonationDropped, "sender \(header.sender) is not another member", who)
        }
        guard header.payloadLength <= UInt64(config.maxMessageSize) else {
            return drop(
                \.oversizedDropped, "payload of \(header.payloadLength) bytes exceeds maxMessageSize \(config.maxMessageSize)",
                who)
        }
        guard header.payloadLength == UInt64(payload.size) else {
            return drop(
                \.malformedDropped, "header says \(header.payloadLength) bytes, payload frame has \(payload.size)", who)
        }
        if payload.size > config.maxMessageSize {
            return drop(\.oversizedDropped, "payload frame exceeds maxMessageSize", who)
        }
        if let piece = header.piece { return assemble(header, piece, payload, who) }
        stats.withLock {
            $0.messagesReceived += 1
            $0.bytesReceived += payload.size
        }
        mailbox.deliver(
            payload.intoPayload(), for: MailboxKey(peer: header.sender, session: header.session, tag: header.tag))
    }

    /// One large message being put back together from its pieces. The pieces stay the
    /// ZeroMQ messages they arrived in until the last one is here, so memory follows what the
    /// peer actually sent, never the total it claims.
    struct Assembly {
        let session: SessionID
        let tag: Tag
        let total: Int
        var pieces: [ZMessage] = []
        var received = 0
        var lastPiece: ContinuousClock.Instant
    }

    /// Every piece is checked against the header's claims before anything is kept: the
    /// total within `maxMessageSize`, the piece within the total, pieces in order with no gap
    /// or overlap (one pipe per sender keeps them ordered), the same session, tag and total
    /// throughout, at most `maxAssembliesPerPeer` messages and `maxBytesPerPeer` bytes in
    /// progress per sender. A piece that fails drops its whole message.
    private func assemble(_ h: FrameHeader, _ p: FrameHeader.Piece, _ frame: ZMessage, _ who: String) {
        var mine = assemblies[h.sender] ?? [:]
        defer { assemblies[h.sender] = mine.isEmpty ? nil : mine }
        func reject(_ why: String, discard: Bool = true) {
            if discard { mine[p.messageID] = nil }
            stats.withLock { $0.piecesDropped += 1 }
            dropLog.warning("dropped a piece of a large message", why, metadata: ["from": "\(who)"])
        }
        let length = frame.size
        guard p.total <= UInt64(config.maxMessageSize) else {
            return reject("message of \(p.total) bytes exceeds maxMessageSize \(config.maxMessageSize)")
        }
        guard length > 0, p.offset <= p.total, UInt64(length) <= p.total - p.offset else {
            return reject("piece of \(length) bytes at \(p.offset) does not fit a message of \(p.total) bytes")
        }
        let (total, offset) = (Int(p.total), Int(p.offset))
        let inProgress = mine.values.reduce(0) { $0 + $1.received }
        let now = ContinuousClock.now
        var a: Assembly
        if let existing = mine[p.messageID] {
            a = existing
            guard a.session == h.session, a.tag == h.tag, a.total == total else {
                return reject("piece does not match its message's session, tag or length")
            }
            guard offset == a.received else {
                return reject("piece at \(offset) where \(a.received) was expected (gap or overlap)")
            }
        } else {
            guard offset == 0 else {
                return reject("piece at \(offset) of a message whose start was not received", discard: false)
            }
            guard mine.count < config.maxAssembliesPerPeer else {
                return reject(
                    "already \(mine.count) messages being reassembled from this peer (maxAssembliesPerPeer)", discard: false)
            }
            a = Assembly(session: h.session, tag: h.tag, total: total, lastPiece: now)
        }
        guard length <= config.mailboxLimits.maxBytesPerPeer - inProgress else {
            return reject("pieces in progress from this peer would exceed maxBytesPerPeer \(config.mailboxLimits.maxBytesPerPeer)")
        }
        stats.withLock { $0.bytesReceived += length }
        a.pieces.append(frame)
        a.received += length
        a.lastPiece = now
        guard a.received == total else {
            mine[p.messageID] = a
            return
        }
        mine[p.messageID] = nil
        let pieces = a.pieces
        let whole =
            pieces.count == 1
            ? pieces[0].intoPayload()
            : Payload(unsafeUninitializedCount: total) { buf in
                let out = UnsafeMutableRawBufferPointer(buf)
                var at = 0
                for m in pieces {
                    m.withBytes { UnsafeMutableRawBufferPointer(rebasing: out[at..<(at + $0.count)]).copyMemory(from: $0) }
                    at += m.size
                }
            }
        stats.withLock { $0.messagesReceived += 1 }
        mailbox.deliver(whole, for: MailboxKey(peer: h.sender, session: h.session, tag: h.tag))
    }

    /// Drops messages whose next piece is overdue, or whose sender left the consortium.
    private func expireAssemblies() {
        guard !assemblies.isEmpty else { return }
        let now = ContinuousClock.now
        for (sender, mine) in assemblies {
            let member = view.consortium.member(named: sender) != nil
            var kept = mine
            for (id, a) in mine where !member || now - a.lastPiece > config.pieceTimeout {
                kept[id] = nil
                stats.withLock { $0.assembliesExpired += 1 }
                dropLog.warning(
                    "dropped an incomplete large message",
                    member ? "no piece for \(config.pieceTimeout) after \(a.received) of \(a.total) bytes" : "its sender left the consortium",
                    metadata: ["from": "\(sender)"])
            }
            assemblies[sender] = kept.isEmpty ? nil : kept
        }
    }

    /// ZAP (RFC 27): admit a CURVE client only if its key is a current member's, and bind the
    /// key to the connection as its user id (`accept` maps it to today's member name).
    private func serveZAP() {
        while true {
            var frames: [[UInt8]] = []
            var more = true
            while more {
                let m = ZMessage()
                guard m.receive(from: zap, dontWait: frames.isEmpty) else {
                    if frames.isEmpty { return }
                    break
                }
                frames.append(m.withBytes { Array($0) })
                more = m.hasMore
            }
            // version, request id, domain, address, routing id, mechanism, credentials...
            var status = "400"
            var text = "not a consortium member"
            var userID = ""
            let requestID = frames.count > 1 ? frames[1] : []
            if frames.count >= 6, String(decoding: frames[0], as: UTF8.self) == "1.0" {
                let address = String(decoding: frames[3], as: UTF8.self)
                let mechanism = String(decoding: frames[5], as: UTF8.self)
                if mechanism == "CURVE", frames.count >= 7, frames[6].count == 32 {
                    let key = Self.z85(frames[6])
                    if let member = key.flatMap({ try? CurvePublicKey(z85: $0) }).flatMap({ view.consortium.member(withKey: $0) }),
                        member.name != config.name
                    {
                        status = "200"
                        text = "OK"
                        userID = member.publicKey.z85
                        logger.debug("admitted \(member.name)", metadata: ["address": "\(address)"])
                    } else {
                        stats.withLock { $0.connectionsRefused += 1 }
                        logger.warning(
                            "refused connection: CURVE key is not a consortium member",
                            metadata: ["address": "\(address)", "key": "\(key ?? "?")"])
                    }
                } else if mechanism == "NULL", config.security == .plainTCPInsecure {
                    status = "200"
                    text = "OK"
                } else {
                    stats.withLock { $0.connectionsRefused += 1 }
                    logger.warning(
                        "refused connection: mechanism \(mechanism) not allowed", metadata: ["address": "\(address)"])
                }
            } else {
                logger.error("malformed ZAP request; refusing")
            }
            let reply: [[UInt8]] = [Array("1.0".utf8), requestID, Array(status.utf8), Array(text.utf8), Array(userID.utf8), []]
            for (n, f) in reply.enumerated() {
                _ = f.withUnsafeBytes { zmq_send(zap, $0.baseAddress, $0.count, n < reply.count - 1 ? ZMQ_SNDMORE : 0) }
            }
        }
    }

    private static func z85(_ key: [UInt8]) -> String? {
        var out = [CChar](repeating: 0, count: 41)
        guard zmq_z85_encode(&out, key, key.count) != nil else { return nil }
        return String(cChars: out)
    }

    private func shutdown() {
        _ = flushLanes()
        let (lanes, retiring): ([Lane], [Lane]) = roster.withLock { r in
            r.closed = true
            defer { r.retiring = [] }
            return (Array(r.lanes.values), r.retiring)
        }
        for lane in retiring { retire(lane) }
        for lane in lanes {
            let waiters: [SendWaiter] = lane.state.withLock { s in
                if s.closed { return [] }
                s.closed = true
                var out: [SendWaiter] = []
                while let w = s.waiters.popFirst() { out.append(w) }
                if !s.pending.isEmpty {
                    logger.warning("closing with \(s.pending.count) messages ZeroMQ could not take")
                }
                zmq_close(s.socket)
                return out
            }
            lane.monitor.close()
            for w in waiters { w.continuation.resume(throwing: NetError(.closed, "the mesh of \(config.name) was closed")) }
        }
        zmq_close(pull)
        pullMonitor.close()
        zmq_close(zap)
        // Blocks up to the linger period while ZeroMQ flushes what was handed to it.
        zmq_ctx_term(context)
        close(wakeRead)
        close(wakeWrite)
        logger.info("mesh closed")
        executor.retire()
        done.signal()
    }
}

/// The mesh's I/O thread as a `TaskExecutor`: jobs are queued here and run by the I/O loop
/// between polls; enqueueing writes to the loop's wake-up pipe.
final class IOExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: state is in the Locked; `wakeFD` is immutable.
    private struct State {
        var jobs: [UnownedJob] = []
        var retired = false
        var thread: pthread_t?
    }
    private let state = Locked(State())
    private let wakeFD: Int32

    init(wakeFD: Int32) { self.wakeFD = wakeFD }

    func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        enum Where { case queued, queuedHere, retired }
        let outcome: Where = state.withLock { s in
            if s.retired { return .retired }
            s.jobs.append(unowned)
            // A job queued by the I/O thread itself (a message it delivered resumes a task
            // that prefers it) runs before the next poll anyway: no wake-up write, and no
            // extra poll it would cause, on the round trip's path.
            if Self.isCurrent(s.thread) { return .queuedHere }
            return .queued
        }
        switch outcome {
        case .queuedHere:
            break
        case .queued:
            var b: UInt8 = 1
            _ = write(wakeFD, &b, 1)
        case .retired:
            globalConcurrentExecutor.enqueue(ExecutorJob(unowned))
        }
    }

    var hasQueued: Bool { state.withLock { !$0.jobs.isEmpty } }

    /// The caller runs on the I/O thread (false before it started).
    var isIOThread: Bool { state.withLock { Self.isCurrent($0.thread) } }

    private static func isCurrent(_ t: pthread_t?) -> Bool { t.map { pthread_equal($0, pthread_self()) != 0 } ?? false }

    /// Called once by the I/O thread as it starts.
    func adopt() { state.withLock { $0.thread = pthread_self() } }

    /// On the I/O thread.
    func runQueued() {
        while true {
            let jobs: [UnownedJob] = state.withLock { s in
                defer { s.jobs.removeAll() }
                return s.jobs
            }
            if jobs.isEmpty { return }
            for job in jobs { job.runSynchronously(on: asUnownedTaskExecutor()) }
        }
    }

    /// The loop has ended: hand what is left, and everything later, to the global executor.
    func retire() {
        let left: [UnownedJob] = state.withLock { s in
            s.retired = true
            defer { s.jobs.removeAll() }
            return s.jobs
        }
        for job in left { globalConcurrentExecutor.enqueue(ExecutorJob(job)) }
    }
}
