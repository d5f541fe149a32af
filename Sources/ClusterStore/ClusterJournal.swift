// ClusterJournal: the MessageStore of a clustered coordination node, in PostgreSQL: SED rows, history, seen-set,
// conversations, receipts, and the sealed SEDs' bytes, shared by every CN process on the database. A SED the CN
// acknowledges (`stored`) is committed with its bytes in one transaction, so whatever PostgreSQL keeps (and, with
// synchronous replication, its standby) holds everything acknowledged. Each destination is forwarded by one
// process at a time: reading its queue needs its lease (ClusterLeases). Reads and writes the database; writes
// the spool's var/store/ as a cache of the bytes a process forwards.

import Foundation
public import Logging
import Metrics
import NIOCore
import PostgresNIO
public import SedgateCore
public import ServiceLifecycle

/// The journal of a CN cluster, in PostgreSQL.
public final class ClusterJournal: MessageStore {
    let database: ClusterDatabase
    let leases: ClusterLeases
    let settings: ClusterSettings
    /// The spool root: a relay SED's `payloadPath` is relative to it.
    let spoolRoot: String
    let logger: Logger
    /// Bytes per `cn_payload` row.
    static let partSize = 1 << 20

    /// A journal on the database of `settings`; nothing is opened until the first call (the database may be down).
    public init(settings: ClusterSettings, spoolRoot: String, logger: Logger) {
        self.settings = settings
        self.spoolRoot = spoolRoot
        self.logger = logger
        self.database = ClusterDatabase(settings: settings, logger: logger)
        self.leases = ClusterLeases(holder: settings.holder, duration: settings.lease)
    }

