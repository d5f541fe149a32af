// OperationsMeasurements: what the operations features cost on a large journal: a statistics harvest, a stats
// query, a scrape's gauges. Measurements, not tests: they run only with SEDGATE_MEASURE=1
// (`SEDGATE_MEASURE=1 swift test --filter OperationsMeasurements`) and print their figures.

import Foundation
import Operations
import SedgateCore
import SedgateTesting
import Store
import Testing

@Suite("Operations measurements", .enabled(if: ProcessInfo.processInfo.environment["SEDGATE_MEASURE"] != nil))
struct OperationsMeasurements {
    @Test("harvest, query and scrape over a CN journal of 20,000 relayed SEDs and 20,000 queued")
    func largeJournal() async throws {
        let directory = try TemporaryDirectory("measure-ops")
        let journal = try Journal(path: directory.path + "/journal.sqlite")
        let envelope = try Envelope(fields: [
            .sedType: "P001", .sedVersion: "1.0", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: "c0ffee00-0000-4000-8000-000000000001", .sender: "BE:0001", .receiver: "DK:0002",
        ])
        func records(_ count: Int) -> [MessageRecord] {
            (0..<count).map { _ in
                let id = SEDID.random()
                return MessageRecord(
                    sedId: id, direction: .relay, state: .stored, file: nil, peer: NodeID("AP-DK")!,
                    origin: NodeID("AP-BE")!, envelope: envelope, payloadPath: "var/store/\(id)", size: 5_000)
            }
        }
        let forwarded = records(20_000)
        for chunk in stride(from: 0, to: forwarded.count, by: 500) {
            _ = try await journal.insertAll(Array(forwarded[chunk..<min(chunk + 500, forwarded.count)]), detail: nil)
            _ = try await journal.apply(
                forwarded[chunk..<min(chunk + 500, forwarded.count)].map {
                    .transition($0.sedId, .relay, to: .forwarded, onlyFrom: [.stored], file: nil, detail: nil)
                })
        }
        let queued = records(20_000)
        for chunk in stride(from: 0, to: queued.count, by: 500) {
            _ = try await journal.insertAll(Array(queued[chunk..<min(chunk + 500, queued.count)]), detail: nil)
        }
        let statistics = try StatisticsStore(path: directory.path + "/statistics.sqlite")
        let clock = ContinuousClock()
        var harvested = 0
        let harvest = try await clock.measure { harvested = try await statistics.harvest(journal) }
        let again = try await clock.measure { _ = try await statistics.harvest(journal) }
        let query = try await clock.measure {
            _ = try await statistics.query(
                from: nil, to: nil, by: try StatisticsStore.dimensions(["day", "country", "sector", "state"]))
        }
        let metrics = NodeMetrics(
            node: NodeID("CN")!, journal: journal, spoolRoot: directory.path, certificatePath: "/nonexistent")
        let scrape = await clock.measure { await metrics.refresh() }
        let size =
            (try FileManager.default.attributesOfItem(atPath: directory.path + "/statistics.sqlite")[.size]
                as? Int) ?? 0
        print(
            "operations measurements: harvested \(harvested) SEDs in \(harvest), an idle harvest \(again), "
                + "a stats query over 40,000 by day,country,sector,state \(query), a scrape's gauges with 20,000 "
                + "queued \(scrape); statistics file \(size / 1_024) KiB (\(size / max(1, harvested)) bytes per SED)")
    }
}
