// ClusterJournal+Interaction: the cluster journal's queues read by interaction (ASYNC or SYNC), one query each, as
// the SQLite journal's `Journal+Interaction` does; they stand in for `MessageStore`'s slow defaults (which read a
// whole queue) once the synchronous lanes are merged. Reading a destination's queue of stored SEDs needs its lease.

import Foundation
import PostgresNIO
public import SedgateCore

extension ClusterJournal {
    public func records(
        _ direction: Direction, in state: SEDState, peer: NodeID?, interaction: Interaction, limit: Int
    ) async throws(SedgateError) -> [MessageRecord] {
        let queue = direction == .relay && state == .stored
        if queue, let peer, !(try await holdLease(peer)) { return [] }
        let sync = interaction == .sync
        let records = try await read("list \(direction.rawValue) \(interaction.rawValue) SEDs in \(state)") {
            connection in
            let rows =
                if let peer {
                    try await connection.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM cn_message
                        WHERE direction = \(direction.rawValue) AND state = \(state.rawValue) AND peer = \(peer.rawValue)
                          AND ((envelope::jsonb ->> 'interaction') IS NOT DISTINCT FROM 'SYNC') = \(sync)
                        ORDER BY seq LIMIT \(limit)
                        """, logger: self.logger)
                } else {
                    try await connection.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM cn_message
                        WHERE direction = \(direction.rawValue) AND state = \(state.rawValue)
                          AND ((envelope::jsonb ->> 'interaction') IS NOT DISTINCT FROM 'SYNC') = \(sync)
                        ORDER BY seq LIMIT \(limit)
                        """, logger: self.logger)
                }
            var result: [MessageRecord] = []
            for try await row in rows { result.append(try Self.message(row)) }
            return result
        }
        if queue { try await cache(records) }
        return records
    }

    public func records(
        _ direction: Direction, interaction: Interaction, after seq: Int64, limit: Int
    ) async throws(SedgateError) -> [MessageRecord] {
        let sync = interaction == .sync
        return try await read("list \(direction.rawValue) \(interaction.rawValue) SEDs") { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM cn_message
                WHERE seq > \(seq) AND direction = \(direction.rawValue)
                  AND ((envelope::jsonb ->> 'interaction') IS NOT DISTINCT FROM 'SYNC') = \(sync)
                ORDER BY seq LIMIT \(limit)
                """, logger: self.logger)
            var result: [MessageRecord] = []
            for try await row in rows { result.append(try Self.message(row)) }
            return result
        }
    }
}
