// ConsoleStore: the console's SQLite database, `<spool>/var/console.sqlite`: its users (name, Argon2id hash, roles),
// open sessions (random id, CSRF token, expiry), failed sign-ins per user name (for the lock-out), and the audit
// trail (who, what, when, from where, with what outcome). `sedgate console user ...` writes the users while the
// node runs: WAL and a busy timeout.

public import Foundation
import GRDB
public import SedgateCore

/// A console user as stored.
public struct ConsoleUser: Sendable, Equatable {
    public var name: String
    public var roles: [ConsoleRole]
}

/// An open session.
public struct ConsoleSession: Sendable, Equatable {
    public var id: String
    public var user: ConsoleUser
    /// The token every POST form of this session must carry.
    public var csrf: String
    public var expires: Date
}

/// One line of the audit trail.
public struct AuditEntry: Sendable, Equatable {
    public var id: Int64
    public var at: String
    public var user: String
    public var address: String
    public var action: String
    public var target: String
    public var outcome: String
}

/// How a sign-in attempt ended.
public enum SignInOutcome: Sendable, Equatable {
    case signedIn(ConsoleSession)
    case refused
    /// Too many failures in a row: the name is locked until then.
    case locked(until: Date)
}

/// The console database of one node.
public final class ConsoleStore: Sendable {
    let pool: DatabasePool
    public let path: String

    /// Opens (creating) the database at `path`.
    public init(path: String) throws(SedgateError) {
        self.path = path
        do {
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            var configuration = Configuration()
            configuration.busyMode = .timeout(10)
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            migrator.registerMigration("console-1") { db in
                try db.execute(
                    sql: """
                        CREATE TABLE console_user(
                            name TEXT PRIMARY KEY, hash TEXT NOT NULL, roles TEXT NOT NULL, createdAt TEXT NOT NULL);
                        CREATE TABLE console_session(
                            id TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL, expires REAL NOT NULL,
                            address TEXT NOT NULL);
                        CREATE TABLE console_failure(
                            name TEXT PRIMARY KEY, count INTEGER NOT NULL, lastAt REAL NOT NULL);
                        CREATE TABLE console_audit(
                            id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, user TEXT NOT NULL,
                            address TEXT NOT NULL, action TEXT NOT NULL, target TEXT NOT NULL, outcome TEXT NOT NULL);
                        """)
            }
            try migrator.migrate(pool)
        } catch {
            throw SedgateError(.storage, "the console database \(path) cannot be opened", cause: error)
        }
    }

    // MARK: - Users

    /// Adds a user; fails if the name is taken.
    public func addUser(_ name: String, password: String, roles: [ConsoleRole]) throws(SedgateError) {
        let hash = try PasswordHash.hash(password)
        let added = try write { db -> Bool in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM console_user WHERE name = ?", arguments: [name]) == nil
            else { return false }
            try db.execute(
                sql: "INSERT INTO console_user VALUES (?, ?, ?, ?)",
                arguments: [name, hash, Self.encode(roles), Timestamp.now()])
            return true
        }
        if !added { throw SedgateError(.configuration, "user '\(name)' exists; use `sedgate console user passwd`") }
    }

    /// Changes a user's password (and roles, when given); ends the user's sessions.
    public func setPassword(_ name: String, password: String?, roles: [ConsoleRole]?) throws(SedgateError) {
        let hash = try password.map { (text) throws(SedgateError) in try PasswordHash.hash(text) }
        let found = try write { db -> Bool in
            guard try Int.fetchOne(db, sql: "SELECT 1 FROM console_user WHERE name = ?", arguments: [name]) != nil
            else { return false }
            if let hash {
                try db.execute(sql: "UPDATE console_user SET hash = ? WHERE name = ?", arguments: [hash, name])
            }
            if let roles {
                try db.execute(
                    sql: "UPDATE console_user SET roles = ? WHERE name = ?", arguments: [Self.encode(roles), name])
            }
            try db.execute(sql: "DELETE FROM console_session WHERE user = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM console_failure WHERE name = ?", arguments: [name])
            return true
        }
        if !found {
            throw SedgateError(.notFound, "there is no console user '\(name)'; see `sedgate console user list`")
        }
    }

    /// Removes a user and its sessions.
    public func removeUser(_ name: String) throws(SedgateError) {
        let found = try write { db -> Bool in
            try db.execute(sql: "DELETE FROM console_user WHERE name = ?", arguments: [name])
            let changed = db.changesCount > 0
            try db.execute(sql: "DELETE FROM console_session WHERE user = ?", arguments: [name])
            return changed
        }
        if !found {
            throw SedgateError(.notFound, "there is no console user '\(name)'; see `sedgate console user list`")
        }
    }

