// BackPressureTests: a CN over capacity refuses new SEDs with a retry-after signal instead of failing;
// the sending AP keeps them, slows down, and delivers them all once there is room again. Nothing is lost.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("Back-pressure, real processes", .serialized)
struct BackPressureTests {
    @Test("a CN whose queue is full answers back-pressure; the sender waits and nothing is lost")
    func fullQueue() async throws {
        let directory = try TemporaryDirectory("e2e-pressure")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            coordinationNodeSettings: "[limits]\nmax-queued = 10\nretry-after-s = 1\n")
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        await topology.kill("AP-DK")  // nothing leaves the CN, so its queue fills up

        let committed = try ExchangeTests.commit(30, to: sender, prefix: "bp")
        let journal = try Journal(path: sender.spool.varDirectory + "/journal.sqlite")
        try await Wait.until("the CN to answer back-pressure", timeout: .seconds(60)) {
            try await journal.records(.outbound, in: .accepted, peer: nil, limit: 100)
                .contains { $0.lastError?.contains("over capacity") == true }
        }
        #expect(
            ExchangeTests.files(sender.spool.reports, suffix: ".sent.json").count == 10, "the CN took exactly its limit"
        )
        #expect(
            ExchangeTests.files(sender.spool.reports, suffix: ".failed.json").isEmpty, "back-pressure is not failure")

        try await topology.start("AP-DK")
        try await Wait.progressing("all 30 to be delivered once there is room", to: 30, interval: .milliseconds(100)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: topology.node("AP-DK"))
    }
}
