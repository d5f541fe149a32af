// RoutingTests: inbound routing rules, with real processes: received SEDs land in the channel their envelope's
// rule names (three channels here), one no rule matches lands in manual/, and an operator forwards one from there
// and returns another to its sender, who gets a `failed` report with the reason.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Inbound routing and the manual queue, real processes", .serialized)
struct RoutingTests {
    @Test(
        "rules send SEDs to inbound/pensions, inbound/sickness and inbound/ by receiver and sector; the unmatched land in manual/, where an operator forwards one and returns another"
    )
    func routesAndManualQueue() async throws {
        let directory = try TemporaryDirectory("e2e-routing")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: """
                [inbound-routes.10-pensions]
                receiver = "DK:0002"
                sector = "PE"
                to = "inbound/pensions"

                [inbound-routes.20-sickness]
                receiver = "DK:01*"
                to = "inbound/sickness"

                [inbound-routes.30-national]
                receiver = "DK:03*, DK:04*"
                to = "inbound"
                """)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")

        let plan: [(receiver: String, channel: String)] = [
            ("DK:0002", "inbound/pensions"), ("DK:0002", "inbound/pensions"), ("DK:0105", "inbound/sickness"),
            ("DK:0199", "inbound/sickness"), ("DK:0300", "inbound"), ("DK:0401", "inbound"), ("DK:0999", "manual"),
            ("DK:0888", "manual"),
        ]
        let ids = plan.map { _ in SEDID.random() }
        for (index, (id, item)) in zip(ids, plan).enumerated() {
            let hidden = "\(sender.spool.outbound)/.r-\(index).xml"
            try Data(SampleSED.make(sedId: id, receiver: item.receiver, index: index)).write(
                to: URL(fileURLWithPath: hidden))
            #expect(rename(hidden, "\(sender.spool.outbound)/r-\(index).xml") == 0)
        }
        func landed(_ folder: String) -> [String] {
            ExchangeTests.files(receiver.spool.root + "/" + folder, suffix: ".xml")
        }
        try await Wait.until("every SED landed in its channel", timeout: .seconds(60)) {
            landed("inbound/pensions").count == 2 && landed("inbound/sickness").count == 2
                && landed("inbound").count == 2 && landed("manual").count == 2
        }
        for (id, item) in zip(ids, plan) {
            #expect(landed(item.channel).contains { $0.contains(id.rawValue) }, "\(id) in \(item.channel)")
        }
        let note = try String(
            contentsOfFile: receiver.spool.manual + "/" + landed("manual").first! + ".error", encoding: .utf8)
        #expect(note.contains("no inbound route matches receiver DK:0"), "\(note)")

        // Taken from a routed sub-folder: the sender hears `routed`.
        let sick = landed("inbound/sickness").first { $0.contains(ids[2].rawValue) }!
        try FileManager.default.removeItem(atPath: receiver.spool.inbound + "/sickness/" + sick)
        try await Wait.until("routed reported for a SED taken from inbound/sickness", timeout: .seconds(30)) {
            OperatorTests.reported(sender, ids[2], "routed")
        }

        // The operator's view of manual/, then one forwarded and one returned.
        let list = try await OperatorTests.queue(["manual", "list"], config: receiver.config)
        #expect(list.status == 0 && list.output.contains(ids[6].rawValue) && list.output.contains(ids[7].rawValue))
        #expect(list.output.contains("DK:0999"), "\(list.output)")
        let forward = try await OperatorTests.queue(
            ["manual", "forward", ids[6].rawValue, "--to", "inbound/pensions"], config: receiver.config)
        #expect(forward.status == 0, "\(forward.output)")
        #expect(landed("inbound/pensions").contains { $0.contains(ids[6].rawValue) })
        #expect(!landed("manual").contains { $0.contains(ids[6].rawValue) })
        let back = try await OperatorTests.queue(
            ["manual", "return", ids[7].rawValue, "--reason", "DK:0888 is no institution of ours"],
            config: receiver.config)
        #expect(back.status == 0, "\(back.output)")
        #expect(landed("manual").isEmpty)
        #expect(ExchangeTests.files(receiver.spool.manual, suffix: ".error").isEmpty)
        try await Wait.until("the returned SED failed at its sender, with the reason", timeout: .seconds(30)) {
            OperatorTests.reported(sender, ids[7], "failed")
        }
        let failed = try #require(ExchangeTests.files(sender.spool.reports, suffix: "\(ids[7]).failed.json").first)
        let failure = try String(contentsOfFile: sender.spool.reports + "/" + failed, encoding: .utf8)
        #expect(failure.contains("DK:0888 is no institution of ours"), "\(failure)")
        // A forwarded SED is tracked under its new name: taking it from there is `routed`, never a take-up of
        // manual/ when the operator moved it.
        #expect(!OperatorTests.reported(sender, ids[6], "routed"))
        let forwarded = landed("inbound/pensions").first { $0.contains(ids[6].rawValue) }!
        try FileManager.default.removeItem(atPath: receiver.spool.inbound + "/pensions/" + forwarded)
        try await Wait.until("routed reported for the forwarded SED", timeout: .seconds(30)) {
            OperatorTests.reported(sender, ids[6], "routed")
        }
        let again = try await OperatorTests.queue(["manual", "list"], config: receiver.config)
        #expect(again.output.contains("manual/ is empty"), "\(again.output)")
        await topology.stopAll()
    }
}
