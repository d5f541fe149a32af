// LabCommandTests: `sedgate bench|demo|pki` are run by `sedgate-lab`, found beside `sedgate`, with the same
// arguments: the shipped executable keeps the commands without linking the test support they need.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("sedgate hands its lab commands to sedgate-lab, real process")
struct LabCommandTests {
    @Test("`sedgate pki` makes the certificates, through sedgate-lab, with the arguments it was given")
    func pki() async throws {
        let folder = try TemporaryDirectory("lab")
        let pki = folder.appending("pki")
        let outcome = try await ChildProcess.run(
            try SedgateBinary.path(), ["pki", "--directory", pki, "--nodes", "CN"])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(FileManager.default.fileExists(atPath: pki + "/CN.crt"), "\(outcome.output)")
        #expect(FileManager.default.fileExists(atPath: pki + "/ca.crt"), "\(outcome.output)")
    }

    @Test("`sedgate bench --help` is sedgate-lab's help of its benchmarks")
    func benchHelp() async throws {
        let outcome = try await ChildProcess.run(try SedgateBinary.path(), ["bench", "--help"])
        #expect(outcome.status == 0, "\(outcome.output)")
        #expect(
            outcome.output.contains("sedgate-lab bench") && outcome.output.contains("exchange"), "\(outcome.output)")
    }
}
