// ReplicatedPostgres: a PostgreSQL primary with one streaming standby, from Debian's `postgresql` package, for the
// CN cluster's tests: both on loopback in one temporary folder, the standby made with `pg_basebackup -R` and, when
// asked, synchronous (the primary's commit returns only once the standby has the WAL). The primary can be killed
// and the standby promoted, as an operator would after losing the primary's machine. Writes only its folder.

import Foundation
import Glibc
import SedgateCore

/// A primary and a streaming standby, stopped (and their folder removed) by `stop()`.
public final class ReplicatedPostgres: @unchecked Sendable {
    /// The primary's TCP port on 127.0.0.1.
    public let primaryPort: Int
    /// The standby's TCP port on 127.0.0.1.
    public let standbyPort: Int
    /// The superuser every test connects as (trust authentication, no password).
    public let user = "sedgate"
    private let directory: String
    private let prefix: [String]
    private let durable: Bool
    private let lock = NSLock()
    private var servers: [Int: SpawnedProcess] = [:]

    /// Both servers' URLs, the primary first: a clustered CN's `[cluster] database`.
    public var urls: [String] {
        [primaryPort, standbyPort].map { "postgres://\(user)@127.0.0.1:\($0)/postgres" }
    }

    /// Makes the primary, copies it into a standby that streams from it, starts both, and (with `synchronous`)
    /// makes every commit on the primary wait for the standby. Both run with `fsync = off` (a killed server's writes
    /// are in the kernel's cache: the tests kill processes, not machines) unless `durable`, for measurements.
    public static func start(synchronous: Bool = true, durable: Bool = false) async throws -> ReplicatedPostgres {
        let directory = "/tmp/sedgate-pgrepl-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        var prefix: [String] = []
        if geteuid() == 0, let account = getpwnam("postgres") {
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
            prefix = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"]
        }
        let pair = ReplicatedPostgres(
            directory: directory, prefix: prefix, primaryPort: try Topology.freePort(),
            standbyPort: try Topology.freePort(), durable: durable)
        try await pair.run([
            TestPostgres.programs + "/initdb", "-D", directory + "/primary", "-A", "trust", "-U", "sedgate",
            "--no-sync",
        ])
        try pair.launch("primary", port: pair.primaryPort)
        try await pair.waitReady(pair.primaryPort)
        try await pair.run([
            TestPostgres.programs + "/pg_basebackup", "-h", "127.0.0.1", "-p", "\(pair.primaryPort)", "-U", "sedgate",
            "-D", directory + "/standby", "-R", "-X", "stream", "--no-sync",
        ])
        try pair.launch("standby", port: pair.standbyPort)
        try await pair.waitReady(pair.standbyPort)
        if synchronous {
            // Set on the primary only, after the copy: the standby, once promoted, runs without one.
            try await pair.psql("ALTER SYSTEM SET synchronous_standby_names = '*'", port: pair.primaryPort)
            try await pair.psql("SELECT pg_reload_conf()", port: pair.primaryPort)
            try await Wait.until("the standby to replicate synchronously", timeout: .seconds(60)) {
                (try? await pair.psql("SELECT sync_state FROM pg_stat_replication", port: pair.primaryPort))
                    == "sync"
            }
        }
        return pair
    }

    private init(directory: String, prefix: [String], primaryPort: Int, standbyPort: Int, durable: Bool) {
        self.durable = durable
        self.directory = directory
        self.prefix = prefix
        self.primaryPort = primaryPort
        self.standbyPort = standbyPort
    }

