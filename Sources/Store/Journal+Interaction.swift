// Journal+Interaction: the journal's queues read by interaction (ASYNC or SYNC), one query each: the synchronous
// lane's SEDs at the sending AP and the CN, and the synchronous requests a requester tracks.

import Foundation
import GRDB
public import SedgateCore

extension Journal {
    public func records(
        _ direction: Direction, in state: SEDState, peer: NodeID?, interaction: Interaction, limit: Int
    ) async throws(SedgateError) -> [MessageRecord] {
        var sql = """
            SELECT * FROM message WHERE direction = ? AND state = ?
                AND (json_extract(envelope, '$.interaction') IS 'SYNC') = ?
            """
        var arguments: StatementArguments = [direction.rawValue, state.rawValue, interaction == .sync]
        if let peer {
            sql += " AND peer = ?"
            _ = arguments.append(contentsOf: [peer.rawValue])
        }
        sql += " ORDER BY seq LIMIT ?"
        _ = arguments.append(contentsOf: [limit])
        let statement = sql
        let values = arguments
        return try await readRows("list \(direction.rawValue) \(interaction.rawValue) SEDs in \(state)") { db in
            try Row.fetchAll(db.cachedStatement(sql: statement), arguments: values).map(Journal.message)
        }
    }

    public func records(
        _ direction: Direction, interaction: Interaction, after seq: Int64, limit: Int
    ) async throws(SedgateError) -> [MessageRecord] {
        try await readRows("list \(direction.rawValue) \(interaction.rawValue) SEDs") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM message WHERE seq > ? AND direction = ?
                            AND (json_extract(envelope, '$.interaction') IS 'SYNC') = ?
                        ORDER BY seq LIMIT ?
                        """), arguments: [seq, direction.rawValue, interaction == .sync, limit]
            ).map(Journal.message)
        }
    }

    private func readRows(
        _ what: String, _ body: @Sendable @escaping (Database) throws -> [MessageRecord]
    ) async throws(SedgateError) -> [MessageRecord] {
        do {
            return try await database.read(body)
        } catch {
            throw SedgateError(.storage, "the journal could not \(what)", cause: error)
        }
    }
}
