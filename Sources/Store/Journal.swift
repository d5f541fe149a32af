// Journal: the node's SQLite journal (GRDB, WAL, synchronous=FULL). It implements MessageStore:
// reads and writes `<spool>/var/journal.sqlite`; a failed statement becomes a `.storage` SedgateError.

public import Foundation
public import GRDB
import Metrics
public import SedgateCore

/// The SQLite journal of one node. One file, WAL mode, every write a durable transaction.
public final class Journal: MessageStore {
    /// The underlying pool (readers run beside the single writer, as WAL allows).
    public let database: DatabasePool
    /// Where the journal lives.
    public let path: String
    /// The time every row and event is stamped with: the wall clock, or a test's own.
    private let clock: @Sendable () -> Date

    /// Opens (creating and migrating if needed) the journal at `path`, and makes every commit durable.
    ///
    /// GRDB's pool sets WAL mode with `synchronous = NORMAL` on its writer after any `prepareDatabase` hook has
    /// run, which survives a process kill but not a power cut. So the writer is set to FULL after the pool is open
    /// (each commit then syncs the WAL before it returns), and the effective level is read back: a journal that
    /// would acknowledge what a power cut can take back refuses to open. `clock` stamps rows and events (tests
    /// inject one so cutoffs do not race the real clock).
    public init(path: String, clock: @escaping @Sendable () -> Date = { Date() }) throws(SedgateError) {
        self.path = path
        self.clock = clock
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        let level: Int?
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            level = try database.writeWithoutTransaction { db in
                try db.run(sql: "PRAGMA synchronous = FULL")
                return try Int.fetchOne(db.cachedStatement(sql: "PRAGMA synchronous"))
            }
            try Journal.migrator.migrate(database)
        } catch {
            throw SedgateError(
                .storage,
                "cannot open the journal at \(path); check that the spool is writable and not used by another node",
                cause: error)
        }
        // 2 is FULL, 3 EXTRA; anything less loses acknowledged commits in a power cut.
        guard let level, level >= 2 else {
            throw SedgateError(
                .storage,
                "the journal at \(path) runs with PRAGMA synchronous = \(level.map(String.init) ?? "unknown") where FULL (2) "
                    + "is required: a commit would not survive a power cut; check the SQLite build and its compile options"
            )
        }
    }

    /// The journal's effective `PRAGMA synchronous` on its writer (2 = FULL): what `sedgate check` reports.
    public func synchronousLevel() async throws(SedgateError) -> Int {
        try await write("read its synchronous level") { db in
            try Int.fetchOne(db.cachedStatement(sql: "PRAGMA synchronous")) ?? 0
        }
    }

    /// States after which a SED needs nothing more from this node, so its row only serves duplicate detection.
    static let finishedStates: [SEDState] = [.delivered, .routed, .failed, .forwarded, .landed, .timeout]

    /// Forgets SEDs that finished before `cutoff` (a timestamp): their rows, their history and the receipts sent
    /// for them. This bounds the seen-set: a SED id seen before `cutoff` is no longer recognised as a duplicate,
    /// so the cutoff must lie well beyond the longest time a copy can still be in flight (the SED lifetime).
    /// Returns how many SEDs were forgotten.
    ///
    /// Conversations are forgotten too: inbound, the last number landed, once idle since `cutoff` with nothing
    /// left to land; outbound, the last number given, once idle since `numberingCutoff` (nil keeps them). That one
    /// must lie further back (twice the retention), so a sender never numbers a conversation from 1 again while its
    /// destination still remembers it: the destination forgets at most a SED lifetime after the sender's last use.
    @discardableResult
    public func expire(
        finishedBefore cutoff: String, numberingIdleBefore numberingCutoff: String? = nil
    )
        async throws(SedgateError) -> Int
    {
        let states = Self.finishedStates.map { "'\($0.rawValue)'" }.joined(separator: ",")
        do {
            return try await database.write { db in
                try db.run(
                    sql: """
                        DELETE FROM event WHERE sedId IN
                            (SELECT sedId FROM message WHERE state IN (\(states)) AND updatedAt < ?)
                        """, arguments: [cutoff])
                try db.run(sql: "DELETE FROM message WHERE state IN (\(states)) AND updatedAt < ?", arguments: [cutoff])
                let forgotten = db.changesCount
                try db.run(sql: "DELETE FROM signal WHERE done = 1 AND at < ?", arguments: [cutoff])
                try db.run(
                    sql: """
                        DELETE FROM conversation WHERE direction = ? AND updatedAt < ? AND NOT EXISTS
                            (SELECT 1 FROM message m WHERE m.direction = conversation.direction
                                AND m.conversation = conversation.key AND m.state IN (?, ?))
                        """,
                    arguments: [
                        Direction.inbound.rawValue, cutoff, SEDState.received.rawValue, SEDState.waiting.rawValue,
                    ])
                if let numberingCutoff {
                    try db.run(
                        sql: "DELETE FROM conversation WHERE direction = ? AND updatedAt < ?",
                        arguments: [Direction.outbound.rawValue, numberingCutoff])
                }
                return forgotten
            }
        } catch {
            throw SedgateError(.storage, "cannot forget finished SEDs in the journal at \(path)", cause: error)
        }
    }

    /// SQLite's own check of the journal file: `ok`, or a description of what is damaged.
    public func integrityCheck() async throws(SedgateError) -> String {
        do {
            return try await database.read { db in
                try String.fetchAll(db.cachedStatement(sql: "PRAGMA integrity_check")).joined(separator: "; ")
            }
        } catch {
            throw SedgateError(.storage, "cannot check the journal at \(path)", cause: error)
        }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE intake (
                        ticket TEXT PRIMARY KEY,
                        name TEXT NOT NULL,
                        takenAt TEXT NOT NULL
                    );
                    CREATE TABLE message (
                        seq INTEGER PRIMARY KEY AUTOINCREMENT,
                        sedId TEXT NOT NULL,
                        direction TEXT NOT NULL,
                        state TEXT NOT NULL,
                        file TEXT,
                        ticket TEXT,
                        peer TEXT NOT NULL,
                        origin TEXT NOT NULL,
                        envelope TEXT NOT NULL,
                        payloadPath TEXT NOT NULL,
                        size INTEGER NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        lastError TEXT,
                        createdAt TEXT NOT NULL,
                        updatedAt TEXT NOT NULL,
                        UNIQUE (sedId, direction)
                    );
                    CREATE INDEX message_queue ON message (direction, state, peer, seq);
                    CREATE INDEX message_ticket ON message (ticket);
                    CREATE TABLE event (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        sedId TEXT NOT NULL,
                        direction TEXT NOT NULL,
                        state TEXT NOT NULL,
                        at TEXT NOT NULL,
                        detail TEXT
                    );
                    CREATE INDEX event_sed ON event (sedId, id);
                    CREATE TABLE signal (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        peer TEXT NOT NULL,
                        sedId TEXT NOT NULL,
                        kind TEXT NOT NULL,
                        node TEXT NOT NULL,
                        at TEXT NOT NULL,
                        done INTEGER NOT NULL DEFAULT 0,
                        UNIQUE (peer, sedId, kind)
                    );
                    CREATE INDEX signal_pending ON signal (done, peer, id);
                    """)
        }
        migrator.registerMigration("v2 receipt reasons") { db in
            try db.execute(sql: "ALTER TABLE signal ADD COLUMN reason TEXT")
        }
        migrator.registerMigration("v3 conversations") { db in
            // A SED's conversation and sequence number, copied out of its envelope so ordering can query them;
            // and per conversation the last number given (outbound) or landed (inbound).
            try db.execute(
                sql: """
                    ALTER TABLE message ADD COLUMN conversation TEXT;
                    ALTER TABLE message ADD COLUMN seqNo INTEGER;
                    CREATE INDEX message_conversation ON message (direction, conversation, state, seqNo);
                    CREATE TABLE conversation (
                        direction TEXT NOT NULL,
                        key TEXT NOT NULL,
                        last INTEGER NOT NULL,
                        updatedAt TEXT NOT NULL,
                        PRIMARY KEY (direction, key)
                    );
                    """)
        }
        migrator.registerMigration("v4 landed files") { db in
            // The take-up watcher looks a departed file up by its name, and pages through landed SEDs in order.
            try db.execute(sql: "CREATE INDEX message_file ON message (direction, state, file)")
            try db.execute(sql: "CREATE INDEX message_state ON message (direction, state, seq)")
        }
        migrator.registerMigration("v5 receipt codes") { db in
            try db.execute(sql: "ALTER TABLE signal ADD COLUMN code TEXT")
        }
        return migrator
    }

    // MARK: - Intake

    public func beginIntake(_ record: IntakeRecord) async throws(SedgateError) {
        try await write("log the intake of \(record.name)") { db in
            try db.run(
                sql: "INSERT OR REPLACE INTO intake (ticket, name, takenAt) VALUES (?, ?, ?)",
                arguments: [record.ticket, record.name, record.takenAt])
        }
    }

    public func openIntakes() async throws(SedgateError) -> [IntakeRecord] {
        try await read("list open intakes") { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT ticket, name, takenAt FROM intake ORDER BY takenAt, ticket")
            ).map {
                IntakeRecord(ticket: $0["ticket"], name: $0["name"], takenAt: $0["takenAt"])
            }
        }
    }

    public func endIntake(ticket: String, rejected: HistoryEvent?) async throws(SedgateError) {
        try await write("end the intake \(ticket)") { db in
            try db.run(sql: "DELETE FROM intake WHERE ticket = ?", arguments: [ticket])
            if let rejected { try Journal.appendEvent(rejected, db: db) }
        }
    }

    public func sedId(forTicket ticket: String) async throws(SedgateError) -> SEDID? {
        try await read("find the SED of ticket \(ticket)") { db in
            try String.fetchOne(
                db.cachedStatement(sql: "SELECT sedId FROM message WHERE ticket = ? LIMIT 1"), arguments: [ticket]
            )
            .flatMap(SEDID.init)
        }
    }

    // MARK: - Messages

    public func insert(_ record: MessageRecord, ticket: String?, detail: String?) async throws(SedgateError) -> Bool {
        try await insert(batch: [NewSED(record: record, ticket: ticket, detail: detail)]).first ?? false
    }

    public func beginIntakes(_ records: [IntakeRecord]) async throws(SedgateError) {
        guard !records.isEmpty else { return }
        try await write("log the intake of \(records.count) files") { db in
            for record in records {
                try db.run(
                    sql: "INSERT OR REPLACE INTO intake (ticket, name, takenAt) VALUES (?, ?, ?)",
                    arguments: [record.ticket, record.name, record.takenAt])
            }
        }
    }

    public func insert(batch: [NewSED]) async throws(SedgateError) -> [Bool] {
        guard !batch.isEmpty else { return [] }
        let rows = batch.map { item in (item, Journal.encode(item.record.envelope)) }
        let now = timestamp()
        let what = batch.count == 1 ? "journal SED \(batch[0].record.sedId)" : "journal \(batch.count) SEDs"
        let inserted = try await write(what) { db in
            try rows.map { item, envelopeJSON in
                try Journal.insertRow(item, envelopeJSON: envelopeJSON, at: now, db: db)
            }
        }
        for (item, done) in zip(batch, inserted) where done { Journal.count(item.record.direction, item.record.state) }
        return inserted
    }

    /// One new SED inside a write transaction (see `insert`); false when the seen-set already holds it.
    static func insertRow(_ item: NewSED, envelopeJSON: String, at now: String, db: Database) throws -> Bool {
        let record = item.record
        let seqNo = record.envelope.seqNo
        let conversation = seqNo == nil ? nil : record.envelope.conversation
        try db.run(
            sql: """
                INSERT OR IGNORE INTO message
                    (sedId, direction, state, file, ticket, peer, origin, envelope, payloadPath, size,
                     createdAt, updatedAt, conversation, seqNo)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                record.sedId.rawValue, record.direction.rawValue, record.state.rawValue, record.file, item.ticket,
                record.peer.rawValue, record.origin.rawValue, envelopeJSON, record.payloadPath, record.size,
                now, now, conversation, seqNo,
            ])
        guard db.changesCount == 1 else { return false }
        if let ticket = item.ticket { try db.run(sql: "DELETE FROM intake WHERE ticket = ?", arguments: [ticket]) }
        if record.direction == .outbound, let conversation, let seqNo {
            try Journal.raise(.outbound, conversation, to: seqNo, at: now, db: db)
        }
        try Journal.appendEvent(
            HistoryEvent(
                sedId: record.sedId, direction: record.direction, state: record.state, at: now, detail: item.detail),
            db: db)
        return true
    }

    /// Journals many SEDs in one transaction (one sync), e.g. to prepare a benchmark's journal; a SED id already
    /// journalled in its direction is skipped. Returns how many were inserted.
    @discardableResult
    public func insertAll(_ records: [MessageRecord], detail: String?) async throws(SedgateError) -> Int {
        let now = timestamp()
        let rows = records.map { record in (record, Journal.encode(record.envelope)) }
        return try await write("journal \(records.count) SEDs") { db in
            var inserted = 0
            for (record, envelopeJSON) in rows {
                try db.run(
                    sql: """
                        INSERT OR IGNORE INTO message
                            (sedId, direction, state, file, ticket, peer, origin, envelope, payloadPath, size,
                             createdAt, updatedAt)
                        VALUES (?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        record.sedId.rawValue, record.direction.rawValue, record.state.rawValue, record.file,
                        record.peer.rawValue, record.origin.rawValue, envelopeJSON, record.payloadPath, record.size,
                        now, now,
                    ])
                guard db.changesCount == 1 else { continue }
                inserted += 1
                try Journal.appendEvent(
                    HistoryEvent(
                        sedId: record.sedId, direction: record.direction, state: record.state, at: now,
                        detail: detail), db: db)
            }
            return inserted
        }
    }

    @discardableResult
    public func transition(
        _ sedId: SEDID, _ direction: Direction, to state: SEDState, onlyFrom: Set<SEDState>?, file: String?,
        detail: String?
    ) async throws(SedgateError) -> Bool {
        let change = JournalChange.transition(
            sedId, direction, to: state, onlyFrom: onlyFrom, file: file, detail: detail)
        return try await apply([change]).first ?? false
    }

    public func apply(_ changes: [JournalChange]) async throws(SedgateError) -> [Bool] {
        guard !changes.isEmpty else { return [] }
        let now = timestamp()
        let results = try await write("record \(changes.count) changes") { db in
            try changes.map { change in try Journal.apply(change, at: now, db: db) }
        }
        for (change, done) in zip(changes, results) where done {
            if case .transition(_, let direction, let state, _, _, _) = change { Journal.count(direction, state) }
        }
        return results
    }

    /// One change inside a write transaction; true when it took effect.
    static func apply(_ change: JournalChange, at now: String, db: Database) throws -> Bool {
        switch change {
        case .transition(let sedId, let direction, let state, let onlyFrom, let file, let detail):
            // One statement: the update, only from the allowed states, answering what landing needs.
            var sql = """
                UPDATE message SET state = ?, file = COALESCE(?, file), updatedAt = ?, lastError = NULL
                WHERE sedId = ? AND direction = ?
                """
            var arguments: StatementArguments = [state.rawValue, file, now, sedId.rawValue, direction.rawValue]
            if let onlyFrom {
                guard !onlyFrom.isEmpty else { return false }
                let states = onlyFrom.map(\.rawValue).sorted()
                sql += " AND state IN (" + Array(repeating: "?", count: states.count).joined(separator: ", ") + ")"
                _ = arguments.append(contentsOf: StatementArguments(states))
            }
            sql += " RETURNING conversation, seqNo"
            guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) else { return false }
            // Landing moves its conversation on: the SED after it may land next.
            if direction == .inbound, state == .landed, let conversation: String = row["conversation"],
                let seqNo: Int = row["seqNo"]
            {
                try Journal.raise(.inbound, conversation, to: seqNo, at: now, db: db)
            }
            try Journal.appendEvent(
                HistoryEvent(sedId: sedId, direction: direction, state: state, at: now, detail: detail), db: db)
            return true
        case .signal(let signal):
            try db.run(
                sql:
                    "INSERT OR IGNORE INTO signal (peer, sedId, kind, node, at, reason, code) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    signal.peer.rawValue, signal.sedId.rawValue, signal.kind, signal.node.rawValue, signal.at,
                    signal.reason, signal.code,
                ])
            return db.changesCount == 1
        }
    }

    public func noteAttempt(_ sedId: SEDID, _ direction: Direction, error: String) async throws(SedgateError) {
        Counter(label: "sedgate_retries_total", dimensions: [("direction", direction.rawValue)]).increment()
        let now = timestamp()
        try await write("count an attempt for \(sedId)") { db in
            try db.run(
                sql:
                    "UPDATE message SET attempts = attempts + 1, lastError = ?, updatedAt = ? WHERE sedId = ? AND direction = ?",
                arguments: [error, now, sedId.rawValue, direction.rawValue])
        }
    }

    public func records(
        _ direction: Direction, in state: SEDState, peer: NodeID?, limit: Int
    ) async throws(SedgateError)
        -> [MessageRecord]
    {
        try await read("list \(direction.rawValue) SEDs in \(state)") { db in
            var sql = "SELECT * FROM message WHERE direction = ? AND state = ?"
            var arguments: StatementArguments = [direction.rawValue, state.rawValue]
            if let peer {
                sql += " AND peer = ?"
                _ = arguments.append(contentsOf: [peer.rawValue])
            }
            sql += " ORDER BY seq LIMIT ?"
            _ = arguments.append(contentsOf: [limit])
            return try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments).map(Journal.message)
        }
    }

    public func record(_ sedId: SEDID, _ direction: Direction) async throws(SedgateError) -> MessageRecord? {
        try await read("read SED \(sedId)") { db in
            try Row.fetchOne(
                db.cachedStatement(sql: "SELECT * FROM message WHERE sedId = ? AND direction = ?"),
                arguments: [sedId.rawValue, direction.rawValue]
            ).map(Journal.message)
        }
    }

    public func records(_ sedIds: [SEDID], _ direction: Direction) async throws(SedgateError) -> [SEDID: MessageRecord]
    {
        let unique = Array(Set(sedIds.map(\.rawValue)))
        guard !unique.isEmpty else { return [:] }
        return try await read("read \(unique.count) SEDs") { db in
            var found: [SEDID: MessageRecord] = [:]
            for chunk in Self.chunks(unique) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT * FROM message WHERE direction = ? AND sedId IN (\(marks))",
                    arguments: StatementArguments([direction.rawValue] + chunk))
                {
                    let record = try Journal.message(row)
                    found[record.sedId] = record
                }
            }
            return found
        }
    }

    public func landedFiles(after seq: Int64, limit: Int) async throws(SedgateError) -> [LandedFile] {
        try await read("list landed SEDs") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT seq, sedId, file FROM message
                        WHERE direction = ? AND state = ? AND file IS NOT NULL AND seq > ? ORDER BY seq LIMIT ?
                        """), arguments: [Direction.inbound.rawValue, SEDState.landed.rawValue, seq, limit]
            ).compactMap(Journal.landedFile)
        }
    }

    public func landed(file: String) async throws(SedgateError) -> LandedFile? {
        try await read("find the SED landed at \(file)") { db in
            try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT seq, sedId, file FROM message WHERE direction = ? AND state = ? AND file = ? LIMIT 1"),
                arguments: [Direction.inbound.rawValue, SEDState.landed.rawValue, file]
            ).flatMap(Journal.landedFile)
        }
    }

    static func landedFile(_ row: Row) -> LandedFile? {
        guard let sedId = SEDID(row["sedId"]), let file: String = row["file"] else { return nil }
        return LandedFile(seq: row["seq"], sedId: sedId, file: file)
    }

    public func history(_ sedId: SEDID) async throws(SedgateError) -> [HistoryEvent] {
        try await read("read the history of \(sedId)") { db in
            try Row.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM event WHERE sedId = ? ORDER BY id"), arguments: [sedId.rawValue]
            )
            .map { row in
                HistoryEvent(
                    sedId: sedId, direction: Direction(rawValue: row["direction"]) ?? .outbound,
                    state: SEDState(rawValue: row["state"]) ?? .failed, at: row["at"], detail: row["detail"])
            }
        }
    }

    public func counts() async throws(SedgateError) -> [Direction: [SEDState: Int]] {
        try await read("count SEDs") { db in
            var result: [Direction: [SEDState: Int]] = [:]
            for row in try Row.fetchAll(
                db.cachedStatement(sql: "SELECT direction, state, COUNT(*) AS n FROM message GROUP BY direction, state")
            ) {
                guard let direction = Direction(rawValue: row["direction"]),
                    let state = SEDState(rawValue: row["state"])
                else { continue }
                result[direction, default: [:]][state] = row["n"]
            }
            return result
        }
    }

    public func payloadPaths(_ direction: Direction, in states: Set<SEDState>) async throws(SedgateError) -> [String] {
        let names = states.map(\.rawValue).sorted()
        return try await read("list payloads of \(direction.rawValue) SEDs") { db in
            let marks = Array(repeating: "?", count: names.count).joined(separator: ", ")
            return try String.fetchAll(
                db.cachedStatement(sql: "SELECT payloadPath FROM message WHERE direction = ? AND state IN (\(marks))"),
                arguments: StatementArguments([direction.rawValue] + names))
        }
    }

    public func count(_ direction: Direction, in state: SEDState) async throws(SedgateError) -> Int {
        try await read("count \(direction.rawValue) SEDs in \(state)") { db in
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM message WHERE direction = ? AND state = ?"),
                arguments: [direction.rawValue, state.rawValue]) ?? 0
        }
    }

    // MARK: - Conversations

    public func lastSequence(_ direction: Direction, conversation: String) async throws(SedgateError) -> Int? {
        try await read("read the sequence of a conversation") { db in
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT last FROM conversation WHERE direction = ? AND key = ?"),
                arguments: [direction.rawValue, conversation])
        }
    }

    public func lastSequences(
        _ direction: Direction, conversations: [String]
    ) async throws(SedgateError) -> [String: Int] {
        let unique = Array(Set(conversations))
        guard !unique.isEmpty else { return [:] }
        return try await read("read the sequences of \(unique.count) conversations") { db in
            var found: [String: Int] = [:]
            for chunk in Self.chunks(unique) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(
                    db, sql: "SELECT key, last FROM conversation WHERE direction = ? AND key IN (\(marks))",
                    arguments: StatementArguments([direction.rawValue] + chunk))
                {
                    found[row[0]] = row[1]
                }
            }
            return found
        }
    }

    public func unlanded(conversations: [String]) async throws(SedgateError) -> [String: [MessageRecord]] {
        let unique = Array(Set(conversations))
        guard !unique.isEmpty else { return [:] }
        return try await read("list the SEDs of \(unique.count) conversations waiting to land") { db in
            var found: [String: [MessageRecord]] = [:]
            for chunk in Self.chunks(unique) {
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(
                    db,
                    sql: """
                        SELECT * FROM message WHERE direction = ? AND state IN (?, ?) AND conversation IN (\(marks))
                        ORDER BY conversation, seqNo, seq
                        """,
                    arguments: StatementArguments(
                        [Direction.inbound.rawValue, SEDState.received.rawValue, SEDState.waiting.rawValue] + chunk))
                for row in rows {
                    let conversation: String = row["conversation"]
                    found[conversation, default: []].append(try Journal.message(row))
                }
            }
            return found
        }
    }

    /// `values` in chunks well under SQLite's limit on bound parameters.
    static func chunks(_ values: [String]) -> [ArraySlice<String>] {
        stride(from: 0, to: values.count, by: 500).map { values[$0..<min(values.count, $0 + 500)] }
    }

    public func unlanded(conversation: String) async throws(SedgateError) -> [MessageRecord] {
        try await read("list the SEDs of a conversation waiting to land") { db in
            try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT * FROM message WHERE direction = ? AND conversation = ? AND state IN (?, ?)
                        ORDER BY seqNo, seq
                        """),
                arguments: [
                    Direction.inbound.rawValue, conversation, SEDState.received.rawValue, SEDState.waiting.rawValue,
                ]
            ).map(Journal.message)
        }
    }

    public func conversationsToSettle(waitingSince cutoff: String) async throws(SedgateError) -> [String] {
        try await read("list conversations whose waiting SEDs may land") { db in
            try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT DISTINCT m.conversation FROM message m
                        LEFT JOIN conversation c ON c.direction = m.direction AND c.key = m.conversation
                        WHERE m.direction = ? AND m.state = ? AND m.conversation IS NOT NULL
                          AND (m.createdAt < ? OR m.seqNo <= COALESCE(c.last, 0) + 1)
                        """), arguments: [Direction.inbound.rawValue, SEDState.waiting.rawValue, cutoff])
        }
    }

    public func skipSequence(conversation: String, before seqNo: Int) async throws(SedgateError) {
        let now = timestamp()
        try await write("skip the missing SEDs of a conversation") { db in
            try Journal.raise(.inbound, conversation, to: seqNo - 1, at: now, db: db)
        }
    }

    /// Raises a conversation's last sequence number to `seqNo` (never lowers it).
    static func raise(
        _ direction: Direction, _ conversation: String, to seqNo: Int, at now: String, db: Database
    )
        throws
    {
        try db.run(
            sql: """
                INSERT INTO conversation (direction, key, last, updatedAt) VALUES (?, ?, ?, ?)
                ON CONFLICT (direction, key) DO UPDATE SET last = MAX(last, excluded.last), updatedAt = excluded.updatedAt
                """,
            arguments: [direction.rawValue, conversation, seqNo, now])
    }

    // MARK: - Signals

    public func enqueueSignal(_ signal: SignalRecord) async throws(SedgateError) {
        _ = try await apply([.signal(signal)])
    }

    public func pendingSignals(peer: NodeID?, limit: Int) async throws(SedgateError) -> [SignalRecord] {
        try await read("list pending receipts") { db in
            let rows: [Row]
            if let peer {
                rows = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM signal WHERE done = 0 AND peer = ? ORDER BY id LIMIT ?"),
                    arguments: [peer.rawValue, limit])
            } else {
                rows = try Row.fetchAll(
                    db.cachedStatement(sql: "SELECT * FROM signal WHERE done = 0 ORDER BY id LIMIT ?"),
                    arguments: [limit])
            }
            return rows.compactMap { row in
                guard let peer = NodeID(row["peer"]), let sedId = SEDID(row["sedId"]), let node = NodeID(row["node"])
                else {
                    return nil
                }
                return SignalRecord(
                    id: row["id"], peer: peer, sedId: sedId, kind: row["kind"], node: node, at: row["at"],
                    reason: row["reason"], code: row["code"])
            }
        }
    }

    public func completeSignal(id: Int64) async throws(SedgateError) {
        try await write("mark receipt \(id) sent") { db in
            try db.run(sql: "UPDATE signal SET done = 1 WHERE id = ?", arguments: [id])
        }
    }

    public func completeSignals(ids: [Int64]) async throws(SedgateError) {
        guard !ids.isEmpty else { return }
        try await write("mark \(ids.count) receipts sent") { db in
            for id in ids { try db.run(sql: "UPDATE signal SET done = 1 WHERE id = ?", arguments: [id]) }
        }
    }

    public func completeSignal(peer: NodeID, sedId: SEDID, kind: String) async throws(SedgateError) {
        try await write("mark the \(kind) receipt of \(sedId) for \(peer) sent") { db in
            try db.run(
                sql: "UPDATE signal SET done = 1 WHERE peer = ? AND sedId = ? AND kind = ?",
                arguments: [peer.rawValue, sedId.rawValue, kind])
        }
    }

    // MARK: - Helpers

    /// The current time on the journal's clock, formatted.
    func timestamp() -> String { Timestamp.iso8601(clock()) }

    /// Counts one SED entering `state` (swift-metrics counter `sedgate_seds_total{direction,state}`):
    /// every state change passes through the journal, so this is the one place statistics are counted.
    static func count(_ direction: Direction, _ state: SEDState) {
        Counter(
            label: "sedgate_seds_total", dimensions: [("direction", direction.rawValue), ("state", state.rawValue)]
        )
        .increment()
    }

    static func appendEvent(_ event: HistoryEvent, db: Database) throws {
        try db.run(
            sql: "INSERT INTO event (sedId, direction, state, at, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [event.sedId.rawValue, event.direction.rawValue, event.state.rawValue, event.at, event.detail])
    }

    /// The envelope's JSON for its row (`Envelope.storedJSON`: what `JSONEncoder` with sorted keys writes).
    static func encode(_ envelope: Envelope) -> String {
        envelope.storedJSON
    }

    static func message(_ row: Row) throws -> MessageRecord {
        let envelopeText: String = row["envelope"]
        let envelope = try Envelope.decodingStored(envelopeText)
        guard let sedId = SEDID(row["sedId"]), let peer = NodeID(row["peer"]), let origin = NodeID(row["origin"]),
            let direction = Direction(rawValue: row["direction"]), let state = SEDState(rawValue: row["state"])
        else {
            throw SedgateError(
                .storage,
                "a journal row is corrupt (seq \(row["seq"] as Int64? ?? -1)); restore the journal from backup")
        }
        return MessageRecord(
            seq: row["seq"], sedId: sedId, direction: direction, state: state, file: row["file"], peer: peer,
            origin: origin, envelope: envelope, payloadPath: row["payloadPath"], size: row["size"],
            attempts: row["attempts"], lastError: row["lastError"], createdAt: row["createdAt"],
            updatedAt: row["updatedAt"])
    }

    private func write<T: Sendable>(
        _ what: String, _ body: @Sendable @escaping (Database) throws -> T
    ) async throws(SedgateError) -> T {
        IOCounters.noteCommit()
        do {
            return try await database.write(body)
        } catch let error as SedgateError {
            throw error
        } catch {
            throw SedgateError(.storage, "the journal could not \(what); the change was not made", cause: error)
        }
    }

    private func read<T: Sendable>(
        _ what: String, _ body: @Sendable @escaping (Database) throws -> T
    ) async throws(SedgateError) -> T {
        do {
            return try await database.read(body)
        } catch let error as SedgateError {
            throw error
        } catch {
            throw SedgateError(.storage, "the journal could not \(what)", cause: error)
        }
    }
}

extension Database {
    /// Executes `sql` through the connection's statement cache: compiled once per connection, not on every call (the
    /// journal runs the same few statements for every SED).
    func run(sql: String, arguments: StatementArguments = StatementArguments()) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
