// ConfigurationTests: a node refuses a wrong configuration at start, with exit code 2 and a message that
// names the file, the table and key and what is wrong. Each error's message is checked in process, by
// NodeSetupTests; this checks once that the node itself stops on one and prints it.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("Configuration errors, real process")
struct ConfigurationTests {
    /// Runs `sedgate ap --config FILE` and returns its exit code and what it printed.
    static func start(with text: String) async throws -> (status: Int32, errors: String) {
        let directory = try TemporaryDirectory("config")
        let path = directory.appending("node.toml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let outcome = try await ChildProcess.run(try SedgateBinary.path(), ["ap", "--config", path])
        return (outcome.status, outcome.output)
    }

    static let valid = """
        [node]
        id = "AP-BE"
        role = "ap"
        spool = "/nonexistent/never-created"
        [server]
        port = 1
        [tls]
        certificate = "a.crt"
        private-key = "a.key"
        ca = "ca.crt"
        [cn]
        id = "CN"
        url = "https://127.0.0.1:2"

        """

    @Test("a misspelt key is refused by name instead of silently becoming a default")
    func unknownKey() async throws {
        let result = try await Self.start(with: Self.valid + "[intake]\nsettle_ms = 100\n")
        #expect(result.status == 2)
        #expect(result.errors.contains("[intake] settle_ms is not a known setting"), "\(result.errors)")
    }
}
