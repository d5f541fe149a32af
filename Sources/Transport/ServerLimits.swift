// ServerLimits: what one peer, and all peers together, may hold of a node's protocol server (connections, time,
// memory), so that idle or hostile connections can neither lock others out nor exhaust the node.

/// The bounds a `ProtocolServer` keeps on its connections and the request bodies it holds (`[server]` in a node's
/// configuration).
public struct ServerLimits: Sendable, Equatable {
    /// The largest request body accepted; a larger one is refused with 413 and its connection closed unread.
    public var maximumBodyBytes: Int
    /// The request bytes all connections together may hold in memory at once; over it a request is answered 503
    /// with `Retry-After` (back-pressure) before its body is read.
    public var maximumBufferedBytes: Int
    /// Open connections in all; at the cap the node stops accepting (new ones wait in the listen backlog).
    public var maximumConnections: Int
    /// Open connections from one remote address; one more is closed at once.
    public var maximumConnectionsPerPeer: Int
    /// Time a new connection has to complete its TLS handshake.
    public var handshakeTimeout: Duration
    /// Time a connection may stay without a request, or stall while sending one, before it is closed.
    public var idleTimeout: Duration

    /// The defaults: 64 MiB bodies, 256 MiB held at once, 512 connections (64 per peer), 10 s to shake hands,
    /// 60 s idle.
    public init(
        maximumBodyBytes: Int = 64 << 20, maximumBufferedBytes: Int = 256 << 20, maximumConnections: Int = 512,
        maximumConnectionsPerPeer: Int = 64, handshakeTimeout: Duration = .seconds(10),
        idleTimeout: Duration = .seconds(60)
    ) {
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumBufferedBytes = maximumBufferedBytes
        self.maximumConnections = maximumConnections
        self.maximumConnectionsPerPeer = maximumConnectionsPerPeer
        self.handshakeTimeout = handshakeTimeout
        self.idleTimeout = idleTimeout
    }
}
