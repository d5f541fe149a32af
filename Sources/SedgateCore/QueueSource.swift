// QueueSource: what the operator port's queue gauges, the alerts' queue rules and `sedgate queue shape` read from
// a journal (the SQLite one of a node, or the PostgreSQL one a CN cluster shares): the SEDs waiting to be sent
// (outbound: accepted or held) or forwarded (relay: stored or held), per destination.

/// One destination's queue: how many SEDs wait and since when the oldest does.
public struct QueueDepth: Sendable, Hashable {
    /// The `Direction` raw value (`out` or `relay`).
    public var direction: String
    public var peer: String
    public var depth: Int
    /// The oldest waiting SED's `createdAt`.
    public var oldest: String?

    public init(direction: String, peer: String, depth: Int, oldest: String?) {
        self.direction = direction
        self.peer = peer
        self.depth = depth
        self.oldest = oldest
    }
}

/// A journal whose queues can be looked at without taking them (no lease, no payload read).
public protocol QueueSource: Sendable {
    /// The queues with at least one SED waiting, ordered by direction and destination.
    func queueDepths() async throws(SedgateError) -> [QueueDepth]
    /// Every waiting SED as its destination (`direction/peer`) and its `createdAt`.
    func waitingSince() async throws(SedgateError) -> [(destination: String, since: String)]
}

/// A node's journal as the operations services read it.
public typealias OperationsJournal = MessageStore & QueueSource & StatisticsSource
