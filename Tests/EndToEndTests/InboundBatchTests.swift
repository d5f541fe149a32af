// InboundBatchTests: an inbound batch, with real processes: received U017s routed to `batch:nightly` are collected
// into one MTF file (header, SEDs, trailer) per three SEDs or per period, each landing whole in inbound/ with its
// report, and taking the file routes every SED it holds.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Inbound batches, real processes", .serialized)
struct InboundBatchTests {
    struct Report: Decodable {
        var batch: String
        var file: String
        var count: Int
        var seds: [String]
    }

    @Test("four U017s become one MTF file of three (by count) and one of one (by period), each with a report")
    func collects() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let directory = try TemporaryDirectory("e2e-inbound-batch")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPoints: [("AP-BE", "BE"), ("AP-DK", "AT")],
            accessPointSettings: """
                [profiles.ub]
                mapping = "\(repository)/mappings/ub-periods-1.yaml"
                format = "mtf"

                [inbound-batches.nightly]
                profile = "ub"
                max-count = 3
                period-s = 4

                [inbound-routes.10-unemployment]
                sed-type = "U017"
                to = "batch:nightly"
                """)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        // The sample holds two units for Austria (served by AP-DK here) and one for Poland (no route): committed
        // twice, four U017s cross.
        let sample = try Data(contentsOf: URL(fileURLWithPath: "\(repository)/mappings/examples/ub-periods.mtf"))
        try FileManager.default.createDirectory(
            atPath: sender.spool.outbound + "/ub", withIntermediateDirectories: true)
        for name in ["a.mtf", "b.mtf"] {
            try sample.write(to: URL(fileURLWithPath: sender.spool.outbound + "/ub/." + name))
            #expect(rename(sender.spool.outbound + "/ub/." + name, sender.spool.outbound + "/ub/" + name) == 0)
        }
        try await Wait.until("two inbound batch files", timeout: .seconds(90)) {
            ExchangeTests.files(receiver.spool.reports, suffix: ".landed.json").count == 2
        }
        let reports = try ExchangeTests.files(receiver.spool.reports, suffix: ".landed.json").map {
            try JSONDecoder().decode(
                Report.self, from: Data(contentsOf: URL(fileURLWithPath: receiver.spool.reports + "/" + $0)))
        }
        #expect(reports.map(\.count).sorted() == [1, 3], "three by count, then one by period")
        #expect(Set(reports.flatMap(\.seds)).count == 4)
        let files = ExchangeTests.files(receiver.spool.inbound, suffix: ".mtf")
        #expect(Set(files) == Set(reports.map(\.file)), "\(files)")
        for report in reports {
            let flat = try String(contentsOfFile: receiver.spool.inbound + "/" + report.file, encoding: .isoLatin1)
            let records = flat.split(separator: "\n")
            #expect(records.first?.hasPrefix("H") == true && records.last?.hasPrefix("T") == true)
            #expect(records.allSatisfy { $0.count == 80 })
            #expect(report.file.hasPrefix("nightly-"))
        }
        #expect(ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").isEmpty)
        let collect = receiver.spool.root + "/var/collect/nightly"
        #expect(ExchangeTests.files(collect, suffix: ".xml").isEmpty, "nothing left behind")

        // Taking the file of three routes each of its SEDs at the sender.
        let three = try #require(reports.first { $0.count == 3 })
        try FileManager.default.removeItem(atPath: receiver.spool.inbound + "/" + three.file)
        try await Wait.until("routed for the three SEDs of the taken file", timeout: .seconds(30)) {
            three.seds.allSatisfy { !ExchangeTests.files(sender.spool.reports, suffix: "\($0).routed.json").isEmpty }
        }
        let one = try #require(reports.first { $0.count == 1 })
        #expect(ExchangeTests.files(sender.spool.reports, suffix: "\(one.seds[0]).routed.json").isEmpty)
        await topology.stopAll()
    }

    @Test("a route to profile:ub writes each received U017 back as its own MTF file in inbound/")
    func profileRoute() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let directory = try TemporaryDirectory("e2e-profile-route")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPoints: [("AP-BE", "BE"), ("AP-DK", "AT")],
            accessPointSettings: """
                [profiles.ub]
                mapping = "\(repository)/mappings/ub-periods-1.yaml"
                format = "mtf"

                [inbound-routes.10-unemployment]
                sed-type = "U017"
                to = "profile:ub"
                """)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let sample = try Data(contentsOf: URL(fileURLWithPath: "\(repository)/mappings/examples/ub-periods.mtf"))
        try FileManager.default.createDirectory(
            atPath: sender.spool.outbound + "/ub", withIntermediateDirectories: true)
        try sample.write(to: URL(fileURLWithPath: sender.spool.outbound + "/ub/.a.mtf"))
        #expect(rename(sender.spool.outbound + "/ub/.a.mtf", sender.spool.outbound + "/ub/a.mtf") == 0)
        try await Wait.until("two MTF files in inbound/", timeout: .seconds(60)) {
            ExchangeTests.files(receiver.spool.inbound, suffix: ".mtf").count == 2
        }
        for name in ExchangeTests.files(receiver.spool.inbound, suffix: ".mtf") {
            let records = try String(contentsOfFile: receiver.spool.inbound + "/" + name, encoding: .isoLatin1)
                .split(separator: "\n")
            #expect(records.first?.hasPrefix("H") == true && records.last?.hasPrefix("T") == true)
        }
        #expect(ExchangeTests.files(receiver.spool.manual, suffix: "").isEmpty)
        await topology.stopAll()
    }
}
