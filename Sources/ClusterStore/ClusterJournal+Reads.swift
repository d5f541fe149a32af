// ClusterJournal+Reads: the journal's queries (queues, one SED, history, counts, conversations). Reading a
// destination's queue of stored SEDs needs that destination's lease, and brings the SEDs' sealed bytes into this
// process's var/store/ when they are not there yet (another process stored them).

import Foundation
import PostgresNIO
public import SedgateCore

extension ClusterJournal {
    /// The columns `message(_:)` reads, in its order.
    static let columns = """
        seq, sed_id, direction, state, file, peer, origin, envelope, payload_path, size, attempts, last_error,
        created_at, updated_at
        """

    public func records(
        _ direction: Direction, in state: SEDState, peer: NodeID?, limit: Int
    ) async throws(SedgateError) -> [MessageRecord] {
        let queue = direction == .relay && state == .stored
        if queue, let peer, !(try await holdLease(peer)) { return [] }
        let records = try await read("list \(direction.rawValue) SEDs in \(state)") { connection in
            let rows =
                if let peer {
                    try await connection.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM cn_message
                        WHERE direction = \(direction.rawValue) AND state = \(state.rawValue) AND peer = \(peer.rawValue)
                        ORDER BY seq LIMIT \(limit)
                        """, logger: self.logger)
                } else {
                    try await connection.query(
                        """
                        SELECT \(unescaped: Self.columns) FROM cn_message
                        WHERE direction = \(direction.rawValue) AND state = \(state.rawValue) ORDER BY seq LIMIT \(limit)
                        """, logger: self.logger)
                }
            var result: [MessageRecord] = []
            for try await row in rows { result.append(try Self.message(row)) }
            return result
        }
        if queue { try await cache(records) }
        return records
    }

    public func record(_ sedId: SEDID, _ direction: Direction) async throws(SedgateError) -> MessageRecord? {
        try await read("read SED \(sedId)") { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM cn_message
                WHERE sed_id = \(sedId.rawValue) AND direction = \(direction.rawValue)
                """, logger: self.logger)
            for try await row in rows { return try Self.message(row) }
            return nil
        }
    }

