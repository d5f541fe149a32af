// ResequencerTests: landing received SEDs in conversation order, in this process: a real journal and spool in a
// temporary folder, and a manual clock the test advances instead of waiting for the order wait to pass.

import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing
import Transport

@testable import AccessPoint

/// A destination access point's spool, journal and resequencer, all on one manual clock.
private struct Landing {
    let folder: TemporaryDirectory
    let spool: SpoolLayout
    let clock = ManualClock()
    let journal: Journal
    let resequencer: Resequencer

    /// The order wait is 60 s.
    init(orderWait: Duration = .seconds(60)) throws {
        folder = try TemporaryDirectory("resequencer")
        spool = SpoolLayout(root: folder.appending("spool"))
        try spool.create()
        journal = try Journal(path: spool.varDirectory + "/journal.sqlite", clock: clock.now)
        let configuration = AccessPointConfiguration(
            node: NodeID("AP-DK")!, spool: spool, host: "127.0.0.1", port: 0,
            tls: TLSFiles(certificatePath: "", privateKeyPath: "", trustRootsPath: ""),
            coordinationNode: NodeID("CN")!, coordinationNodeURL: "https://127.0.0.1:1",
            inboundTemplate: try FileNameTemplate("{caseId}-{seqNo}.xml"), routes: try RoutingTable([:]),
            certificates: "", orderWait: orderWait)
        resequencer = Resequencer(
            configuration: configuration, journal: journal, logger: Logger(label: "test"), now: clock.now)
    }

    /// Stores SED `seqNo` of case `caseId` in var/store/ and journals it `received` as the receiver does, then
    /// settles it. Returns its id.
    @discardableResult
    func receive(_ seqNo: Int, of caseId: String = "case-1", sedId: SEDID = .random()) async throws -> SEDID {
        let envelope = try Envelope(fields: [
            .sedId: sedId.rawValue, .sedType: "P2000", .sedVersion: "4.2", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: caseId, .sender: "BE:INAMI", .receiver: "DK:0002", .sendingAP: "AP-BE", .receivingAP: "AP-DK",
            .createdAt: "2026-12-07T09:59:00Z", .contentType: "application/xml", .payloadSize: "12",
            .seqNo: String(seqNo),
        ])
        let name = "in-\(sedId).xml"
        try SpoolFile.writeAtomically(Array("<SED>\(seqNo)</SED>".utf8), to: spool.store + "/" + name)
        let record = MessageRecord(
            sedId: sedId, direction: .inbound, state: .received, file: nil, peer: NodeID("CN")!,
            origin: NodeID("AP-BE")!, envelope: envelope, payloadPath: "var/store/\(name)", size: 12)
        if try await journal.insert(record, ticket: nil, detail: "received") {
            try await resequencer.settle(record)
        }
        return sedId
    }

    /// The files in inbound/, sorted.
    func inbound() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: spool.inbound).sorted()
    }

    /// The state of a received SED.
    func state(_ sedId: SEDID) async throws -> SEDState? {
        try await journal.record(sedId, .inbound)?.state
    }

    /// The inbound files in the order their SEDs were landed (the journal numbers events in commit order).
    func landingOrder() async throws -> [String] {
        var order: [String] = []
        for change in try await journal.changes(after: 0, limit: 100).rows where change.state == "landed" {
            if let sedId = SEDID(change.sedId), let file = try await journal.record(sedId, .inbound)?.file {
                order.append(file)
            }
        }
        return order
    }

    /// The detail the journal gave the SED's landing.
    func landingDetail(_ sedId: SEDID) async throws -> String? {
        try await journal.history(sedId).last { $0.state == .landed }?.detail
    }
}

