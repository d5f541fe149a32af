// ClusterJournal+Signals: the receipts waiting for each access point, and the seen-set's expiry. Reading an access
// point's receipts needs its lease, like its SEDs, so one process sends them.

import PostgresNIO
public import SedgateCore

extension ClusterJournal {
    public func enqueueSignal(_ signal: SignalRecord) async throws(SedgateError) {
        _ = try await apply([.signal(signal)])
    }

    public func pendingSignals(peer: NodeID?, limit: Int) async throws(SedgateError) -> [SignalRecord] {
        if let peer, !(try await holdLease(peer)) { return [] }
        return try await read("list pending receipts") { connection in
            let rows =
                if let peer {
                    try await connection.query(
                        """
                        SELECT id, peer, sed_id, kind, node, at, reason, code FROM cn_signal
                        WHERE NOT done AND peer = \(peer.rawValue) ORDER BY id LIMIT \(limit)
                        """, logger: self.logger)
                } else {
                    try await connection.query(
                        """
                        SELECT id, peer, sed_id, kind, node, at, reason, code FROM cn_signal
                        WHERE NOT done ORDER BY id LIMIT \(limit)
                        """, logger: self.logger)
                }
            var result: [SignalRecord] = []
            for try await (id, peer, sedId, kind, node, at, reason, code) in rows.decode(
                (Int64, String, String, String, String, String, String?, String?).self)
            {
                guard let peer = NodeID(peer), let sedId = SEDID(sedId), let node = NodeID(node) else { continue }
                result.append(
                    SignalRecord(
                        id: id, peer: peer, sedId: sedId, kind: kind, node: node, at: at, reason: reason, code: code))
            }
            return result
        }
    }

    public func completeSignal(id: Int64) async throws(SedgateError) {
        try await completeSignals(ids: [id])
    }

    public func completeSignals(ids: [Int64]) async throws(SedgateError) {
        guard !ids.isEmpty else { return }
        try await transaction("mark \(ids.count) receipts sent") { connection in
            try await connection.query("UPDATE cn_signal SET done = true WHERE id = ANY(\(ids))", logger: self.logger)
        }
    }

    public func completeSignal(peer: NodeID, sedId: SEDID, kind: String) async throws(SedgateError) {
        try await transaction("mark a receipt sent") { connection in
            try await connection.query(
                """
                UPDATE cn_signal SET done = true
                WHERE peer = \(peer.rawValue) AND sed_id = \(sedId.rawValue) AND kind = \(kind)
                """, logger: self.logger)
        }
    }

    /// Forgets SEDs that finished before `cutoff`, with their history, bytes and sent receipts, and idle
    /// conversations (as the SQLite journal's `expire` does). Returns how many SEDs were forgotten.
    @discardableResult
    public func expire(
        finishedBefore cutoff: String, numberingIdleBefore numberingCutoff: String?
    ) async throws(SedgateError) -> Int {
        try await transaction("forget finished SEDs") { connection in
            let finished = "('delivered', 'routed', 'failed', 'forwarded', 'landed')"
            try await connection.query(
                """
                DELETE FROM cn_event WHERE sed_id IN
                    (SELECT sed_id FROM cn_message WHERE state IN \(unescaped: finished) AND updated_at < \(cutoff))
                """, logger: self.logger)
            let rows = try await connection.query(
                """
                DELETE FROM cn_message WHERE state IN \(unescaped: finished) AND updated_at < \(cutoff) RETURNING seq
                """, logger: self.logger)
            var forgotten = 0
            for try await _ in rows { forgotten += 1 }
            try await connection.query("DELETE FROM cn_signal WHERE done AND at < \(cutoff)", logger: self.logger)
            // Fragments of a SED that never came.
            try await connection.query("DELETE FROM cn_fragment WHERE at < \(cutoff)", logger: self.logger)
            try await connection.query(
                """
                DELETE FROM cn_conversation WHERE direction = 'in' AND updated_at < \(cutoff) AND NOT EXISTS
                    (SELECT 1 FROM cn_message m WHERE m.direction = cn_conversation.direction
                        AND m.conversation = cn_conversation.key AND m.state IN ('received', 'waiting'))
                """, logger: self.logger)
            if let numberingCutoff {
                try await connection.query(
                    "DELETE FROM cn_conversation WHERE direction = 'out' AND updated_at < \(numberingCutoff)",
                    logger: self.logger)
            }
            return forgotten
        }
    }
}
