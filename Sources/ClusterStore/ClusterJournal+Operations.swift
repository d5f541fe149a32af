// ClusterJournal+Operations: the operations' reads of the shared database: the queues (for the operator port's
// gauges and `sedgate queue shape`, the same at every process), and the statistics harvest's. Each CN process
// harvests into its own statistics (var/statistics.sqlite), all from the same events, so each answers for the
// whole cluster.
//
// Event ids come from one sequence, but several processes write: an id is taken when its transaction inserts the
// event and becomes visible when that transaction commits, so a harvest can see id 120 while 118 is still
// uncommitted. The harvest would then move its watermark past 118 for good. So each read also re-reads the SEDs of
// the last `harvestOverlap` ids at or below the watermark; the harvest rewrites a SED it saw before the same way
// (INSERT OR REPLACE of the whole row, a hop's latency recorded only the first time), so the overlap costs reads,
// not wrong counts. A late commit is missed only if its transaction stays open while the other processes journal
// more than `harvestOverlap` events: CN transactions are one batch of SEDs each, far smaller.

import Foundation
import PostgresNIO
public import SedgateCore

extension ClusterJournal: StatisticsSource {
    /// How many event ids below the watermark each harvest read looks at again.
    static let harvestOverlap: Int64 = 10_000

    public func changes(
        after watermark: Int64, limit: Int
    ) async throws(SedgateError)
        -> (rows: [HarvestedChange], latest: Int64, more: Bool)
    {
        let floor = max(0, watermark - Self.harvestOverlap)
        return try await read("list the SEDs changed for the statistics") { connection in
            let rows = try await connection.query(
                """
                WITH changed AS (
                    SELECT sed_id, direction, max(id) AS last FROM cn_event WHERE id > \(watermark)
                    GROUP BY sed_id, direction ORDER BY last LIMIT \(limit)
                ), wanted AS (
                    SELECT sed_id, direction FROM changed
                    UNION SELECT sed_id, direction FROM cn_event WHERE id > \(floor) AND id <= \(watermark)
                )
                SELECT w.sed_id, w.direction, c.last, m.state, m.peer, m.origin, m.envelope, m.size, m.created_at,
                    (SELECT json_object_agg(t.state, t.at) FROM (
                        SELECT e.state, min(e.at) AS at FROM cn_event e
                        WHERE e.sed_id = w.sed_id AND e.direction = w.direction GROUP BY e.state) t)::text AS times
                FROM wanted w LEFT JOIN changed c ON c.sed_id = w.sed_id AND c.direction = w.direction
                LEFT JOIN cn_message m ON m.sed_id = w.sed_id AND m.direction = w.direction
                ORDER BY c.last NULLS FIRST
                """, logger: self.logger)
            var latest = watermark
            var changed = 0
            var result: [HarvestedChange] = []
            for try await row in rows {
                let (sedId, direction, last, state, peer, origin) = try row.decode(
                    (String, String, Int64?, String?, String?, String?).self)
                let cells = row.makeRandomAccess()
                if let last {
                    changed += 1
                    latest = max(latest, last)
                }
                // Refused at intake: no envelope to count.
                guard let state, let peer, let origin, let envelope = try cells["envelope"].decode(String?.self),
                    let size = try cells["size"].decode(Int64?.self),
                    let createdAt = try cells["created_at"].decode(String?.self)
                else { continue }
                let json = try cells["times"].decode(String?.self) ?? "{}"
                let times = (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
                result.append(
                    HarvestedChange(
                        sedId: sedId, direction: direction, state: state, peer: peer, origin: origin,
                        envelope: envelope, size: size, createdAt: createdAt, times: times))
            }
            return (result, latest, changed == limit)
        }
    }
}

extension ClusterJournal: QueueSource {
    public func queueDepths() async throws(SedgateError) -> [QueueDepth] {
        try await read("count the queues") { connection in
            let rows = try await connection.query(
                """
                SELECT direction, peer, count(*), min(created_at) FROM cn_message
                WHERE (direction = 'out' AND state IN ('accepted', 'held'))
                   OR (direction = 'relay' AND state IN ('stored', 'held'))
                GROUP BY direction, peer ORDER BY direction, peer
                """, logger: self.logger)
            var result: [QueueDepth] = []
            for try await (direction, peer, depth, oldest) in rows.decode((String, String, Int64, String?).self) {
                result.append(QueueDepth(direction: direction, peer: peer, depth: Int(depth), oldest: oldest))
            }
            return result
        }
    }

    public func waitingSince() async throws(SedgateError) -> [(destination: String, since: String)] {
        try await read("list the waiting SEDs") { connection in
            let rows = try await connection.query(
                """
                SELECT direction || '/' || peer, created_at FROM cn_message
                WHERE (direction = 'out' AND state IN ('accepted', 'held'))
                   OR (direction = 'relay' AND state IN ('stored', 'held'))
                """, logger: self.logger)
            var result: [(destination: String, since: String)] = []
            for try await (destination, since) in rows.decode((String, String).self) {
                result.append((destination, since))
            }
            return result
        }
    }
}
