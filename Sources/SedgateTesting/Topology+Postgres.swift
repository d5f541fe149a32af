// Topology+Postgres: runs any test topology's CN on PostgreSQL instead of SQLite, to check that the existing
// end-to-end tests hold on the cluster store: with `SEDGATE_TEST_CN_POSTGRES=<port>` set, each topology gets a
// fresh database on the PostgreSQL server at 127.0.0.1:<port> (user `sedgate`, trust authentication), and its
// CN a `[cluster]` table naming it. Unset (the default), nothing changes.

import Foundation
import Glibc
import SedgateCore

extension Topology {
    /// The `[cluster]` table to append to a CN's file under `SEDGATE_TEST_CN_POSTGRES`, else "" (also when
    /// `settings` already has one: a cluster topology names its own database).
    static func postgresSettings(besides settings: String) throws -> String {
        guard let port = ProcessInfo.processInfo.environment["SEDGATE_TEST_CN_POSTGRES"].flatMap(Int.init),
            !settings.contains("[cluster]")
        else { return "" }
        let name = "topology_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "").prefix(16)
        let log = NSTemporaryDirectory() + "sedgate-createdb-\(name).log"
        defer { try? FileManager.default.removeItem(atPath: log) }
        let psql = try SpawnedProcess(
            executable: "/usr/bin/psql",
            arguments: [
                "-h", "127.0.0.1", "-p", "\(port)", "-U", "sedgate", "-d", "postgres", "-c", "CREATE DATABASE \(name)",
            ],
            environment: nil, logPath: log)
        while psql.isRunning { usleep(10_000) }
        guard psql.terminationStatus == 0 else {
            let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            throw SedgateError(.io, "cannot create the database \(name) on port \(port): \(output)")
        }
        return "[cluster]\ndatabase = \"postgres://sedgate@127.0.0.1:\(port)/\(name)\"\nlease-ms = 2000\n"
    }
}
