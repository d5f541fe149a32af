// ClusterConfigurationTests: a CN's `[cluster]` table and an AP's list of CN URLs are checked at start like any
// other setting: a wrong value stops the node with exit code 2 and names the key and what is wrong.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("CN cluster configuration, real process")
struct ClusterConfigurationTests {
    /// Runs `sedgate ROLE --config FILE` and returns its exit code and what it printed.
    static func start(_ role: String, with text: String) async throws -> (status: Int32, errors: String) {
        let directory = try TemporaryDirectory("cluster-config")
        let path = directory.appending("node.toml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let outcome = try await ChildProcess.run(try SedgateBinary.path(), [role, "--config", path])
        return (outcome.status, outcome.output)
    }

    static let coordinationNode = """
        [node]
        id = "CN"
        role = "cn"
        spool = "/nonexistent/never-created"
        [server]
        port = 1
        [tls]
        certificate = "a.crt"
        private-key = "a.key"
        ca = "ca.crt"
        [peers]
        "AP-BE" = "https://127.0.0.1:2"

        """

    @Test("a [cluster] database that is not a postgres:// URL is refused by name")
    func badDatabaseURL() async throws {
        let result = try await Self.start(
            "cn", with: Self.coordinationNode + "[cluster]\ndatabase = [\"postgres://sedgate@db1/cn\", \"db2:5432\"]\n")
        #expect(result.status == 2)
        #expect(result.errors.contains("[cluster] database"), "\(result.errors)")
        #expect(result.errors.contains("'db2:5432'"), "\(result.errors)")
    }

    @Test("a lease shorter than half a second is refused")
    func shortLease() async throws {
        let result = try await Self.start(
            "cn", with: Self.coordinationNode + "[cluster]\ndatabase = \"postgres://sedgate@db1/cn\"\nlease-ms = 100\n")
        #expect(result.status == 2)
        #expect(result.errors.contains("[cluster] lease-ms"), "\(result.errors)")
    }

    @Test("a misspelt [cluster] key is refused instead of silently becoming a default")
    func unknownKey() async throws {
        let result = try await Self.start(
            "cn", with: Self.coordinationNode + "[cluster]\ndatabase = \"postgres://sedgate@db1/cn\"\nlease_ms = 900\n")
        #expect(result.status == 2)
        #expect(result.errors.contains("[cluster] lease_ms is not a known setting"), "\(result.errors)")
    }

    @Test("an AP's [cn] url may list several CN processes, and an empty list is refused")
    func accessPointURLs() async throws {
        let base = ConfigurationTests.valid
        let empty = try await Self.start(
            "ap", with: base.replacingOccurrences(of: "url = \"https://127.0.0.1:2\"", with: "url = []"))
        #expect(empty.status == 2)
        #expect(empty.errors.contains("[cn] url"), "\(empty.errors)")
        // A list is read (the node then fails on its missing TLS files, not on the list).
        let listed = try await Self.start(
            "ap",
            with: base.replacingOccurrences(
                of: "url = \"https://127.0.0.1:2\"", with: "url = [\"https://127.0.0.1:2\", \"https://127.0.0.1:3\"]"))
        #expect(!listed.errors.contains("[cn] url"), "\(listed.errors)")
    }
}
