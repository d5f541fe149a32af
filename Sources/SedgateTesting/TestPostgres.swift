// TestPostgres: a throw-away PostgreSQL server from Debian's `postgresql` package, for the database queue's tests:
// its own cluster in a temporary folder, on a free loopback port, trust authentication for the user `sedgate`.
// Runs initdb and the server (as the `postgres` user when the tests run as root, which PostgreSQL refuses); writes
// only its folder.

import Foundation
import Glibc
import SedgateCore

/// A PostgreSQL server started for one test, stopped (and its folder removed) by `stop()`.
public struct TestPostgres: Sendable {
    /// The TCP port on 127.0.0.1.
    public let port: Int
    /// The superuser every test connects as (trust authentication, no password).
    public let user = "sedgate"
    private let directory: String
    private let prefix: [String]
    private var pid: Int32 = 0

    /// Where Debian installs the server's programs.
    static let programs = "/usr/lib/postgresql/15/bin"

    /// Makes a cluster and starts its server; throws with the programs' output when either fails.
    public static func start() async throws -> TestPostgres {
        let directory = "/tmp/sedgate-pg-\(UUID().uuidString.lowercased())"
        try FileManager.default.createDirectory(
            atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        var prefix: [String] = []
        if geteuid() == 0, let account = getpwnam("postgres") {
            chown(directory, account.pointee.pw_uid, account.pointee.pw_gid)
            prefix = ["/usr/bin/setpriv", "--reuid=postgres", "--regid=postgres", "--clear-groups"]
        }
        var server = TestPostgres(port: try Topology.freePort(), directory: directory, prefix: prefix)
        try await server.run([
            programs + "/initdb", "-D", directory + "/data", "-A", "trust", "-U", "sedgate", "--no-sync",
        ])
        // The server itself is the child (not pg_ctl, whose daemon would keep the child's output open, so the
        // launcher would never see pg_ctl end); it is stopped by its pid.
        let command =
            prefix + [
                programs + "/postgres", "-D", directory + "/data", "-p", "\(server.port)", "-k", directory, "-c",
                "listen_addresses=127.0.0.1", "-c", "fsync=off",
            ]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: command[0])
        process.arguments = Array(command.dropFirst())
        let log = directory + "/log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        server.pid = process.processIdentifier
        let ready = server
        try await Wait.until("PostgreSQL to accept connections", timeout: .seconds(60)) {
            (try? await ready.psql("SELECT 1")) == "1"
        }
        return server
    }

    private init(port: Int, directory: String, prefix: [String]) {
        self.port = port
        self.directory = directory
        self.prefix = prefix
    }

    /// Runs one SQL command with psql and returns its unaligned, tuples-only output, trimmed.
    @discardableResult
    public func psql(_ sql: String, database: String = "postgres") async throws -> String {
        let outcome = try await ChildProcess.run(
            "/usr/bin/psql",
            ["-h", "127.0.0.1", "-p", "\(port)", "-U", user, "-d", database, "-At", "-v", "ON_ERROR_STOP=1", "-c", sql])
        guard outcome.status == 0 else { throw SedgateError(.io, "psql failed: \(outcome.output)") }
        return outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Stops the server at once (SIGQUIT, PostgreSQL's immediate shutdown) and removes its folder.
    public func stop() async {
        if pid > 0, kill(pid, SIGQUIT) == 0 {
            // Its pid file goes when it has stopped (the pid itself lingers until the launcher reaps it).
            let pidFile = directory + "/data/postmaster.pid"
            try? await Wait.until("PostgreSQL to stop", timeout: .seconds(10)) {
                !FileManager.default.fileExists(atPath: pidFile)
            }
        }
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func run(_ command: [String]) async throws {
        let all = prefix + command
        let outcome = try await ChildProcess.run(all[0], Array(all.dropFirst()))
        guard outcome.status == 0 else {
            throw SedgateError(.io, "\(command[0]) failed (\(outcome.status)): \(outcome.output)")
        }
    }
}
