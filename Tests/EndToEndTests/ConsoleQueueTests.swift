// ConsoleQueueTests: the queue actions of the console beyond hold and release, over HTTP against running nodes: at
// an AP, SEDs no inbound route matches wait in manual/, where an operator finds them by receiver, routes one by hand
// to a channel and rejects another (a reason is required); at the CN an operator expires a SED that waits, and its
// sender's journal learns it failed; the retry button wakes the senders; statistics download as XML; each action is
// in the audit trail.

import Foundation
import NIOHTTP1
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("Queue actions in the console, over HTTP", .serialized)
struct ConsoleQueueTests {
    @Test("manual routing at an AP (route by hand, reject with a reason), expire and retry at the CN, XML statistics")
    func manualRoutingExpireAndRetry() async throws {
        let fixture = try ConsoleFixture(
            "console-queue",
            accessPointSettings: """
                [inbound-routes.10-pensions]
                receiver = "DK:0002"
                to = "inbound/pensions"
                """)
        let topology = fixture.topology
        defer { topology.abandon() }
        try await fixture.addUser("olga", roles: ["operator"], at: "AP-DK")
        try await fixture.addUser("olga", roles: ["operator"])
        try await fixture.addUser("alice", roles: ["admin"], at: "AP-DK")
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        func files(_ folder: String) -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: receiver.spool.root + "/" + folder)) ?? [])
                .filter { $0.hasSuffix(".xml") }
        }

        // Two SEDs for receivers no route names: both wait in AP-DK's manual/.
        let routed = SEDID.random()
        let refused = SEDID.random()
        for (index, (id, to)) in [(routed, "DK:0999"), (refused, "DK:0888")].enumerated() {
            let hidden = "\(sender.spool.outbound)/.m\(index).xml"
            try Data(SampleSED.make(sedId: id, receiver: to, index: index)).write(to: URL(fileURLWithPath: hidden))
            #expect(rename(hidden, "\(sender.spool.outbound)/m\(index).xml") == 0)
        }
        try await Wait.until("both SEDs to wait in AP-DK's manual/", timeout: .seconds(120)) {
            files("manual").count == 2
        }

        // The operator finds the first by its receiver's start; its page offers manual routing, not hold.
        let olga = ConsoleHTTP(fixture.consoles["AP-DK"]!)
        try await olga.signIn("olga")
        // The page lists what waits in manual/ below the search's answer.
        let found = try await olga.get("/messages?receiver=DK:09")
        let parts = found.body.components(separatedBy: "<h2>Waiting in manual/</h2>")
        #expect(parts.count == 2, "\(found.body)")
        #expect(parts[0].contains("1 SED found") && parts[0].contains("/messages/\(routed)"), "\(parts[0])")
        #expect(parts.last!.contains("/messages/\(routed)") && parts.last!.contains("/messages/\(refused)"))
        let page = try await olga.get("/messages/\(routed)")
        for action in ["forward", "reject", "return"] {
            #expect(page.body.contains("confirm?action=\(action)"), "an operator may \(action) a SED in manual/")
        }
        #expect(!page.body.contains("confirm?action=hold"), "\(page.body)")
        let confirm = try await olga.get("/messages/\(routed)/confirm?action=forward")
        #expect(confirm.body.contains("name=\"to\""), "the confirmation asks for the channel")

        // Routed by hand to inbound/pensions: the file leaves manual/ for that channel.
        let token = try await olga.csrf()
        let forwarded = try await olga.post(
            "/messages/\(routed)/act", ["action": "forward", "to": "inbound/pensions", "confirm": "yes", "csrf": token])
        #expect(forwarded.status == 200, "\(forwarded.body)")
        #expect(files("inbound/pensions").contains { $0.contains(routed.rawValue) }, "\(files("inbound/pensions"))")
        #expect(!files("manual").contains { $0.contains(routed.rawValue) })

        // A rejection without a reason is not done; with one, the SED moves to rejected/.
        let unexplained = try await olga.post(
            "/messages/\(refused)/act", ["action": "reject", "reason": " ", "confirm": "yes", "csrf": token])
        #expect(unexplained.body.contains("Not done: say why"), "\(unexplained.body)")
        #expect(files("manual").contains { $0.contains(refused.rawValue) })
        let rejected = try await olga.post(
            "/messages/\(refused)/act",
            ["action": "reject", "reason": "DK:0888 is no institution of ours", "confirm": "yes", "csrf": token])
        #expect(rejected.status == 200, "\(rejected.body)")
        #expect(files("manual").isEmpty, "\(files("manual"))")
        #expect(files("rejected").contains { $0.contains(refused.rawValue) }, "\(files("rejected"))")

        // At the CN, a SED waiting for a stopped AP-DK is expired: AP-BE's journal learns it failed.
        await topology.kill("AP-DK")
        let waiting = try fixture.commitSED(index: 2)
        let journal = try fixture.journal()
        try await Wait.until("the SED to wait at the CN for AP-DK", timeout: .seconds(120)) {
            (try await journal.record(waiting, .relay)?.attempts ?? 0) > 0
        }
        let cn = ConsoleHTTP(fixture.consoles["CN"]!)
        try await cn.signIn("olga")
        let cnToken = try await cn.csrf()
        let expired = try await cn.post(
            "/messages/\(waiting)/act", ["action": "expire", "confirm": "yes", "csrf": cnToken])
        #expect(expired.body.contains("failed: expired by an operator at CN"), "\(expired.body)")
        #expect(try await journal.record(waiting, .relay)?.state == .failed)
        let senderJournal = try fixture.journal("AP-BE")
        try await Wait.until("AP-BE to learn the SED failed", timeout: .seconds(120)) {
            try await senderJournal.record(waiting, .outbound)?.state == .failed
        }

        // The retry button answers on the dashboard; the statistics download as XML.
        let retried = try await cn.post("/queue/retry", ["csrf": cnToken])
        #expect(retried.body.contains("will retry everything that waits"), "\(retried.body)")
        let xml = try await cn.get("/statistics?by=day,state&format=xml")
        #expect(xml.status == 200 && xml.headers["Content-Type"].first?.hasPrefix("application/xml") == true)
        #expect(xml.body.hasPrefix("<?xml") && xml.body.contains("failed"), "\(xml.body)")

        // AP-DK's audit trail names the routing, the refused rejection and the rejection with its reason.
        try await topology.start("AP-DK")
        let alice = ConsoleHTTP(fixture.consoles["AP-DK"]!)
        try await alice.signIn("alice")
        let trail = try await alice.get("/audit")
        for expected in ["forward", "failed: say why", "reject", "DK:0888 is no institution of ours", "olga"] {
            #expect(trail.body.contains(expected), "the audit trail names \(expected)")
        }
    }
}
