// ExchangeTests: SEDs committed to AP-BE's outbound arrive exactly once, byte-identical, in AP-DK's
// inbound, through the CN, with three real sedgate processes over mutual TLS; also across a SIGKILL
// of the CN in the middle of the run.

import Foundation
import GRDB
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("AP → CN → AP exchange, real processes", .serialized)
struct ExchangeTests {
    /// One committed SED as the producer knows it.
    struct Committed {
        let name: String
        let bytes: [UInt8]
        let sedId: SEDID?
        /// Whether the envelope was complete, so the AP had nothing to add.
        let complete: Bool
    }

    /// Writes `count` SEDs as dot-files, then commits each by rename. A third carry a complete envelope,
    /// a third a SedId only, a third no SedId (the AP assigns one).
    ///
    /// SED `index` belongs to case `index` (its conversation), so SEDs of the same index committed in successive
    /// `round`s follow one another in a conversation: the AP numbers those it completes; a complete envelope
    /// carries `SeqNo` `round + 1` itself.
    static func commit(
        _ count: Int, to node: Topology.Node, prefix: String = "sed", round: Int = 0
    ) throws -> [Committed] {
        var committed: [Committed] = []
        for index in 0..<count {
            let complete = index % 3 == 0
            let sedId = index % 3 == 2 ? nil : SEDID.random()
            let name = String(format: "\(prefix)-%04d.xml", index)
            let bytes = SampleSED.make(
                sedId: sedId, size: 5_000, index: index, sendingAP: complete ? node.id : nil,
                seqNo: complete ? round + 1 : nil)
            let hidden = "\(node.spool.outbound)/.\(name)"
            try Data(bytes).write(to: URL(fileURLWithPath: hidden))
            #expect(rename(hidden, "\(node.spool.outbound)/\(name)") == 0)
            committed.append(Committed(name: name, bytes: bytes, sedId: sedId, complete: complete))
        }
        return committed
    }