@Suite("Landing in conversation order, on a manual clock")
struct ResequencerTests {
    @Test("SEDs arriving out of order land in order: an early one waits for those before it")
    func outOfOrder() async throws {
        let node = try Landing()
        try await node.receive(1)
        let third = try await node.receive(3)
        #expect(try node.inbound() == ["case-1-1.xml"])
        #expect(try await node.state(third) == .waiting)
        let fourth = try await node.receive(4)
        #expect(try await node.state(fourth) == .waiting)
        try await node.receive(2)
        #expect(try node.inbound() == ["case-1-1.xml", "case-1-2.xml", "case-1-3.xml", "case-1-4.xml"])
        #expect(
            try await node.landingOrder() == [
                "inbound/case-1-1.xml", "inbound/case-1-2.xml", "inbound/case-1-3.xml", "inbound/case-1-4.xml",
            ])
        #expect(try await node.landingDetail(third) == nil)
    }

    @Test("a gap is waited for up to the order wait, then what follows it lands with the gap named")
    func gapGivenUp() async throws {
        let node = try Landing()
        try await node.receive(1)
        let fourth = try await node.receive(4)
        try await node.resequencer.settleDue()
        node.clock.advance(by: .seconds(59))
        try await node.resequencer.settleDue()
        #expect(try await node.state(fourth) == .waiting)
        #expect(try node.inbound() == ["case-1-1.xml"])

        node.clock.advance(by: .seconds(2))
        try await node.resequencer.settleDue()
        #expect(try await node.state(fourth) == .landed)
        #expect(try node.inbound() == ["case-1-1.xml", "case-1-4.xml"])
        #expect(
            try await node.landingDetail(fourth)
                == "landed without SeqNo 2…3 of its conversation, not arrived within 60.0 seconds")

        // A SED of the gap that comes late lands at once, and says so; the next number does not wait for it either.
        let late = try await node.receive(2)
        #expect(try await node.state(late) == .landed)
        #expect(try await node.landingDetail(late) == "SeqNo 2 came after 4 had landed")
        try await node.receive(5)
        #expect(try node.inbound() == ["case-1-1.xml", "case-1-2.xml", "case-1-4.xml", "case-1-5.xml"])
    }

    @Test("each SED waits out its own wait: one that came later behind the gap waits on after the first lands")
    func eachWaitsItsOwnWait() async throws {
        let node = try Landing()
        let third = try await node.receive(3)
        node.clock.advance(by: .seconds(30))
        let fifth = try await node.receive(5)
        node.clock.advance(by: .seconds(31))
        try await node.resequencer.settleDue()
        #expect(try await node.state(third) == .landed)
        #expect(try await node.state(fifth) == .waiting)
        #expect(
            try await node.landingDetail(third)
                == "landed without SeqNo 1…2 of its conversation, not arrived within 60.0 seconds")

        node.clock.advance(by: .seconds(30))
        try await node.resequencer.settleDue()
        #expect(try await node.landingOrder() == ["inbound/case-1-3.xml", "inbound/case-1-5.xml"])
        #expect(
            try await node.landingDetail(fifth)
                == "landed without SeqNo 4 of its conversation, not arrived within 60.0 seconds")
    }

    @Test("a duplicate never lands twice: the same SED settled again, or sent again under its id")
    func duplicates() async throws {
        let node = try Landing()
        let first = try await node.receive(1)
        let record = try #require(try await node.journal.record(first, .inbound))
        try await node.resequencer.settle(record)
        try await node.receive(1, sedId: first)
        #expect(try node.inbound() == ["case-1-1.xml"])
        #expect(try await node.journal.history(first).filter { $0.state == .landed }.count == 1)

        // Another SED with a number already landed comes after it: it lands at once, under a name of its own.
        let again = try await node.receive(1)
        #expect(try await node.state(again) == .landed)
        #expect(try await node.landingDetail(again) == "SeqNo 1 came after 1 had landed")
        #expect(try node.inbound() == ["case-1-1-1.xml", "case-1-1.xml"])
    }

    @Test("conversations are independent: a gap in one holds back neither another nor its wait")
    func independentConversations() async throws {
        let node = try Landing()
        let waiting = try await node.receive(2, of: "case-A")
        try await node.receive(1, of: "case-B")
        try await node.receive(2, of: "case-B")
        #expect(try node.inbound() == ["case-B-1.xml", "case-B-2.xml"])
        #expect(try await node.state(waiting) == .waiting)

        node.clock.advance(by: .seconds(45))
        let later = try await node.receive(2, of: "case-C")
        node.clock.advance(by: .seconds(20))
        try await node.resequencer.settleDue()
        // case-A's SED has waited 65 s and lands; case-C's only 20 s and waits on.
        #expect(try await node.state(waiting) == .landed)
        #expect(try await node.state(later) == .waiting)
        try await node.receive(1, of: "case-C")
        #expect(try node.inbound() == ["case-A-2.xml", "case-B-1.xml", "case-B-2.xml", "case-C-1.xml", "case-C-2.xml"])
    }

    @Test("with no order wait every SED lands on arrival")
    func noOrderWait() async throws {
        let node = try Landing(orderWait: .zero)
        try await node.receive(3)
        try await node.receive(1)
        #expect(try await node.landingOrder() == ["inbound/case-1-3.xml", "inbound/case-1-1.xml"])
    }
}
