// ConfigurationTests: a node refuses a wrong configuration at start, with exit code 2 and a message that
// names the file and the line (or the table and key) and what is wrong. Each error's message is checked in
// process, by NodeSetupTests; this checks once that the node itself stops on one and prints it.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("Configuration errors, real process")
struct ConfigurationTests {
    @Test("invalid TOML stops the node with exit code 2 and a message naming the file and the line")
    func badSyntax() async throws {
        let directory = try TemporaryDirectory("config")
        let path = directory.appending("node.toml")
        try Data("[node]\nid = \"AP-BE\"\nrole = \n".utf8).write(to: URL(fileURLWithPath: path))
        let outcome = try await ChildProcess.run(try SedgateBinary.path(), ["ap", "--config", path])
        #expect(outcome.status == 2)
        #expect(outcome.output.contains("\(path) line 3"), "\(outcome.output)")
    }
}
