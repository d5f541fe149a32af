// SyncLedger: the requesting access point's record of its synchronous requests (FS-46): each one's deadline and
// whether it was answered or timed out. Reads and writes `<spool>/var/sync.sqlite` (GRDB, WAL, synchronous=FULL),
// beside the journal and not in it: the journal says where a SED is, the ledger whether its answer came in time.
//
// Each decision is one UPDATE guarded by the row's state, so a reply and the deadline can race without both
// winning: a request is answered or timed out, never both.

public import Foundation
import GRDB
public import SedgateCore

/// One synchronous request this access point sent.
public struct TrackedRequest: Sendable, Hashable {
    public var sedId: SEDID
    /// Its name in `outbound/`, for its reports.
    public var file: String
    public var deadline: Date
    public var state: SyncDeadline.State

    public init(sedId: SEDID, file: String, deadline: Date, state: SyncDeadline.State) {
        self.sedId = sedId
        self.file = file
        self.deadline = deadline
        self.state = state
    }
}

/// The synchronous requests of one access point, their deadlines and outcomes.
public final class SyncLedger: Sendable {
    let database: DatabaseQueue
    public let path: String

    /// Opens (creating if needed) the ledger at `path`; every commit is synced (a timeout report or a landed reply
    /// must never be taken back by a power cut).
    public init(path: String) throws(SedgateError) {
        self.path = path
        do {
            database = try DatabaseQueue(path: path)
            try database.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            try database.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS request (
                            sedId TEXT PRIMARY KEY,
                            file TEXT NOT NULL,
                            deadline TEXT NOT NULL,
                            state TEXT NOT NULL,
                            answeredBy TEXT,
                            reported INTEGER NOT NULL DEFAULT 0
                        );
                        CREATE INDEX IF NOT EXISTS request_due ON request (state, deadline);
                        CREATE TABLE IF NOT EXISTS mark (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL);
                        """)
            }
        } catch {
            throw SedgateError(
                .storage, "cannot open the synchronous-request ledger at \(path); check that the spool is writable",
                cause: error)
        }
    }

    /// The journal position up to which requests have been looked for.
    public func highWater() async throws(SedgateError) -> Int64 {
        try await run("read its position") { db in
            try Int64.fetchOne(db, sql: "SELECT seq FROM mark WHERE id = 1") ?? 0
        }
    }

    /// Starts tracking `requests` (a request already tracked is left as it is) and moves the position to `seq`.
    public func track(_ requests: [TrackedRequest], upTo seq: Int64) async throws(SedgateError) {
        try await run("track requests") { db in
            for request in requests {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO request (sedId, file, deadline, state) VALUES (?, ?, ?, ?)",
                    arguments: [
                        request.sedId.rawValue, request.file, Timestamp.iso8601(request.deadline),
                        request.state.rawValue,
                    ])
            }
            try db.execute(
                sql: "INSERT INTO mark (id, seq) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq",
                arguments: [seq])
        }
    }

    /// Times out every pending request whose deadline is before `now`; returns the timed-out requests not yet
    /// reported (those of earlier passes too, should a crash have come between).
    public func expire(now: Date) async throws(SedgateError) -> [TrackedRequest] {
        try await run("time out requests") { db in
            try db.execute(
                sql: "UPDATE request SET state = 'timeout' WHERE state = 'pending' AND deadline < ?",
                arguments: [Timestamp.iso8601(now)])
            return try Row.fetchAll(db, sql: "SELECT * FROM request WHERE state = 'timeout' AND reported = 0")
                .compactMap(Self.request)
        }
    }

    /// Notes that the timeout of `sedId` has been reported.
    public func reported(_ sedId: SEDID) async throws(SedgateError) {
        try await run("note a report") { db in
            try db.execute(sql: "UPDATE request SET reported = 1 WHERE sedId = ?", arguments: [sedId.rawValue])
        }
    }

    /// The earliest deadline still pending, if any.
    public func nextDeadline() async throws(SedgateError) -> Date? {
        try await run("read the next deadline") { db in
            try String.fetchOne(db, sql: "SELECT MIN(deadline) FROM request WHERE state = 'pending'")
                .flatMap(Timestamp.parse)
        }
    }

    /// Decides on `reply` to `request` at `now`, in one transaction: an on-time reply answers a pending request, a
    /// late one times it out. Nil when `request` is not tracked here.
    public func admit(reply: SEDID, to request: SEDID, now: Date) async throws(SedgateError) -> SyncDeadline.Verdict? {
        try await run("admit a reply") { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT * FROM request WHERE sedId = ?", arguments: [request.rawValue]),
                let tracked = Self.request(row)
            else { return nil }
            let answeredBy = (row["answeredBy"] as String?).flatMap(SEDID.init)
            let verdict = SyncDeadline.verdict(
                reply: reply, request: request, state: tracked.state, answeredBy: answeredBy,
                deadline: tracked.deadline, now: now)
            switch (verdict, tracked.state) {
            case (.onTime, .pending):
                try db.execute(
                    sql: "UPDATE request SET state = 'answered', answeredBy = ? WHERE sedId = ?",
                    arguments: [reply.rawValue, request.rawValue])
            case (.late, .pending):
                try db.execute(
                    sql: "UPDATE request SET state = 'timeout' WHERE sedId = ?", arguments: [request.rawValue])
            default: break
            }
            return verdict
        }
    }

    /// Where one request stands, if tracked.
    public func request(_ sedId: SEDID) async throws(SedgateError) -> TrackedRequest? {
        try await run("read a request") { db in
            try Row.fetchOne(db, sql: "SELECT * FROM request WHERE sedId = ?", arguments: [sedId.rawValue])
                .flatMap(Self.request)
        }
    }

    /// Forgets requests whose deadline passed before `cutoff` (the journal's `keep-days`): a reply to one of them
    /// is judged from the journal, as long as it remembers the request.
    public func forget(before cutoff: Date) async throws(SedgateError) {
        try await run("forget old requests") { db in
            try db.execute(
                sql: "DELETE FROM request WHERE state <> 'pending' AND reported = (state = 'timeout') AND deadline < ?",
                arguments: [Timestamp.iso8601(cutoff)])
        }
    }

    static func request(_ row: Row) -> TrackedRequest? {
        guard let sedId = SEDID(row["sedId"]), let deadline = Timestamp.parse(row["deadline"]),
            let state = SyncDeadline.State(rawValue: row["state"])
        else { return nil }
        return TrackedRequest(sedId: sedId, file: row["file"], deadline: deadline, state: state)
    }

    private func run<T: Sendable>(
        _ what: String, _ body: @Sendable @escaping (Database) throws -> T
    ) async throws(SedgateError) -> T {
        do {
            return try await database.write(body)
        } catch {
            throw SedgateError(.storage, "the synchronous-request ledger at \(path) could not \(what)", cause: error)
        }
    }
}
