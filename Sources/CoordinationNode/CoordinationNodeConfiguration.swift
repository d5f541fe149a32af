// CoordinationNodeConfiguration: everything one coordination node needs to run, already validated.

public import ClusterStore
public import SedgateCore
public import Spool
public import Transport

/// The settings of one coordination node.
public struct CoordinationNodeConfiguration: Sendable {
    public var node: NodeID
    /// The spool root; the CN keeps only its internal queue (`var/`) there.
    public var spool: SpoolLayout
    public var host: String
    public var port: Int
    public var tls: TLSFiles
    /// What peers' connections may hold of the protocol server (`[server]`).
    public var serverLimits = ServerLimits()
    /// The access points this CN talks to, and their base URLs (`https://host:port`).
    public var peers: [NodeID: String]
    public var routes: any RouteLookup
    public var retryInitial: Duration
    public var retryMaximum: Duration
    /// How long a SED may wait at the CN for its destination before it fails as expired (the tender: a month).
    public var lifetime: Duration
    /// When to refuse new SEDs with back-pressure (queue depth of SEDs waiting to be forwarded, free disk).
    public var capacity: Capacity

    /// How many SEDs go into one compound message when forwarding or answering a pull.
    public var packing: PackingLimits
    /// How long a finished SED is remembered (and a duplicate of it recognised) before it is forgotten.
    public var retention: Duration
    /// Extra routes the protocol server answers besides messages (the directory's master and search).
    public var protocolExtensions: [any ProtocolExtension] = []
    /// The PostgreSQL database this CN shares with the other processes of its cluster (`[cluster]`); nil keeps the
    /// journal in the spool's SQLite file.
    public var cluster: ClusterSettings?

    public init(
        node: NodeID, spool: SpoolLayout, host: String, port: Int, tls: TLSFiles, peers: [NodeID: String],
        routes: any RouteLookup, retryInitial: Duration = .milliseconds(250), retryMaximum: Duration = .seconds(30),
        capacity: Capacity = Capacity(), lifetime: Duration = .seconds(30 * 86_400), packing: PackingLimits = .init(),
        retention: Duration = .seconds(90 * 86_400)
    ) {
        self.retention = retention
        self.packing = packing
        self.node = node
        self.spool = spool
        self.host = host
        self.port = port
        self.tls = tls
        self.peers = peers
        self.routes = routes
        self.retryInitial = retryInitial
        self.retryMaximum = retryMaximum
        self.capacity = capacity
        self.lifetime = lifetime
    }
}