    public func records(_ sedIds: [SEDID], _ direction: Direction) async throws(SedgateError) -> [SEDID: MessageRecord]
    {
        let unique = Array(Set(sedIds.map(\.rawValue)))
        guard !unique.isEmpty else { return [:] }
        return try await read("read \(unique.count) SEDs") { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM cn_message
                WHERE direction = \(direction.rawValue) AND sed_id = ANY(\(unique))
                """, logger: self.logger)
            var found: [SEDID: MessageRecord] = [:]
            for try await row in rows {
                let record = try Self.message(row)
                found[record.sedId] = record
            }
            return found
        }
    }

    public func landedFiles(after seq: Int64, limit: Int) async throws(SedgateError) -> [LandedFile] {
        try await read("list landed SEDs") { connection in
            let rows = try await connection.query(
                """
                SELECT seq, sed_id, file FROM cn_message
                WHERE direction = 'in' AND state = 'landed' AND file IS NOT NULL AND seq > \(seq) ORDER BY seq
                LIMIT \(limit)
                """, logger: self.logger)
            var result: [LandedFile] = []
            for try await (seq, id, file) in rows.decode((Int64, String, String).self) {
                if let sedId = SEDID(id) { result.append(LandedFile(seq: seq, sedId: sedId, file: file)) }
            }
            return result
        }
    }

    public func landed(file: String) async throws(SedgateError) -> LandedFile? {
        try await read("find the SED landed at \(file)") { connection in
            let rows = try await connection.query(
                """
                SELECT seq, sed_id, file FROM cn_message
                WHERE direction = 'in' AND state = 'landed' AND file = \(file) LIMIT 1
                """, logger: self.logger)
            for try await (seq, id, file) in rows.decode((Int64, String, String).self) {
                if let sedId = SEDID(id) { return LandedFile(seq: seq, sedId: sedId, file: file) }
            }
            return nil
        }
    }

    public func history(_ sedId: SEDID) async throws(SedgateError) -> [HistoryEvent] {
        try await read("read the history of \(sedId)") { connection in
            let rows = try await connection.query(
                "SELECT direction, state, at, detail FROM cn_event WHERE sed_id = \(sedId.rawValue) ORDER BY id",
                logger: self.logger)
            var result: [HistoryEvent] = []
            for try await (direction, state, at, detail) in rows.decode((String, String, String, String?).self) {
                result.append(
                    HistoryEvent(
                        sedId: sedId, direction: Direction(rawValue: direction) ?? .relay,
                        state: SEDState(rawValue: state) ?? .failed, at: at, detail: detail))
            }
            return result
        }
    }

    public func counts() async throws(SedgateError) -> [Direction: [SEDState: Int]] {
        try await read("count SEDs") { connection in
            let rows = try await connection.query(
                "SELECT direction, state, COUNT(*) FROM cn_message GROUP BY direction, state", logger: self.logger)
            var result: [Direction: [SEDState: Int]] = [:]
            for try await (direction, state, count) in rows.decode((String, String, Int64).self) {
                guard let direction = Direction(rawValue: direction), let state = SEDState(rawValue: state) else {
                    continue
                }
                result[direction, default: [:]][state] = Int(count)
            }
            return result
        }
    }

    public func payloadPaths(_ direction: Direction, in states: Set<SEDState>) async throws(SedgateError) -> [String] {
        let names = states.map(\.rawValue).sorted()
        return try await read("list payloads") { connection in
            let rows = try await connection.query(
                """
                SELECT payload_path FROM cn_message WHERE direction = \(direction.rawValue) AND state = ANY(\(names))
                """, logger: self.logger)
            var result: [String] = []
            for try await path in rows.decode(String.self) { result.append(path) }
            return result
        }
    }

    public func count(_ direction: Direction, in state: SEDState) async throws(SedgateError) -> Int {
        try await read("count SEDs") { connection in
            let rows = try await connection.query(
                "SELECT COUNT(*) FROM cn_message WHERE direction = \(direction.rawValue) AND state = \(state.rawValue)",
                logger: self.logger)
            for try await count in rows.decode(Int64.self) { return Int(count) }
            return 0
        }
    }

    public func lastSequence(_ direction: Direction, conversation: String) async throws(SedgateError) -> Int? {
        try await read("read the sequence of a conversation") { connection in
            let rows = try await connection.query(
                "SELECT last FROM cn_conversation WHERE direction = \(direction.rawValue) AND key = \(conversation)",
                logger: self.logger)
            for try await last in rows.decode(Int.self) { return last }
            return nil
        }
    }

    public func unlanded(conversation: String) async throws(SedgateError) -> [MessageRecord] {
        try await read("list the SEDs of a conversation waiting to land") { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM cn_message
                WHERE direction = 'in' AND conversation = \(conversation) AND state IN ('received', 'waiting')
                ORDER BY seq_no, seq
                """, logger: self.logger)
            var result: [MessageRecord] = []
            for try await row in rows { result.append(try Self.message(row)) }
            return result
        }
    }

    public func conversationsToSettle(waitingSince cutoff: String) async throws(SedgateError) -> [String] {
        try await read("list conversations whose waiting SEDs may land") { connection in
            let rows = try await connection.query(
                """
                SELECT DISTINCT m.conversation FROM cn_message m
                LEFT JOIN cn_conversation c ON c.direction = m.direction AND c.key = m.conversation
                WHERE m.direction = 'in' AND m.state = 'waiting' AND m.conversation IS NOT NULL
                  AND (m.created_at < \(cutoff) OR m.seq_no <= COALESCE(c.last, 0) + 1)
                """, logger: self.logger)
            var result: [String] = []
            for try await key in rows.decode(String.self) { result.append(key) }
            return result
        }
    }

    /// Writes the sealed bytes of `records` into var/store/ where this process has no copy yet (another process
    /// stored them): the forwarder and the pull read them there. Not synced: it is a cache of the database.
    func cache(_ records: [MessageRecord]) async throws(SedgateError) {
        for record in records {
            let path = spoolRoot + "/" + record.payloadPath
            if FileManager.default.fileExists(atPath: path) { continue }
            try await cacheFragments(of: record)
            let id = record.sedId.rawValue
            let bytes = try await read("read the sealed bytes of \(record.sedId)") { connection in
                let rows = try await connection.query(
                    "SELECT bytes FROM cn_payload WHERE sed_id = \(id) ORDER BY part", logger: self.logger)
                var bytes: [UInt8] = []
                for try await part in rows.decode(ByteBuffer.self) { bytes += Array(buffer: part) }
                return bytes
            }
            let temporary = path + ".\(UUID().uuidString.prefix(8)).cache"
            let folder = (path as NSString).deletingLastPathComponent
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)),
                rename(temporary, path) == 0
            else {
                try? FileManager.default.removeItem(atPath: temporary)
                throw SedgateError(.storage, "cannot write \(path) from the cluster database; check the spool")
            }
        }
    }

    static func message(_ row: PostgresRow) throws -> MessageRecord {
        let (seq, id, direction, state, file, peer, origin, envelopeText) = try row.decode(
            (Int64, String, String, String, String?, String, String, String).self)
        let cells = row.makeRandomAccess()
        let payloadPath = try cells["payload_path"].decode(String.self)
        let size = try cells["size"].decode(Int64.self)
        let attempts = try cells["attempts"].decode(Int.self)
        let lastError = try cells["last_error"].decode(String?.self)
        let createdAt = try cells["created_at"].decode(String.self)
        let updatedAt = try cells["updated_at"].decode(String.self)
        let envelope = try Envelope.decodingStored(envelopeText)
        guard let sedId = SEDID(id), let peer = NodeID(peer), let origin = NodeID(origin),
            let direction = Direction(rawValue: direction), let state = SEDState(rawValue: state)
        else {
            throw SedgateError(.storage, "a row of cn_message is corrupt (seq \(seq)); restore the database")
        }
        return MessageRecord(
            seq: seq, sedId: sedId, direction: direction, state: state, file: file, peer: peer, origin: origin,
            envelope: envelope, payloadPath: payloadPath, size: Int(size), attempts: attempts, lastError: lastError,
            createdAt: createdAt, updatedAt: updatedAt)
    }
}
