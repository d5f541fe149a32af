// OperatorTests: operators steer a running node's queue (`sedgate queue hold | release | expire`), and a SED
// that outlives its lifetime fails with a report saying why, at the sender.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("Operator commands and expiry, real processes", .serialized)
struct OperatorTests {
    /// Runs `sedgate queue <arguments> --config <config>` and returns its exit status and output.
    static func queue(_ arguments: [String], config: String) async throws -> (status: Int32, output: String) {
        let outcome = try await ChildProcess.run(
            try SedgateBinary.path(), ["queue"] + arguments + ["--config", config])
        return (outcome.status, outcome.output)
    }

    static func reported(_ node: Topology.Node, _ id: SEDID, _ state: String) -> Bool {
        !ExchangeTests.files(node.spool.reports, suffix: "\(id).\(state).json").isEmpty
    }

    @Test("at the CN an operator holds one SED, expires another (its sender is told), then releases the first")
    func holdExpireRelease() async throws {
        let directory = try TemporaryDirectory("e2e-operator")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let cn = topology.node("CN")
        await topology.kill("AP-DK")

        let ids = (0..<3).map { _ in SEDID.random() }
        for (index, id) in ids.enumerated() {
            let hidden = "\(sender.spool.outbound)/.op-\(index).xml"
            try Data(SampleSED.make(sedId: id, index: index)).write(to: URL(fileURLWithPath: hidden))
            #expect(rename(hidden, "\(sender.spool.outbound)/op-\(index).xml") == 0)
        }
        try await Wait.until("all three to wait at the CN", timeout: .seconds(60)) {
            ids.allSatisfy { Self.reported(sender, $0, "sent") }
        }
        // As an operator would: once the CN has found AP-DK unreachable.
        let journal = try Journal(path: cn.spool.varDirectory + "/journal.sqlite")
        try await Wait.until("the CN to find AP-DK unreachable", timeout: .seconds(30)) {
            (try await journal.record(ids[0], .relay)?.attempts ?? 0) > 0
        }
        let hold = try await Self.queue(["hold", ids[0].rawValue], config: cn.config)
        #expect(hold.status == 0, "\(hold.output)")
        let expire = try await Self.queue(["expire", ids[1].rawValue], config: cn.config)
        #expect(expire.status == 0, "\(expire.output)")
        let again = try await Self.queue(["hold", ids[1].rawValue], config: cn.config)
        #expect(again.status == 1 && again.output.contains("is failed here"), "\(again.output)")

        try await Wait.until("the sender to learn of the expiry", timeout: .seconds(60)) {
            Self.reported(sender, ids[1], "failed")
        }
        let failure = try String(
            contentsOfFile: "\(sender.spool.reports)/op-1.xml.\(ids[1]).failed.json", encoding: .utf8)
        #expect(failure.contains("expired by an operator at CN"), "\(failure)")

        try await topology.start("AP-DK")
        try await Wait.until("the SED that was neither held nor expired to arrive", timeout: .seconds(60)) {
            Self.reported(sender, ids[2], "delivered")
        }
        #expect(!Self.reported(sender, ids[0], "delivered"), "a held SED stays at the CN")
        let release = try await Self.queue(["release", ids[0].rawValue], config: cn.config)
        #expect(release.status == 0, "\(release.output)")
        try await Wait.until("the released SED to arrive", timeout: .seconds(60)) {
            Self.reported(sender, ids[0], "delivered")
        }
        #expect(!Self.reported(sender, ids[1], "delivered"), "an expired SED never arrives")
    }

    @Test("a SED that outlives the CN's lifetime fails there, and its sender's report says it expired")
    func expiryAtTheCoordinationNode() async throws {
        let directory = try TemporaryDirectory("e2e-expiry")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(), coordinationNodeLifetimeHours: 0)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let id = SEDID.random()
        let hidden = "\(sender.spool.outbound)/.old.xml"
        try Data(SampleSED.make(sedId: id)).write(to: URL(fileURLWithPath: hidden))
        #expect(rename(hidden, "\(sender.spool.outbound)/old.xml") == 0)
        try await Wait.until("the expiry to reach the sender", timeout: .seconds(60)) {
            Self.reported(sender, id, "failed")
        }
        let failure = try String(contentsOfFile: "\(sender.spool.reports)/old.xml.\(id).failed.json", encoding: .utf8)
        #expect(failure.contains("lifetime"), "\(failure)")
        #expect(!Self.reported(sender, id, "delivered"))
        #expect(ExchangeTests.files(topology.node("AP-DK").spool.inbound, suffix: ".xml").isEmpty)
    }
}
