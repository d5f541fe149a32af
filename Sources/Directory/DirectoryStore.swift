// DirectoryStore: the directory's SQLite database (GRDB): current entries, the full history of changes (who, when,
// why; the unit of replication, by serial), an FTS5 search index, and refused attempts. The CN's copy is the master;
// an AP's is a replica brought up to date by DirectoryReplica. Several processes may open it (the node and
// `sedgate directory`): WAL, and a busy timeout.

public import Foundation
import GRDB
public import SedgateCore

/// The directory database of one node.
public final class DirectoryStore: Sendable {
    /// The database file.
    public let path: String
    /// The fields and their checks.
    public let schema: DirectorySchema
    /// Folding and synonyms for search.
    public let text: SearchText
    let pool: DatabasePool

    /// Opens (creating) the database at `path`.
    public init(path: String, schema: DirectorySchema, text: SearchText) throws(SedgateError) {
        self.path = path
        self.schema = schema
        self.text = text
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("directory-1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE directory_entry(
                            rowid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, kind TEXT NOT NULL, country TEXT,
                            ehic INTEGER NOT NULL DEFAULT 0, body TEXT NOT NULL, serial INTEGER NOT NULL);
                        CREATE INDEX directory_entry_country ON directory_entry(country, kind);
                        CREATE TABLE directory_change(
                            serial INTEGER PRIMARY KEY, id TEXT NOT NULL, kind TEXT NOT NULL, operation TEXT NOT NULL,
                            body TEXT, who TEXT NOT NULL, at TEXT NOT NULL, why TEXT NOT NULL);
                        CREATE INDEX directory_change_id ON directory_change(id, serial);
                        CREATE TABLE directory_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                        INSERT INTO directory_meta VALUES ('serial', '0'), ('epoch', '0');
                        CREATE TABLE directory_refusal(
                            at TEXT NOT NULL, who TEXT NOT NULL, id TEXT NOT NULL, reason TEXT NOT NULL);
                        CREATE VIRTUAL TABLE directory_search USING fts5(
                            text, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
                        """)
            }
            try migrator.migrate(pool)
        } catch {
            throw SedgateError(.storage, "the directory database \(path) cannot be opened", cause: error)
        }
    }

    // MARK: - Reading

    /// The serial of the last change applied (0: empty, never replicated).
    public func serial() throws(SedgateError) -> Int64 {
        try read { db in
            Int64(try String.fetchOne(db, sql: "SELECT value FROM directory_meta WHERE key='serial'") ?? "0") ?? 0
        }
    }

    /// Grows when the whole copy was replaced (a snapshot): followers reload instead of applying changes.
    public func epoch() throws(SedgateError) -> Int64 {
        try read { db in
            Int64(try String.fetchOne(db, sql: "SELECT value FROM directory_meta WHERE key='epoch'") ?? "0") ?? 0
        }
    }

    /// The current entry `id`, if it exists.
    public func entry(_ id: String) throws(SedgateError) -> DirectoryEntry? {
        try read { db in
            try String.fetchOne(db, sql: "SELECT body FROM directory_entry WHERE id = ?", arguments: [id])
        }.flatMap(Self.decodeEntry)
    }

    /// Entry `id` as it was at `date`: the state its last change before then left (nil: absent then).
    public func entry(_ id: String, asOf date: Date) throws(SedgateError) -> DirectoryEntry? {
        let at = Self.timestamp(date)
        let row = try read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT operation, body FROM directory_change WHERE id = ? AND at <= ? ORDER BY serial DESC LIMIT 1
                    """, arguments: [id, at])
        }
        guard let row, (row["operation"] as String) == "set" else { return nil }
        return (row["body"] as String?).flatMap(Self.decodeEntry)
    }

    /// Every change of `id`, oldest first.
    public func history(_ id: String) throws(SedgateError) -> [DirectoryChange] {
        try changes(sql: "SELECT * FROM directory_change WHERE id = ? ORDER BY serial", arguments: [id])
    }

    /// The last change of `id` (to tell a closed institution and its successor from one never known).
    public func lastChange(_ id: String) throws(SedgateError) -> DirectoryChange? {
        try changes(
            sql: "SELECT * FROM directory_change WHERE id = ? ORDER BY serial DESC LIMIT 1", arguments: [id]
        ).first
    }

    /// Changes after `serial`, oldest first, at most `limit`.
    public func changes(after serial: Int64, limit: Int = 1_000) throws(SedgateError) -> [DirectoryChange] {
        try changes(
            sql: "SELECT * FROM directory_change WHERE serial > ? ORDER BY serial LIMIT ?", arguments: [serial, limit])
    }

    /// Entries in id order after `afterID`, at most `limit`, optionally of one kind, country and sector.
    public func entries(
        kind: EntryKind? = nil, country: String? = nil, sector: String? = nil, after afterID: String = "",
        limit: Int = Int.max
    ) throws(SedgateError) -> [DirectoryEntry] {
        var sql = "SELECT body FROM directory_entry WHERE id > ?"
        var arguments: [any DatabaseValueConvertible] = [afterID]
        if let kind {
            sql += " AND kind = ?"
            arguments.append(kind.rawValue)
        }
        if let country {
            // An access point belongs to the countries it serves.
            sql +=
                " AND (country = ? OR (kind = 'ap' AND EXISTS (SELECT 1 FROM json_each(body, '$.fields.country') "
                + "WHERE value = ?)))"
            arguments.append(contentsOf: [country, country])
        }
        if let sector {
            sql += " AND EXISTS (SELECT 1 FROM json_each(body, '$.fields.sector') WHERE value = ?)"
            arguments.append(sector)
        }
        sql += " ORDER BY id LIMIT ?"
        arguments.append(min(limit, Int(Int32.max)))
        let bodies = try read { db in
            try String.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
        }
        return bodies.compactMap(Self.decodeEntry)
    }

    /// Every institution's serving access point, by address: what routing reads.
    public func routes() throws(SedgateError) -> [String: NodeID] {
        let rows = try read { db in
            try Row.fetchAll(
                db, sql: "SELECT id, json_extract(body, '$.fields.ap[0]') AS ap FROM directory_entry WHERE kind = 'ci'")
        }
        var routes: [String: NodeID] = [:]
        routes.reserveCapacity(rows.count)
        for row in rows {
            if let ap = (row["ap"] as String?).flatMap(NodeID.init) { routes[row["id"]] = ap }
        }
        return routes
    }

    /// Refused attempts (who, when, which entry, why), newest first.
    public func refusals(
        limit: Int = 100
    ) throws(SedgateError) -> [(at: String, who: String, id: String, reason: String)] {
        try read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM directory_refusal ORDER BY rowid DESC LIMIT ?", arguments: [limit]
            ).map { ($0["at"], $0["who"], $0["id"], $0["reason"]) }
        }
    }

    // MARK: - Writing

    /// Checks `proposals` as one batch: the schema, and that each institution's serving AP is in the directory
    /// (or in the batch). Returns the problems, each naming the entry and field.
    public func problems(_ proposals: [DirectoryProposal]) throws(SedgateError) -> [(index: Int, problem: String)] {
        var found: [(index: Int, problem: String)] = []
        let batchAPs = Set(
            proposals.compactMap { if case .set(let e) = $0, e.kind == .accessPoint { e.id } else { nil } })
        var knownAPs = Set(try entries(kind: .accessPoint).map(\.id))
        knownAPs.formUnion(batchAPs)
        for (index, proposal) in proposals.enumerated() {
            switch proposal {
            case .set(let entry):
                for problem in schema.problems(entry) { found.append((index, "\(entry.id): \(problem)")) }
                if let ap = entry.value("ap"), entry.kind == .institution, !knownAPs.contains(ap) {
                    found.append(
                        (index, "\(entry.id): field 'ap' names \(ap), which is not an access point of the directory"))
                }
            case .delete(_, let id, let successor):
                if let successor, Address(successor) == nil {
                    found.append((index, "\(id): successor '\(successor)' is not CC:INSTITUTION[:OFFICE[:EXTRA]]"))
                }
            }
        }
        return found
    }

    /// Applies `proposals` in one transaction (all or nothing) after checking them; returns the last serial.
    /// Throws `.schemaViolation` naming every problem when any is found; nothing is applied then.
    @discardableResult
    public func apply(
        _ proposals: [DirectoryProposal], who: String, why: String, at date: Date = Date()
    )
        throws(SedgateError) -> Int64
    {
        let problems = try problems(proposals)
        guard problems.isEmpty else {
            throw SedgateError(
                .schemaViolation,
                "nothing was applied: " + problems.prefix(20).map(\.problem).joined(separator: "; ")
                    + (problems.count > 20 ? "; and \(problems.count - 20) more" : ""))
        }
        let at = Self.timestamp(date)
        return try write { db in
            var serial =
                Int64(try String.fetchOne(db, sql: "SELECT value FROM directory_meta WHERE key='serial'") ?? "0") ?? 0
            for proposal in proposals {
                serial += 1
                var change: DirectoryChange
                switch proposal {
                case .set(let entry):
                    change = DirectoryChange(
                        serial: serial, operation: .set, kind: entry.kind, id: entry.id, entry: entry, who: who, at: at,
                        why: why)
                case .delete(let kind, let id, let successor):
                    var last = try String.fetchOne(
                        db, sql: "SELECT body FROM directory_entry WHERE id = ?", arguments: [id]
                    ).flatMap(Self.decodeEntry)
                    if let successor { last?.fields["successor"] = [successor] }
                    change = DirectoryChange(
                        serial: serial, operation: .delete, kind: kind, id: id, entry: last, who: who, at: at, why: why)
                }
                try self.record(change, in: db)
            }
            return serial
        }
    }

    /// Applies changes made at the master, with their serials (replication). Changes already applied are
    /// skipped, so a batch may be replayed.
    public func replay(_ changes: [DirectoryChange]) throws(SedgateError) {
        try write { db in
            let current =
                Int64(try String.fetchOne(db, sql: "SELECT value FROM directory_meta WHERE key='serial'") ?? "0") ?? 0
            for change in changes where change.serial > current { try self.record(change, in: db) }
        }
    }

    /// Replaces the whole copy with a snapshot taken at `serial` (replication of an empty or lost copy). The history
    /// before the snapshot stays at the master.
    public func replace(with entries: [DirectoryEntry], serial: Int64, at date: Date = Date()) throws(SedgateError) {
        let at = Self.timestamp(date)
        try write { db in
            try db.execute(
                sql: "DELETE FROM directory_entry; DELETE FROM directory_search; DELETE FROM directory_change")
            for entry in entries {
                let body = Self.encode(entry)
                try self.store(entry, body: body, serial: serial, in: db)
                try db.cachedStatement(
                    sql: "INSERT INTO directory_change VALUES (NULL, ?, ?, 'set', ?, 'snapshot', ?, ?)"
                ).execute(arguments: [entry.id, entry.kind.rawValue, body, at, "snapshot at serial \(serial)"])
            }
            // The snapshot's own rows must not collide with the master's serials that follow.
            try db.execute(sql: "UPDATE directory_change SET serial = -rowid")
            try db.execute(sql: "UPDATE directory_meta SET value = ? WHERE key = 'serial'", arguments: ["\(serial)"])
            try db.execute(sql: "UPDATE directory_meta SET value = CAST(value AS INTEGER) + 1 WHERE key = 'epoch'")
        }
    }

    /// Notes a refused attempt to change the directory.
    public func recordRefusal(who: String, id: String, reason: String) {
        _ = try? write { db in
            try db.execute(
                sql: "INSERT INTO directory_refusal VALUES (?, ?, ?, ?)",
                arguments: [Self.timestamp(Date()), who, id, reason])
        }
    }

    // MARK: - Internals

    private func record(_ change: DirectoryChange, in db: Database) throws {
        // Cached statements: a bulk import runs these a hundred thousand times.
        let body = change.entry.map(Self.encode)
        try db.cachedStatement(sql: "INSERT OR REPLACE INTO directory_change VALUES (?, ?, ?, ?, ?, ?, ?, ?)").execute(
            arguments: [
                change.serial, change.id, change.kind.rawValue, change.operation.rawValue, body, change.who,
                change.at, change.why,
            ])
        switch change.operation {
        case .set:
            if let entry = change.entry { try store(entry, body: body, serial: change.serial, in: db) }
        case .delete:
            if let rowid = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT rowid FROM directory_entry WHERE id = ?"), arguments: [change.id])
            {
                try db.cachedStatement(sql: "DELETE FROM directory_search WHERE rowid = ?").execute(arguments: [rowid])
                try db.cachedStatement(sql: "DELETE FROM directory_entry WHERE rowid = ?").execute(arguments: [rowid])
            }
        }
        try db.cachedStatement(
            sql: "UPDATE directory_meta SET value = ? WHERE key = 'serial' AND CAST(value AS INTEGER) < ?"
        ).execute(arguments: ["\(change.serial)", change.serial])
    }

    private func store(_ entry: DirectoryEntry, body given: String? = nil, serial: Int64, in db: Database) throws {
        let body = given ?? Self.encode(entry)
        let existing = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT rowid FROM directory_entry WHERE id = ?"), arguments: [entry.id])
        let rowid: Int64
        if let existing {
            try db.cachedStatement(
                sql: "UPDATE directory_entry SET kind = ?, country = ?, ehic = ?, body = ?, serial = ? WHERE rowid = ?"
            ).execute(arguments: [
                entry.kind.rawValue, entry.country, entry.isEHICIssuer ? 1 : 0, body, serial, existing,
            ])
            try db.cachedStatement(sql: "DELETE FROM directory_search WHERE rowid = ?").execute(arguments: [existing])
            rowid = existing
        } else {
            try db.cachedStatement(
                sql: "INSERT INTO directory_entry(id, kind, country, ehic, body, serial) VALUES (?, ?, ?, ?, ?, ?)"
            ).execute(arguments: [
                entry.id, entry.kind.rawValue, entry.country, entry.isEHICIssuer ? 1 : 0, body, serial,
            ])
            rowid = db.lastInsertedRowID
        }
        try db.cachedStatement(sql: "INSERT INTO directory_search(rowid, text) VALUES (?, ?)").execute(
            arguments: [rowid, indexText(entry)])
    }

    /// What search finds an entry by: names (folded, Latin), the address and its parts, searchable fields, and
    /// the codes of coded fields with their labels in every language.
    func indexText(_ entry: DirectoryEntry) -> String {
        var parts: [String] = [entry.id, entry.id.replacingOccurrences(of: ":", with: " ")]
        if let country = entry.country {
            parts.append(contentsOf: (schema.codes["country"]?[country] ?? [:]).values)
        }
        for (key, values) in entry.fields {
            guard let field = schema.fields[DirectorySchema.base(key)], field.operational != true else { continue }
            if field.type == "code", let list = field.codes {
                for value in values {
                    parts.append(value)
                    parts.append(contentsOf: (schema.codes[list]?[value] ?? [:]).values)
                }
            } else if field.searchable == true {
                parts.append(contentsOf: values)
            }
        }
        // A marker word, so that search finds the EHIC issuers among the matches first without ranking them all.
        if entry.isEHICIssuer { parts.append(Self.ehicMarker) }
        return text.fold(parts.joined(separator: " "))
    }

    /// The index word every EHIC issuer carries.
    static let ehicMarker = "zzehicissuerzz"

    func read<T>(_ body: (Database) throws -> T) throws(SedgateError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw SedgateError(.storage, "the directory database \(path) cannot be read", cause: error)
        }
    }

    func write<T>(_ body: (Database) throws -> T) throws(SedgateError) -> T {
        do {
            return try pool.write(body)
        } catch let error as SedgateError {
            throw error
        } catch {
            throw SedgateError(.storage, "the directory database \(path) cannot be written", cause: error)
        }
    }

    private func changes(sql: String, arguments: StatementArguments) throws(SedgateError) -> [DirectoryChange] {
        try read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                DirectoryChange(
                    serial: row["serial"], operation: DirectoryChange.Operation(rawValue: row["operation"]) ?? .set,
                    kind: EntryKind(rawValue: row["kind"]) ?? .institution, id: row["id"],
                    entry: (row["body"] as String?).flatMap(Self.decodeEntry), who: row["who"], at: row["at"],
                    why: row["why"])
            }
        }
    }

    static func encode(_ entry: DirectoryEntry) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(entry)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    static func decodeEntry(_ body: String) -> DirectoryEntry? {
        try? JSONDecoder().decode(DirectoryEntry.self, from: Data(body.utf8))
    }

    /// ISO 8601 UTC with milliseconds: sorts as text.
    public static func timestamp(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: date)
    }
}
