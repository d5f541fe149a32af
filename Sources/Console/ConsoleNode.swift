// ConsoleNode: what the console needs of its node, given by the executable that composes it: the node's facts and
// stores, and the operator actions (queue hold, release, expire, retry, manual routing; directory changes), which the
// CLI verbs also run, so a console action and a CLI action have the same effect.

public import Directory
public import Operations
public import SedgateCore
public import Store

/// The operator actions on one node's queues, as closures over the CLI's own implementation.
public struct QueueActions: Sendable {
    /// Keeps a waiting SED from being sent or forwarded; returns the answer to show.
    public var hold: @Sendable (SEDID) async throws(SedgateError) -> String
    /// Sends a held SED on.
    public var release: @Sendable (SEDID) async throws(SedgateError) -> String
    /// Gives up on a waiting or held SED.
    public var expire: @Sendable (SEDID) async throws(SedgateError) -> String
    /// Retries everything that waits, now.
    public var retry: @Sendable () async throws(SedgateError) -> String
    /// Manual routing at an access point (nil at a CN): hands a SED in manual/ to a channel (`inbound` or
    /// `inbound/<folder>`).
    public var forward: (@Sendable (SEDID, String) async throws(SedgateError) -> String)?
    /// Refuses a SED in manual/ with a reason (AP only).
    public var reject: (@Sendable (SEDID, String) async throws(SedgateError) -> String)?
    /// Returns a SED in manual/ to its sender with a reason (AP only).
    public var returnToSender: (@Sendable (SEDID, String) async throws(SedgateError) -> String)?
    /// The SEDs waiting in manual/ (AP only): id, since, file.
    public var manual: (@Sendable () async throws(SedgateError) -> [(sedId: SEDID, since: String, file: String)])?

    public init(
        hold: @escaping @Sendable (SEDID) async throws(SedgateError) -> String,
        release: @escaping @Sendable (SEDID) async throws(SedgateError) -> String,
        expire: @escaping @Sendable (SEDID) async throws(SedgateError) -> String,
        retry: @escaping @Sendable () async throws(SedgateError) -> String
    ) {
        self.hold = hold
        self.release = release
        self.expire = expire
        self.retry = retry
    }
}

/// Directory maintenance as the node does it: the CN applies to its master, an AP asks the CN.
public struct DirectoryAccess: Sendable {
    /// The node's copy of the directory.
    public var store: DirectoryStore
    /// Applies changes as `who` for `why`; returns the directory serial after them.
    public var apply: @Sendable ([DirectoryProposal], _ who: String, _ why: String) async throws(SedgateError) -> Int64
    /// Whether this node holds the master (the CN: every country); an AP changes its own countries' entries.
    public var isMaster: Bool
    /// The node's id: an AP's countries are those its own directory entry lists.
    public var node: String

    public init(
        store: DirectoryStore,
        apply: @escaping @Sendable ([DirectoryProposal], String, String) async throws(SedgateError) -> Int64,
        isMaster: Bool, node: String
    ) {
        self.store = store
        self.apply = apply
        self.isMaster = isMaster
        self.node = node
    }

    /// The countries whose entries this node may change: nil at the CN (every one); at an AP, the countries its
    /// directory entry lists (read each time: the replica may learn them after the node starts).
    public var countries: Set<String>? {
        if isMaster { return nil }
        return Set((try? store.entry(node))??.fields["country"] ?? [])
    }
}

/// Everything the console serves from.
public struct ConsoleNode: Sendable {
    public var context: NodeContext
    public var journal: Journal
    public var users: ConsoleStore
    public var queue: QueueActions
    /// nil when the node has no directory (no conversions folder).
    public var directory: DirectoryAccess?
    /// `[operator-peers]`: the other nodes' operator ports, for a SED's trace across the network.
    public var operatorPeers: [String: String]

    public init(
        context: NodeContext, journal: Journal, users: ConsoleStore, queue: QueueActions,
        directory: DirectoryAccess?, operatorPeers: [String: String]
    ) {
        self.context = context
        self.journal = journal
        self.users = users
        self.queue = queue
        self.directory = directory
        self.operatorPeers = operatorPeers
    }

    /// `<spool>/var/console.sqlite`.
    public static func databasePath(varDirectory: String) -> String { varDirectory + "/console.sqlite" }
}
