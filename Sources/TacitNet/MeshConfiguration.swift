public enum MeshLimits {
    /// 1 GiB: large enough for the 100 MB+ payloads of vector protocols, small enough that a
    /// member cannot make a node allocate without bound.
    public static let defaultMaxMessageSize = 1 << 30
}

/// What received messages may wait unread, per sending peer: a member can send messages for
/// sessions this party never reads (or has not started yet), and each costs memory until it
/// is read, its session ends, or it expires.
public struct MailboxLimits: Sendable, Equatable {
    /// Messages buffered from one peer; beyond it new ones are dropped. Each costs about
    /// 700 bytes of bookkeeping even when empty.
    public var maxMessagesPerPeer: Int = 65_536
    /// Payload bytes buffered from one peer; beyond it new messages are dropped. The default
    /// leaves room for one message of the default `maxMessageSize` and more.
    public var maxBytesPerPeer: Int = MeshLimits.defaultMaxMessageSize + (256 << 20)
    /// Messages of a session nobody has received from for this long are dropped: a session
    /// another party started that this one never joins must not keep its messages forever.
    /// Must exceed the time a party may take to join a job its peers already run.
    public var unreadSessionExpiry: Duration = .seconds(600)

    public init() {}
}

/// How the mesh protects its connections.
public enum TransportSecurity: Sendable, Equatable {
    /// CURVE encryption and mutual authentication; only consortium keys are admitted.
    case curve
    /// Unencrypted, unauthenticated TCP, for local experiments only: anyone who can reach the
    /// port can read, inject and impersonate. Logged loudly at start-up.
    case plainTCPInsecure
}

/// Everything a `ZeroMQMesh` needs. Defaults suit parties in different organisations over
/// the internet; tests shorten the timeouts.
public struct MeshConfiguration: Sendable {
    public var name: PartyID
    public var keyPair: CurveKeyPair
    public var consortium: Consortium
    public var security: TransportSecurity = .curve
    /// Where to bind; defaults to this party's consortium endpoint. Use e.g. `tcp://0.0.0.0:7100`
    /// when the listed address is a public or NAT address this host does not own.
    public var bindEndpoint: String?
    /// Largest payload accepted, in bytes, both when sending and when receiving.
    public var maxMessageSize: Int = MeshLimits.defaultMaxMessageSize
    /// ZeroMQ's per-connection queue limits, in messages.
    public var sendHighWaterMark: Int = 1000
    public var receiveHighWaterMark: Int = 1000
    /// Messages per peer that `send` may queue inside Tacit (beyond ZeroMQ's queue) before
    /// it suspends: back-pressure towards a slow or dead peer.
    public var sendQueueLimit: Int = 1024
    /// How long closing waits to flush unsent messages.
    public var linger: Duration = .seconds(2)
    public var reconnectInterval: Duration = .milliseconds(100)
    public var reconnectIntervalMax: Duration = .seconds(5)
    /// ZMTP heartbeats, so a peer that vanished without closing TCP is noticed and redialled.
    public var heartbeatInterval: Duration = .seconds(2)
    public var heartbeatTimeout: Duration = .seconds(10)
    /// Timeout of `receive` calls that give none, and of `send` waiting for queue space.
    public var defaultTimeout: Duration = .seconds(60)
    public var mailboxLimits = MailboxLimits()
    /// Payloads larger than this travel as pieces of this size, reassembled by the receiver:
    /// libzmq does not count a half-received message as traffic, so one message that takes
    /// longer than `heartbeatTimeout` to arrive (1 GiB over a slow link) would be cut.
    public var pieceSize: Int = 1 << 20
    /// A message whose next piece does not arrive within this is dropped (counted, logged).
    public var pieceTimeout: Duration = .seconds(60)
    /// Messages being reassembled from one peer at a time; a piece that would start one more
    /// is dropped. Their received bytes also count against `mailboxLimits.maxBytesPerPeer`.
    public var maxAssembliesPerPeer: Int = 4

    public init(name: PartyID, keyPair: CurveKeyPair, consortium: Consortium) {
        self.name = name
        self.keyPair = keyPair
        self.consortium = consortium
    }
}

/// Counters of what the mesh did and refused. Drops are never silent: each is counted here
/// and logged (without payload contents).
public struct MeshStats: Sendable, Equatable, CustomStringConvertible {
    public var messagesSent = 0
    public var bytesSent = 0
    public var messagesReceived = 0
    public var bytesReceived = 0
    /// Frames that failed validation (wrong frame count, bad header, length mismatch).
    public var malformedDropped = 0
    /// Messages whose payload exceeded `maxMessageSize`.
    public var oversizedDropped = 0
    /// Messages whose claimed sender differed from the authenticated one, or named a non-member.
    public var impersonationDropped = 0
    /// Messages for sessions already ended.
    public var lateDropped = 0
    /// Messages dropped because their sender already had `MailboxLimits` messages or bytes
    /// waiting unread.
    public var overLimitDropped = 0
    /// Unread messages dropped because nobody received from their session for
    /// `unreadSessionExpiry`.
    public var expiredDropped = 0
    /// Outgoing messages dropped because a peer did not take them before the timeout.
    public var sendTimeouts = 0
    /// Connection attempts refused by the ZAP allow-list.
    public var connectionsRefused = 0
    /// Messages on a connection whose key is no longer a member (it left the consortium).
    public var notMemberDropped = 0
    /// Open inbound connections cut because their member left the consortium.
    public var connectionsCut = 0
    /// Pieces of large messages that were inconsistent (unknown or reused message id, gap or
    /// overlap, another session, tag or total), over a limit, or for a message dropped
    /// earlier; the whole message is dropped with them.
    public var piecesDropped = 0
    /// Messages whose next piece did not arrive within `pieceTimeout`.
    public var assembliesExpired = 0
    /// Inbound handshakes that failed before the allow-list was asked: wrong security
    /// mechanism, or a CURVE handshake under another server key.
    public var handshakesFailed = 0
    /// Established connections that ended without this party closing them: the peer
    /// closed or died, the link failed, or a heartbeat timed out (one message that takes
    /// longer than `heartbeatTimeout` to cross is cut). Counted at each end, once per
    /// connection: on a lane towards a peer and on the bound socket for a peer's lane.
    /// ZeroMQ redials; a message in flight on the connection is lost.
    public var connectionsLost = 0

    public init() {}

    public var description: String {
        "sent=\(messagesSent) received=\(messagesReceived) malformed=\(malformedDropped) "
            + "oversized=\(oversizedDropped) impersonation=\(impersonationDropped) late=\(lateDropped) "
            + "overLimit=\(overLimitDropped) expired=\(expiredDropped) "
            + "sendTimeouts=\(sendTimeouts) refused=\(connectionsRefused) notMember=\(notMemberDropped) "
            + "cut=\(connectionsCut) handshakeFailed=\(handshakesFailed) piecesDropped=\(piecesDropped) "
            + "assembliesExpired=\(assembliesExpired) lost=\(connectionsLost)"
    }
}

extension Duration {
    var milliseconds: Int {
        let (s, atto) = components
        let ms = s.multipliedReportingOverflow(by: 1000)
        if ms.overflow { return Int.max }
        return Int(ms.partialValue) + Int(atto / 1_000_000_000_000_000)
    }
}