    /// Creates the tables if they are missing (every process at start; harmless when they exist). Waits up to
    /// `patience` for a primary: a process restarted during a database failover starts once the standby is promoted.
    public func prepare(patience: Duration = .seconds(60)) async throws(SedgateError) {
        let deadline = ContinuousClock.now + patience
        while true {
            do throws(SedgateError) {
                try await transaction("create its tables") { connection in
                    try await connection.query(
                        "SELECT pg_advisory_xact_lock(\(ClusterSchema.lockKey))", logger: self.logger)
                    for statement in ClusterSchema.statements {
                        try await connection.query(PostgresQuery(unsafeSQL: statement), logger: self.logger)
                    }
                }
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw error }
                logger.warning("the cluster database is not ready; trying again", metadata: ["error": "\(error)"])
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// Removes the sealed SEDs this process cached in `folder` (var/store/) in an earlier run: the database holds
    /// them, and another process may have forwarded them since.
    public func dropCache(in folder: String) {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix("relay-") && name.hasSuffix(".sealed") {
            try? FileManager.default.removeItem(atPath: folder + "/" + name)
        }
    }

    /// Gives back this process's leases and closes its connections (the maintenance service does it at shutdown;
    /// a journal used without that service must be closed before it is dropped).
    public func close() async {
        await releaseLeases()
        await database.closeAll()
    }

    /// The services a clustered CN runs besides its own: lease renewal, and the seen-set's expiry.
    public func services(retention: Duration) -> [any Service] {
        [ClusterMaintenance(journal: self, retention: retention, logger: logger)]
    }

    // MARK: - Intake (the CN takes no files from outbound/; kept for the protocol)

    public func beginIntake(_ record: IntakeRecord) async throws(SedgateError) {
        try await transaction("log an intake") { connection in
            try await connection.query(
                """
                INSERT INTO cn_intake (ticket, name, taken_at) VALUES (\(record.ticket), \(record.name), \(record.takenAt))
                ON CONFLICT (ticket) DO UPDATE SET name = excluded.name, taken_at = excluded.taken_at
                """, logger: self.logger)
        }
    }

    public func openIntakes() async throws(SedgateError) -> [IntakeRecord] {
        try await read("list open intakes") { connection in
            var result: [IntakeRecord] = []
            let rows = try await connection.query(
                "SELECT ticket, name, taken_at FROM cn_intake ORDER BY taken_at, ticket", logger: self.logger)
            for try await (ticket, name, at) in rows.decode((String, String, String).self) {
                result.append(IntakeRecord(ticket: ticket, name: name, takenAt: at))
            }
            return result
        }
    }

    public func endIntake(ticket: String, rejected: HistoryEvent?) async throws(SedgateError) {
        try await transaction("end an intake") { connection in
            try await connection.query("DELETE FROM cn_intake WHERE ticket = \(ticket)", logger: self.logger)
            if let rejected { try await self.appendEvent(rejected, connection) }
        }
    }

    public func sedId(forTicket ticket: String) async throws(SedgateError) -> SEDID? {
        try await read("find the SED of a ticket") { connection in
            let rows = try await connection.query(
                "SELECT sed_id FROM cn_message WHERE ticket = \(ticket) LIMIT 1", logger: self.logger)
            for try await id in rows.decode(String.self) { return SEDID(id) }
            return nil
        }
    }

    // MARK: - Messages

    public func insert(_ record: MessageRecord, ticket: String?, detail: String?) async throws(SedgateError) -> Bool {
        try await insert(batch: [NewSED(record: record, ticket: ticket, detail: detail)]).first ?? false
    }

    public func beginIntakes(_ records: [IntakeRecord]) async throws(SedgateError) {
        for record in records { try await beginIntake(record) }
    }

    /// Journals the SEDs, and a stored relay SED's sealed bytes (read from the file the CN just wrote and synced),
    /// in one transaction: the receipt the CN gives after it stands for the row and the bytes together.
    public func insert(batch: [NewSED]) async throws(SedgateError) -> [Bool] {
        guard !batch.isEmpty else { return [] }
        var payloads: [SEDID: [UInt8]] = [:]
        var envelopes: [String] = []
        for item in batch {
            envelopes.append(Self.encode(item.record.envelope))
            if item.record.direction == .relay, item.record.state == .stored {
                payloads[item.record.sedId] = try readPayload(item.record)
            }
        }
        let now = Timestamp.now()
        let (rows, bytes) = (zip(batch, envelopes).map { $0 }, payloads)
        let inserted = try await transaction("journal \(batch.count) SEDs") { connection in
            var inserted: [Bool] = []
            for (item, envelope) in rows {
                inserted.append(
                    try await self.insertRow(
                        item, envelope: envelope, payload: bytes[item.record.sedId], at: now, connection))
            }
            return inserted
        }
        for (item, done) in zip(batch, inserted) where done { Self.count(item.record.direction, item.record.state) }
        return inserted
    }

    private func insertRow(
        _ item: NewSED, envelope: String, payload: [UInt8]?, at now: String, _ connection: ClusterConnection
    ) async throws -> Bool {
        let record = item.record
        let seqNo = record.envelope.seqNo
        let conversation = seqNo == nil ? nil : record.envelope.conversation
        let rows = try await connection.query(
            """
            INSERT INTO cn_message (sed_id, direction, state, file, ticket, peer, origin, envelope, payload_path, size,
                created_at, updated_at, conversation, seq_no)
            VALUES (\(record.sedId.rawValue), \(record.direction.rawValue), \(record.state.rawValue), \(record.file),
                \(item.ticket), \(record.peer.rawValue), \(record.origin.rawValue), \(envelope), \(record.payloadPath),
                \(Int64(record.size)), \(now), \(now), \(conversation), \(seqNo))
            ON CONFLICT (sed_id, direction) DO NOTHING RETURNING seq
            """, logger: logger)
        var fresh = false
        for try await _ in rows { fresh = true }
        guard fresh else { return false }
        if let ticket = item.ticket {
            try await connection.query("DELETE FROM cn_intake WHERE ticket = \(ticket)", logger: logger)
        }
        if record.direction == .outbound, let conversation, let seqNo {
            try await raise(.outbound, conversation, to: seqNo, at: now, connection)
        }
        if let payload {
            var part = 0
            var start = 0
            repeat {
                let end = min(payload.count, start + Self.partSize)
                let bytes = ByteBuffer(bytes: payload[start..<end])
                try await connection.query(
                    "INSERT INTO cn_payload (sed_id, part, bytes) VALUES (\(record.sedId.rawValue), \(part), \(bytes))",
                    logger: logger)
                part += 1
                start = end
            } while start < payload.count
        }
        try await appendEvent(
            HistoryEvent(
                sedId: record.sedId, direction: record.direction, state: record.state, at: now, detail: item.detail),
            connection)
        return true
    }

    @discardableResult
    public func transition(
        _ sedId: SEDID, _ direction: Direction, to state: SEDState, onlyFrom: Set<SEDState>?, file: String?,
        detail: String?
    ) async throws(SedgateError) -> Bool {
        try await apply([.transition(sedId, direction, to: state, onlyFrom: onlyFrom, file: file, detail: detail)])
            .first ?? false
    }

    public func apply(_ changes: [JournalChange]) async throws(SedgateError) -> [Bool] {
        guard !changes.isEmpty else { return [] }
        let now = Timestamp.now()
        let results = try await transaction("record \(changes.count) changes") { connection in
            var results: [Bool] = []
            for change in changes { results.append(try await self.apply(change, at: now, connection)) }
            return results
        }
        for (change, done) in zip(changes, results) where done {
            if case .transition(_, let direction, let state, _, _, _) = change { Self.count(direction, state) }
        }
        return results
    }

    private func apply(_ change: JournalChange, at now: String, _ connection: ClusterConnection) async throws -> Bool {
        switch change {
        case .transition(let sedId, let direction, let state, let onlyFrom, let file, let detail):
            let rows = try await connection.query(
                """
                SELECT state, conversation, seq_no FROM cn_message
                WHERE sed_id = \(sedId.rawValue) AND direction = \(direction.rawValue) FOR UPDATE
                """, logger: logger)
            var found: (state: String, conversation: String?, seqNo: Int?)?
            for try await row in rows.decode((String, String?, Int?).self) { found = row }
            guard let found else { return false }
            if let onlyFrom, !onlyFrom.contains(where: { $0.rawValue == found.state }) { return false }
            if direction == .inbound, state == .landed, let conversation = found.conversation,
                let seqNo = found.seqNo
            {
                try await raise(.inbound, conversation, to: seqNo, at: now, connection)
            }
            try await connection.query(
                """
                UPDATE cn_message SET state = \(state.rawValue), file = COALESCE(\(file), file), updated_at = \(now),
                    last_error = NULL
                WHERE sed_id = \(sedId.rawValue) AND direction = \(direction.rawValue)
                """, logger: logger)
            // A relayed SED that is done needs its bytes no more.
            if direction == .relay, state == .forwarded || state == .failed {
                try await connection.query(
                    "DELETE FROM cn_payload WHERE sed_id = \(sedId.rawValue)", logger: logger)
                try await connection.query(
                    "DELETE FROM cn_fragment WHERE sed_id = \(sedId.rawValue)", logger: logger)
            }
            try await appendEvent(
                HistoryEvent(sedId: sedId, direction: direction, state: state, at: now, detail: detail), connection)
            return true
        case .signal(let signal):
            let rows = try await connection.query(
                """
                INSERT INTO cn_signal (peer, sed_id, kind, node, at, reason, code)
                VALUES (\(signal.peer.rawValue), \(signal.sedId.rawValue), \(signal.kind), \(signal.node.rawValue),
                    \(signal.at), \(signal.reason), \(signal.code))
                ON CONFLICT (peer, sed_id, kind) DO NOTHING RETURNING id
                """, logger: logger)
            var fresh = false
            for try await _ in rows { fresh = true }
            return fresh
        }
    }

    public func noteAttempt(_ sedId: SEDID, _ direction: Direction, error: String) async throws(SedgateError) {
        Counter(label: "sedgate_retries_total", dimensions: [("direction", direction.rawValue)]).increment()
        let now = Timestamp.now()
        try await transaction("count an attempt") { connection in
            try await connection.query(
                """
                UPDATE cn_message SET attempts = attempts + 1, last_error = \(error), updated_at = \(now)
                WHERE sed_id = \(sedId.rawValue) AND direction = \(direction.rawValue)
                """, logger: self.logger)
        }
    }

    public func skipSequence(conversation: String, before seqNo: Int) async throws(SedgateError) {
        let now = Timestamp.now()
        try await transaction("skip the missing SEDs of a conversation") { connection in
            try await self.raise(.inbound, conversation, to: seqNo - 1, at: now, connection)
        }
    }

    // MARK: - Helpers

    /// Raises a conversation's last number to `seqNo` (never lowers it).
    func raise(
        _ direction: Direction, _ conversation: String, to seqNo: Int, at now: String, _ connection: ClusterConnection
    ) async throws {
        try await connection.query(
            """
            INSERT INTO cn_conversation (direction, key, last, updated_at)
            VALUES (\(direction.rawValue), \(conversation), \(seqNo), \(now))
            ON CONFLICT (direction, key) DO UPDATE
                SET last = GREATEST(cn_conversation.last, excluded.last), updated_at = excluded.updated_at
            """, logger: logger)
    }

    func appendEvent(_ event: HistoryEvent, _ connection: ClusterConnection) async throws {
        try await connection.query(
            """
            INSERT INTO cn_event (sed_id, direction, state, at, detail)
            VALUES (\(event.sedId.rawValue), \(event.direction.rawValue), \(event.state.rawValue), \(event.at),
                \(event.detail))
            """, logger: logger)
    }

    /// The sealed bytes the CN wrote for `record`, to commit with its row.
    private func readPayload(_ record: MessageRecord) throws(SedgateError) -> [UInt8] {
        let path = spoolRoot + "/" + record.payloadPath
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SedgateError(.storage, "cannot read \(path) to store SED \(record.sedId) in the cluster database")
        }
        return Array(data)
    }

    /// Counts one SED entering `state` (the same counter as the SQLite journal's).
    static func count(_ direction: Direction, _ state: SEDState) {
        Counter(
            label: "sedgate_seds_total", dimensions: [("direction", direction.rawValue), ("state", state.rawValue)]
        )
        .increment()
    }

    /// The envelope's JSON for its row (`Envelope.storedJSON`: what `JSONEncoder` with sorted keys writes).
    static func encode(_ envelope: Envelope) -> String {
        envelope.storedJSON
    }

    /// Runs `body` in one transaction, committed before it returns; any failure becomes a `.storage` error and
    /// changes nothing (unless the connection was lost during the COMMIT: then the error says the outcome is
    /// unknown; every change the journal makes can be made again).
    @discardableResult
    func transaction<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (ClusterConnection) async throws -> T
    ) async throws(SedgateError) -> T {
        IOCounters.noteCommit()
        do {
            return try await database.withConnection { connection in
                try await connection.transaction(logger: self.logger) { connection in try await body(connection) }
            }
        } catch let error as SedgateError {
            throw error
        } catch let error as ClusterDatabaseError where error.code == .commitOutcomeUnknown {
            throw SedgateError(.storage, "the cluster database may or may not have recorded: \(what)", cause: error)
        } catch let error as ClusterDatabaseError {
            throw SedgateError(
                .storage, "the cluster database could not \(what); the change was not made", cause: error)
        } catch {
            throw SedgateError(
                .storage, "the cluster database could not \(what); the change was not made",
                cause: ClusterDatabaseError(String(reflecting: error)))
        }
    }

    /// Runs `body` on a connection (one statement or a few reads, no transaction needed).
    func read<T: Sendable>(
        _ what: String, _ body: @escaping @Sendable (ClusterConnection) async throws -> T
    ) async throws(SedgateError) -> T {
        do {
            return try await database.withConnection { connection in try await body(connection) }
        } catch let error as SedgateError {
            throw error
        } catch let error as ClusterDatabaseError {
            throw SedgateError(.storage, "the cluster database could not \(what)", cause: error)
        } catch {
            throw SedgateError(
                .storage, "the cluster database could not \(what)",
                cause: ClusterDatabaseError(String(reflecting: error)))
        }
    }
}
