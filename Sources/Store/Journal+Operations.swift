// Journal+Operations: the operations' reads of the SQLite journal: the statistics harvest's (one writer numbers
// the events in commit order, so an event id above the watermark is never committed after a harvest read past
// it), and the queues' for the gauges, the alerts and `sedgate queue shape`.

import GRDB
public import SedgateCore

extension Journal: StatisticsSource {
    public func changes(
        after watermark: Int64, limit: Int
    ) async throws(SedgateError)
        -> (rows: [HarvestedChange], latest: Int64, more: Bool)
    {
        do {
            return try await database.read { db in
                let changed = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT sedId, direction, MAX(id) AS last FROM event WHERE id > ?
                        GROUP BY sedId, direction ORDER BY last LIMIT ?
                        """, arguments: [watermark, limit])
                var latest = watermark
                var harvested: [HarvestedChange] = []
                for change in changed {
                    latest = max(latest, change["last"] as Int64)
                    let sedId: String = change["sedId"]
                    let direction: String = change["direction"]
                    guard
                        let message = try Row.fetchOne(
                            db.cachedStatement(
                                sql: """
                                    SELECT state, peer, origin, envelope, size, createdAt FROM message
                                    WHERE sedId = ? AND direction = ?
                                    """), arguments: [sedId, direction])
                    else { continue }  // refused at intake: no envelope to count
                    let events = try Row.fetchAll(
                        db.cachedStatement(
                            sql:
                                "SELECT state, MIN(at) AS at FROM event WHERE sedId = ? AND direction = ? GROUP BY state"
                        ), arguments: [sedId, direction])
                    var times: [String: String] = [:]
                    for event in events { times[event["state"]] = event["at"] }
                    harvested.append(
                        HarvestedChange(
                            sedId: sedId, direction: direction, state: message["state"], peer: message["peer"],
                            origin: message["origin"], envelope: message["envelope"], size: message["size"],
                            createdAt: message["createdAt"], times: times))
                }
                return (harvested, latest, changed.count == limit)
            }
        } catch {
            throw SedgateError(.storage, "the journal could not list the SEDs changed for the statistics", cause: error)
        }
    }
}

extension Journal: QueueSource {
    public func queueDepths() async throws(SedgateError) -> [QueueDepth] {
        do {
            return try await database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT direction, peer, COUNT(*) AS depth, MIN(createdAt) AS oldest FROM message
                        WHERE (direction = 'out' AND state IN ('accepted', 'held'))
                           OR (direction = 'relay' AND state IN ('stored', 'held'))
                        GROUP BY direction, peer ORDER BY direction, peer
                        """
                ).map {
                    QueueDepth(direction: $0["direction"], peer: $0["peer"], depth: $0["depth"], oldest: $0["oldest"])
                }
            }
        } catch {
            throw SedgateError(.storage, "the journal could not count its queues", cause: error)
        }
    }

    public func waitingSince() async throws(SedgateError) -> [(destination: String, since: String)] {
        do {
            let rows = try await database.read { db in
                try Row.fetchAll(
                    db,
                    sql: """
                        SELECT direction || '/' || peer AS destination, createdAt FROM message
                        WHERE (direction = 'out' AND state IN ('accepted', 'held'))
                           OR (direction = 'relay' AND state IN ('stored', 'held'))
                        """
                ).map { (destination: $0["destination"] as String, since: $0["createdAt"] as String) }
            }
            return rows
        } catch {
            throw SedgateError(.storage, "the journal could not list its waiting SEDs", cause: error)
        }
    }
}