    static func files(_ directory: String, suffix: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(suffix) }
    }

    /// The part of a SED after its envelope, which no node may change.
    static func content(_ bytes: [UInt8]) -> Substring {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let range = text.range(of: "<Content>") else { return text[...] }
        return text[range.lowerBound...]
    }

    /// Checks that `expected` SEDs are in the receiver's inbound/, each once.
    static func verifyCount(_ expected: Int, receiver: Topology.Node) throws {
        let inbound = files(receiver.spool.inbound, suffix: ".xml")
        #expect(inbound.count == expected)
        #expect(Set(inbound.map { $0.dropLast(4).suffix(36) }).count == inbound.count, "no SED landed twice")
    }

    /// Checks exactly-once, byte-identical delivery and the reports, once everything is delivered.
    static func verify(_ committed: [Committed], sender: Topology.Node, receiver: Topology.Node) throws {
        let delivered = files(sender.spool.reports, suffix: ".delivered.json")
        #expect(delivered.count == committed.count)
        // Map each original file to the SED id its reports carry.
        var idByName: [String: String] = [:]
        for report in delivered {
            let data = try Data(contentsOf: URL(fileURLWithPath: "\(sender.spool.reports)/\(report)"))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            idByName[object?["file"] as? String ?? ""] = object?["sedId"] as? String
            #expect(object?["state"] as? String == "delivered")
        }
        let inbound = files(receiver.spool.inbound, suffix: ".xml")
        #expect(inbound.count == committed.count, "every SED lands once, and only once")
        var inboundById: [String: String] = [:]
        for name in inbound {
            let id = String(name.dropLast(4).suffix(36))
            #expect(inboundById[id] == nil, "SED \(id) landed twice")
            inboundById[id] = name
        }
        for item in committed {
            let id = try #require(idByName[item.name], "no delivered report for \(item.name)")
            if let given = item.sedId { #expect(given.rawValue == id, "the producer's SED id is kept") }
            let landed = try #require(inboundById[id], "\(item.name) (SED \(id)) is not in inbound/")
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(receiver.spool.inbound)/\(landed)")))
            // The content is never touched; a complete envelope travels byte for byte too.
            let sameContent = content(bytes) == content(item.bytes)
            #expect(sameContent, "\(item.name)'s content arrives byte-identical")
            let identical = bytes == item.bytes
            if item.complete { #expect(identical, "\(item.name) arrives byte-identical") }
            #expect(
                String(decoding: bytes, as: UTF8.self).contains("<SedId>\(id)</SedId>"), "the SED id is in the envelope"
            )
        }
    }

    /// The sequence numbers of each conversation in the order its SEDs landed at `receiver` (from its journal).
    static func landingOrder(_ receiver: Topology.Node) async throws -> [String: [Int]] {
        let journal = try Journal(path: receiver.spool.varDirectory + "/journal.sqlite")
        let rows: [(String, Int)] = try await journal.database.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT m.conversation, m.seqNo FROM event e
                    JOIN message m ON m.sedId = e.sedId AND m.direction = e.direction
                    WHERE e.direction = 'in' AND e.state = 'landed' AND m.conversation IS NOT NULL ORDER BY e.id
                    """
            ).map { ($0["conversation"], $0["seqNo"]) }
        }
        var order: [String: [Int]] = [:]
        for (conversation, seqNo) in rows { order[conversation, default: []].append(seqNo) }
        return order
    }

    /// Checks that every conversation landed in sequence order, 1, 2, 3…, with no number missing or repeated.
    static func verifyOrder(_ receiver: Topology.Node, conversations expected: Int) async throws {
        let order = try await landingOrder(receiver)
        #expect(order.count == expected, "SEDs of \(expected) conversations landed")
        for (conversation, numbers) in order {
            #expect(numbers == Array(1...numbers.count), "\(conversation) landed in the order \(numbers)")
        }
    }

    @Test(
        "200 SEDs committed to AP-BE arrive exactly once and byte-identical in AP-DK's inbound, each reported delivered"
    )
    func twoHundredExactlyOnce() async throws {
        let directory = try TemporaryDirectory("e2e-200")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")

        let committed = try Self.commit(200, to: sender)
        try await Wait.progressing(
            "200 delivered reports in \(sender.spool.reports)", to: 200, interval: .milliseconds(100)
        ) {
            Self.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        await topology.stopAll()
        try Self.verify(committed, sender: sender, receiver: receiver)
        #expect(Self.files(sender.spool.outbound, suffix: ".xml").isEmpty, "every committed file was taken")
        #expect(Self.files(sender.spool.rejected, suffix: "").isEmpty, "nothing was rejected")
        // Nothing is kept that is no longer needed: the CN drops a SED once forwarded, the sender once the CN has it.
        #expect(Self.files(topology.node("CN").spool.store, suffix: "").isEmpty, "the CN's store is empty")
        #expect(Self.files(sender.spool.store, suffix: "").isEmpty, "the sender's store is empty")
    }

    @Test("a CN killed with SIGKILL in the middle of the run and restarted still delivers every SED exactly once")
    func coordinationNodeKilled() async throws {
        let directory = try TemporaryDirectory("e2e-kill")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")

        // AP-DK stays down until after the kill, so the CN surely dies holding SEDs it has not forwarded,
        // while AP-BE is still sending it more: a kill in the middle of the run by construction, not by timing.
        await topology.kill("AP-DK")
        let committed = try Self.commit(200, to: sender)
        try await Wait.progressing("the first SEDs to reach the CN", to: 40, interval: .milliseconds(10)) {
            Self.files(sender.spool.reports, suffix: ".sent.json").count
        }
        await topology.kill("CN")
        #expect(Self.files(sender.spool.reports, suffix: ".delivered.json").isEmpty)
        try await topology.start("CN")
        try await topology.start("AP-DK")
        try await Wait.progressing(
            "200 delivered reports after the CN restart", to: 200, interval: .milliseconds(100)
        ) {
            Self.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        await topology.stopAll()
        try Self.verify(committed, sender: sender, receiver: receiver)
    }
}