    /// Every user, by name.
    public func users() throws(SedgateError) -> [ConsoleUser] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT name, roles FROM console_user ORDER BY name").map {
                ConsoleUser(name: $0["name"], roles: Self.decode($0["roles"]))
            }
        }
    }

    // MARK: - Sign-in and sessions

    /// Checks a password. After `lockout.failures` failures in a row a name is refused, right password or not,
    /// until `lockout.duration` has passed since the last failure; a success clears the count.
    public func signIn(
        _ name: String, password: String, address: String, sessionLength: TimeInterval,
        lockout: (failures: Int, duration: TimeInterval), now: Date = Date()
    ) throws(SedgateError) -> SignInOutcome {
        let (stored, failures) = try read { db -> (Row?, Row?) in
            (
                try Row.fetchOne(db, sql: "SELECT * FROM console_user WHERE name = ?", arguments: [name]),
                try Row.fetchOne(db, sql: "SELECT * FROM console_failure WHERE name = ?", arguments: [name])
            )
        }
        if let failures, (failures["count"] as Int) >= lockout.failures {
            let until = Date(timeIntervalSince1970: failures["lastAt"] as Double).addingTimeInterval(lockout.duration)
            if until > now { return .locked(until: until) }
        }
        // An unknown name costs the same hash as a known one, so timing does not tell which names exist.
        let hash: String = stored?["hash"] ?? PasswordHash.decoy
        guard PasswordHash.verify(password, encoded: hash), let stored else {
            try write { db in
                try db.execute(
                    sql: """
                        INSERT INTO console_failure VALUES (?, 1, ?)
                        ON CONFLICT(name) DO UPDATE SET count = count + 1, lastAt = excluded.lastAt
                        """, arguments: [name, now.timeIntervalSince1970])
            }
            return .refused
        }
        let session = ConsoleSession(
            id: Self.token(), user: ConsoleUser(name: name, roles: Self.decode(stored["roles"])), csrf: Self.token(),
            expires: now.addingTimeInterval(sessionLength))
        try write { db in
            try db.execute(sql: "DELETE FROM console_failure WHERE name = ?", arguments: [name])
            try db.execute(sql: "DELETE FROM console_session WHERE expires < ?", arguments: [now.timeIntervalSince1970])
            try db.execute(
                sql: "INSERT INTO console_session VALUES (?, ?, ?, ?, ?)",
                arguments: [session.id, name, session.csrf, session.expires.timeIntervalSince1970, address])
        }
        return .signedIn(session)
    }

    /// The live session `id` names, its expiry pushed `sessionLength` on; nil when unknown or expired.
    public func session(
        _ id: String, sessionLength: TimeInterval, now: Date = Date()
    ) throws(SedgateError)
        -> ConsoleSession?
    {
        try write { db -> ConsoleSession? in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql: """
                        SELECT s.id, s.csrf, s.expires, u.name, u.roles FROM console_session s
                        JOIN console_user u ON u.name = s.user WHERE s.id = ?
                        """, arguments: [id])
            else { return nil }
            guard (row["expires"] as Double) > now.timeIntervalSince1970 else {
                try db.execute(sql: "DELETE FROM console_session WHERE id = ?", arguments: [id])
                return nil
            }
            let expires = now.addingTimeInterval(sessionLength)
            try db.execute(
                sql: "UPDATE console_session SET expires = ? WHERE id = ?",
                arguments: [expires.timeIntervalSince1970, id])
            return ConsoleSession(
                id: row["id"], user: ConsoleUser(name: row["name"], roles: Self.decode(row["roles"])),
                csrf: row["csrf"], expires: expires)
        }
    }

    /// Ends a session.
    public func endSession(_ id: String) throws(SedgateError) {
        try write { db in try db.execute(sql: "DELETE FROM console_session WHERE id = ?", arguments: [id]) }
    }

    // MARK: - Audit

    /// Records one action: who, what (action and target), from where, and how it ended.
    public func audit(
        user: String, address: String, action: String, target: String, outcome: String
    )
        throws(SedgateError)
    {
        try write { db in
            try db.execute(
                sql: "INSERT INTO console_audit (at, user, address, action, target, outcome) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [Timestamp.now(), user, address, action, target, outcome])
        }
    }

    /// The newest `limit` audit entries, optionally of one user or action, newest first.
    public func auditTrail(
        user: String? = nil, action: String? = nil, limit: Int = 200
    ) throws(SedgateError)
        -> [AuditEntry]
    {
        var sql = "SELECT * FROM console_audit WHERE 1 = 1"
        var values: StatementArguments = []
        if let user, !user.isEmpty {
            sql += " AND user = ?"
            _ = values.append(contentsOf: [user])
        }
        if let action, !action.isEmpty {
            sql += " AND action = ?"
            _ = values.append(contentsOf: [action])
        }
        sql += " ORDER BY id DESC LIMIT ?"
        _ = values.append(contentsOf: [limit])
        let query = sql
        return try read { db in
            try Row.fetchAll(db, sql: query, arguments: values).map {
                AuditEntry(
                    id: $0["id"], at: $0["at"], user: $0["user"], address: $0["address"], action: $0["action"],
                    target: $0["target"], outcome: $0["outcome"])
            }
        }
    }

    // MARK: - Helpers

    /// 32 random bytes as hex: session ids and CSRF tokens.
    static func token() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    static func encode(_ roles: [ConsoleRole]) -> String { roles.map(\.description).joined(separator: ",") }

    static func decode(_ text: String) -> [ConsoleRole] {
        text.split(separator: ",").compactMap { ConsoleRole(String($0)) }
    }

    func read<T>(_ body: (Database) throws -> T) throws(SedgateError) -> T {
        do {
            return try pool.read(body)
        } catch {
            throw SedgateError(.storage, "the console database \(path) cannot be read", cause: error)
        }
    }

    @discardableResult
    func write<T>(_ body: (Database) throws -> T) throws(SedgateError) -> T {
        do {
            return try pool.write(body)
        } catch {
            throw SedgateError(.storage, "the console database \(path) cannot be written", cause: error)
        }
    }
}