    /// Runs one SQL command with psql on the server at `port` and returns its unaligned, tuples-only output.
    @discardableResult
    public func psql(_ sql: String, port: Int) async throws -> String {
        let outcome = try await ChildProcess.run(
            "/usr/bin/psql",
            [
                "-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c",
                sql,
            ])
        guard outcome.status == 0 else { throw SedgateError(.io, "psql failed: \(outcome.output)") }
        return outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Kills the primary with SIGKILL (its machine is lost) and waits until it and its backends are gone.
    public func killPrimary() async throws {
        guard let server = lock.withLock({ servers.removeValue(forKey: primaryPort) }) else { return }
        kill(server.processIdentifier, SIGKILL)
        while server.isRunning { try await Task.sleep(for: .milliseconds(10)) }
        // Its backends notice the postmaster's death and end; none may answer afterwards.
        try await Wait.until("the primary's port to close", timeout: .seconds(30)) {
            !Topology.isListening(port: self.primaryPort)
        }
    }

    /// Sends `signal` to the primary and every process it started (its backends, WAL sender, ...): SIGSTOP is a
    /// model of a machine lost while its TCP connections stay up (the kernel still accepts and acknowledges, nobody
    /// answers), SIGCONT brings it back.
    public func signalPrimary(_ signal: Int32) {
        guard let server = lock.withLock({ servers[primaryPort] }) else { return }
        let parent = server.processIdentifier
        // The postmaster first, so that it starts no process once its children are listed.
        kill(parent, signal)
        for child in Self.children(of: parent) { kill(child, signal) }
    }

    /// The processes whose parent is `parent` (from /proc).
    static func children(of parent: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { name -> Int32? in
            guard let pid = Int32(name),
                let stat = try? String(contentsOfFile: "/proc/\(name)/stat", encoding: .utf8),
                let end = stat.lastIndex(of: ")")
            else { return nil }
            // After "pid (comm)": state, then the parent's pid.
            let fields = stat[stat.index(after: end)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == parent ? pid : nil
        }
    }

    /// Promotes the standby (`pg_ctl promote`) and waits until it accepts writes.
    public func promote() async throws {
        try await run([TestPostgres.programs + "/pg_ctl", "promote", "-w", "-D", directory + "/standby"])
        try await Wait.until("the promoted standby to accept writes", timeout: .seconds(60)) {
            (try? await self.psql("SELECT pg_is_in_recovery()", port: self.standbyPort)) == "f"
        }
    }

    /// Stops both servers at once (SIGQUIT) and removes their folder.
    public func stop() async {
        let all = lock.withLock {
            let all = Array(servers.values)
            servers.removeAll()
            return all
        }
        for server in all where server.isRunning { kill(server.processIdentifier, SIGQUIT) }
        for server in all {
            let deadline = ContinuousClock.now + .seconds(10)
            while server.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
            if server.isRunning { kill(server.processIdentifier, SIGKILL) }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    deinit {
        for server in servers.values where server.isRunning { kill(server.processIdentifier, SIGKILL) }
    }

    /// Starts the server of `folder` on `port` (not through pg_ctl: the server is the child, stopped by its pid).
    private func launch(_ folder: String, port: Int) throws {
        let command =
            prefix + [
                TestPostgres.programs + "/postgres", "-D", directory + "/" + folder, "-p", "\(port)", "-k", directory,
                "-c", "listen_addresses=127.0.0.1", "-c", "wal_level=replica", "-c", "max_wal_senders=4",
                "-c", "hot_standby=on",
            ] + (durable ? [] : ["-c", "fsync=off"])
        let log = directory + "/\(folder).log"
        let server = try SpawnedProcess(
            executable: command[0], arguments: Array(command.dropFirst()), environment: nil, logPath: log)
        lock.withLock { servers[port] = server }
    }

    private func waitReady(_ port: Int) async throws {
        try await Wait.until("PostgreSQL on port \(port) to accept connections", timeout: .seconds(60)) {
            (try? await self.psql("SELECT 1", port: port)) == "1"
        }
    }

    private func run(_ command: [String]) async throws {
        let all = prefix + command
        let outcome = try await ChildProcess.run(all[0], Array(all.dropFirst()))
        guard outcome.status == 0 else {
            throw SedgateError(.io, "\(command[0]) failed (\(outcome.status)): \(outcome.output)")
        }
    }
}
