// OutageTests: a destination access point that is down does not lose or reorder anything: the CN keeps
// what waits for it (reported `sent` at the sender), and delivers it all, in order, when it returns.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("Peer outage, real processes", .serialized)
struct OutageTests {
    static func files(_ directory: String, suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(suffix) }
    }

    @Test("SEDs sent while the destination AP is down wait at the CN and arrive in commit order when it returns")
    func destinationDownThenBack() async throws {
        let directory = try TemporaryDirectory("e2e-outage")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        await topology.kill("AP-DK")

        // Committed one by one, each accepted before the next, so commit order is unambiguous.
        var ids: [SEDID] = []
        for index in 0..<30 {
            let id = SEDID.random()
            ids.append(id)
            let name = String(format: "wait-%02d.xml", index)
            let hidden = "\(sender.spool.outbound)/.\(name)"
            try Data(SampleSED.make(sedId: id, index: index)).write(to: URL(fileURLWithPath: hidden))
            #expect(rename(hidden, "\(sender.spool.outbound)/\(name)") == 0)
            try await Wait.until("\(name) to be accepted", timeout: .seconds(30)) {
                !Self.files(sender.spool.reports, suffix: "\(id).accepted.json").isEmpty
            }
        }
        try await Wait.until("all 30 to be stored at the CN", timeout: .seconds(60)) {
            Self.files(sender.spool.reports, suffix: ".sent.json").count == 30
        }
        #expect(
            Self.files(sender.spool.reports, suffix: ".delivered.json").isEmpty,
            "nothing is delivered while AP-DK is down")

        try await topology.start("AP-DK")
        try await Wait.progressing("all 30 to be delivered after AP-DK returns", to: 30, interval: .milliseconds(100)) {
            Self.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        await topology.stopAll()
        let journal = try Journal(path: receiver.spool.varDirectory + "/journal.sqlite")
        let landed = try await journal.records(.inbound, in: .landed, peer: nil, limit: 100)
        #expect(landed.map(\.sedId) == ids, "AP-DK received them in the order they were committed")
        #expect(Self.files(receiver.spool.inbound, suffix: ".xml").count == 30)
    }
}
