// MessageStore+Interaction: the journal read by interaction (ASYNC or SYNC), for a store that has no faster way.
// The SQLite journal answers these with one query each (Journal+Interaction.swift); these defaults read every row.

extension MessageStore {
    /// Filters `records(_:in:peer:limit:)`: correct for any store, but it reads the whole queue.
    public func records(
        _ direction: Direction, in state: SEDState, peer: NodeID?, interaction: Interaction, limit: Int
    ) async throws(SedgateError) -> [MessageRecord] {
        Array(
            try await records(direction, in: state, peer: peer, limit: Int.max).filter {
                $0.envelope.interaction == interaction
            }.prefix(limit))
    }

    /// Reads every state's rows: correct for any store, but slow; a store should answer it with one query.
    public func records(
        _ direction: Direction, interaction: Interaction, after seq: Int64, limit: Int
    ) async throws(SedgateError) -> [MessageRecord] {
        var found: [MessageRecord] = []
        for state in SEDState.allCases {
            found += try await records(direction, in: state, peer: nil, limit: Int.max).filter {
                $0.seq > seq && $0.envelope.interaction == interaction
            }
        }
        return Array(found.sorted { $0.seq < $1.seq }.prefix(limit))
    }
}
