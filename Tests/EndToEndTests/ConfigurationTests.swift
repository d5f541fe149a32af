// ConfigurationTests: a node refuses a wrong configuration at start, with exit code 2 and a message that
// names the file, the table and key (or the line) and what is wrong.

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

    @Test("a missing key is named with its table")
    func missingKey() async throws {
        let result = try await Self.start(with: Self.valid.replacingOccurrences(of: "id = \"CN\"\n", with: ""))
        #expect(result.status == 2)
        #expect(result.errors.contains("[cn] id is missing"), "\(result.errors)")
    }

    @Test("invalid TOML is reported with its line")
    func badSyntax() async throws {
        let result = try await Self.start(with: "[node]\nid = \"AP-BE\"\nrole = \n")
        #expect(result.status == 2)
        #expect(result.errors.contains("line 3"), "\(result.errors)")
    }

    /// Found by `make fuzz` (target toml): TOMLKit's parser aborted the node (a failed assertion in toml++) on these.
    @Test(
        "a table header that names no table is refused with its line, not a crash",
        arguments: [
            ("[#node]\n", 14), ("[[ =x]]\n", 14), ("[\nnode = 1\n", 14), ("x = \"\"\"\n[a]\n\"\"\"\r\n\t[ #x]\r\n", 17),
        ])
    func unnamedTableHeader(header: String, line: Int) async throws {
        let result = try await Self.start(with: Self.valid + header)
        #expect(result.status == 2, "\(result.errors)")
        #expect(result.errors.contains("line \(line): a table header names its table"), "\(result.errors)")
    }

    @Test("a value of the wrong kind says what kind is expected")
    func wrongType() async throws {
        let result = try await Self.start(with: Self.valid.replacingOccurrences(of: "port = 1", with: "port = \"1\""))
        #expect(result.status == 2)
        #expect(result.errors.contains("[server] port must be an integer"), "\(result.errors)")
    }

    @Test("a coordination node's file given to `sedgate ap` is refused with the right command to use")
    func wrongRole() async throws {
        let result = try await Self.start(
            with: Self.valid.replacingOccurrences(of: "role = \"ap\"", with: "role = \"cn\""))
        #expect(result.status == 2)
        #expect(result.errors.contains("configures a coordination node; start it with `sedgate cn"), "\(result.errors)")
    }

    @Test("a configured conversions folder that does not exist is refused by its key, not replaced by another")
    func missingConversions() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let result = try await Self.start(
            with: Self.valid + """
                [conversions]
                directory = "/nonexistent/conversions"
                [profiles.ub]
                mapping = "\(repository)/mappings/ub-periods-1.yaml"

                """)
        #expect(result.status == 2)
        #expect(result.errors.contains("[conversions] directory"), "\(result.errors)")
        #expect(result.errors.contains("/nonexistent/conversions"), "\(result.errors)")
    }
}
