// StatisticsSource: what the statistics harvest reads from a journal (the SQLite one of a node, or the PostgreSQL
// one a CN cluster shares): the SEDs whose history grew since a watermark (an event id), each with its envelope,
// current state and the first time of each state it reached.

/// One SED the journal changed, as the statistics harvest copies it.
public struct HarvestedChange: Sendable, Hashable {
    public var sedId: String
    /// The `Direction` raw value.
    public var direction: String
    public var state: String
    public var peer: String
    public var origin: String
    /// The envelope as the journal keeps it (JSON).
    public var envelope: String
    public var size: Int64
    public var createdAt: String
    /// The first time (journal timestamp) of each state the SED reached, by state raw value.
    public var times: [String: String]

    public init(
        sedId: String, direction: String, state: String, peer: String, origin: String, envelope: String, size: Int64,
        createdAt: String, times: [String: String]
    ) {
        self.sedId = sedId
        self.direction = direction
        self.state = state
        self.peer = peer
        self.origin = origin
        self.envelope = envelope
        self.size = size
        self.createdAt = createdAt
        self.times = times
    }
}

/// A journal the statistics can be harvested from.
public protocol StatisticsSource: Sendable {
    /// The SEDs whose history has an event id above `watermark`, at most `limit` of them in the order of their
    /// last event; `latest` is the watermark to give next time (the highest event id read, or `watermark` when
    /// none); `more` tells that the limit cut the list. SEDs without a journal row (refused at intake) are left
    /// out. A source may return again some SEDs at or below the watermark: the harvest rewrites them the same.
    func changes(
        after watermark: Int64, limit: Int
    ) async throws(SedgateError)
        -> (rows: [HarvestedChange], latest: Int64, more: Bool)
}
