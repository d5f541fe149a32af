// ProfileTests: a flat file committed to `outbound/<profile>/` is converted with the profile's mapping, and
// each SED it holds crosses to the destination; a bad flat file is rejected whole and nothing of it is sent.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Conversion profiles, real processes", .serialized)
struct ProfileTests {
    @Test(
        "an MTF file in outbound/ub/ becomes one SED per person, each delivered (and written back as MTF) or failed on its own; a file without its trailer is rejected whole"
    )
    func flatFileCrosses() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let directory = try TemporaryDirectory("e2e-profile")
        // The sample file's institutions are in DE (sender) and AT (receiver): AP-DK stands in for Austria here.
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPoints: [("AP-BE", "BE"), ("AP-DK", "AT")],
            accessPointSettings: """
                [profiles.ub]
                mapping = "\(repository)/mappings/ub-periods-1.yaml"
                format = "mtf"
                inbound-types = "U017"
                """)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let sample = try Data(contentsOf: URL(fileURLWithPath: "\(repository)/mappings/examples/ub-periods.mtf"))
        try FileManager.default.createDirectory(
            atPath: sender.spool.outbound + "/ub", withIntermediateDirectories: true)

        // Without its last (trailer) record the file is bad as a whole.
        let lines = sample.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let truncated = Data(lines.dropLast(2).joined(separator: [UInt8(ascii: "\n")])) + Data("\n".utf8)
        try truncated.write(to: URL(fileURLWithPath: sender.spool.outbound + "/ub/.short.mtf"))
        #expect(rename(sender.spool.outbound + "/ub/.short.mtf", sender.spool.outbound + "/ub/short.mtf") == 0)
        try sample.write(to: URL(fileURLWithPath: sender.spool.outbound + "/ub/.periods.mtf"))
        #expect(rename(sender.spool.outbound + "/ub/.periods.mtf", sender.spool.outbound + "/ub/periods.mtf") == 0)

        // The file's three SEDs: two for Austria (served by AP-DK here), one for Poland, which has no route.
        try await Wait.until("two SEDs delivered and one failed", timeout: .seconds(60)) {
            let reports = ExchangeTests.files(sender.spool.reports, suffix: ".json").filter {
                $0.hasPrefix("ub__periods.mtf.")
            }
            return reports.filter { $0.hasSuffix(".delivered.json") }.count == 2
                && reports.filter { $0.hasSuffix(".failed.json") }.count == 1
        }
        let failed = try #require(
            ExchangeTests.files(sender.spool.reports, suffix: ".failed.json").first { $0.hasPrefix("ub__periods.mtf.") }
        )
        let failure = try String(contentsOfFile: sender.spool.reports + "/" + failed, encoding: .utf8)
        #expect(failure.contains("unknown-route") && failure.contains("PL:0011"), "\(failure)")
        try await Wait.until("short.mtf to be rejected", timeout: .seconds(30)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".rejected.json").contains {
                $0.hasPrefix("ub__short.mtf.")
            }
        }
        let error = try String(contentsOfFile: sender.spool.rejected + "/ub__short.mtf.error", encoding: .utf8)
        #expect(error.contains("trailer"), "\(error)")
        #expect(error.contains("record"), "\(error)")
        await topology.stopAll()
        // AP-DK's profile writes inbound U017s back as MTF files, one (header, person, periods, trailer) each.
        let inbound = ExchangeTests.files(receiver.spool.inbound, suffix: "")
        #expect(inbound.count == 2, "the two routable SEDs, and nothing from the bad file: \(inbound)")
        #expect(inbound.allSatisfy { $0.contains("U017") && $0.hasSuffix(".mtf") }, "\(inbound)")
        for name in inbound {
            let flat = try String(contentsOfFile: receiver.spool.inbound + "/" + name, encoding: .isoLatin1)
            let records = flat.split(separator: "\n")
            #expect(records.first?.hasPrefix("H") == true && records.last?.hasPrefix("T") == true, "\(flat)")
            #expect(records.allSatisfy { $0.count == 80 }, "fixed 80-byte records")
        }
    }
}
