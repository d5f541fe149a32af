// SealedExchangeTests: what end-to-end sealing means for users, with real processes: the coordination node holds
// SEDs it cannot read (its store and journal are searched for a SED's personal data), and a SED altered in the
// CN's store is refused by the destination, whose refusal reaches the sender's report.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Sealed SEDs through the CN, real processes", .serialized)
struct SealedExchangeTests {
    /// Every regular file under `root`, recursively.
    static func allFiles(under root: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: root) else { return [] }
        return walker.compactMap { $0 as? String }.map { "\(root)/\($0)" }.filter {
            var isDirectory: ObjCBool = false
            return FileManager.default.fileExists(atPath: $0, isDirectory: &isDirectory) && !isDirectory.boolValue
        }
    }

    /// The files under `root` whose bytes contain `needle`.
    static func files(under root: String, containing needle: String) -> [String] {
        let pattern = Array(needle.utf8)
        return allFiles(under: root).filter { path in
            guard let data = FileManager.default.contents(atPath: path), data.count >= pattern.count else {
                return false
            }
            let bytes = [UInt8](data)
            return (0...(bytes.count - pattern.count)).contains {
                bytes[$0..<($0 + pattern.count)].elementsEqual(pattern)
            }
        }
    }

    @Test("the CN stores and forwards SEDs it cannot read: no personal data of a body is in its spool or journal")
    func coordinationNodeHoldsNoClearBody() async throws {
        let directory = try TemporaryDirectory("e2e-sealed")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let cn = topology.node("CN")
        await topology.kill("AP-DK")  // the SEDs wait at the CN

        let committed = try ExchangeTests.commit(12, to: sender, prefix: "sealed")
        try await Wait.progressing("the CN to hold all 12", to: 12) {
            ExchangeTests.files(sender.spool.reports, suffix: ".sent.json").count
        }
        // The samples carry a family name and a national identification number in their content.
        #expect(String(decoding: committed[0].bytes, as: UTF8.self).contains("Peeters"))
        for personal in ["Peeters", "85.07.30-033.61", "PensionClaim"] {
            #expect(
                Self.files(under: cn.spool.root, containing: personal).isEmpty,
                "'\(personal)' is readable at the CN")
        }
        // What the CN may read, the envelope, is there: the search would find a body if it were.
        let sedIds = committed.compactMap(\.sedId)
        #expect(!Self.files(under: cn.spool.root, containing: sedIds[0].rawValue).isEmpty)

        try await topology.start("AP-DK")
        try await Wait.progressing("all 12 to be delivered", to: 12) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: topology.node("AP-DK"))
    }

    @Test("a SED altered in the CN's store is refused by the destination, and the sender's report says why")
    func alteredAtTheCoordinationNode() async throws {
        let directory = try TemporaryDirectory("e2e-altered")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let cn = topology.node("CN")
        await topology.kill("AP-DK")

        let committed = try ExchangeTests.commit(3, to: sender, prefix: "altered")
        try await Wait.progressing("the CN to hold all 3", to: 3) {
            ExchangeTests.files(sender.spool.reports, suffix: ".sent.json").count
        }
        // One byte of one sealed body's ciphertext, changed where the CN keeps it.
        let victim = try #require(committed[0].sedId)
        let stored = cn.spool.store + "/relay-\(victim).sealed"
        var bytes = try Data(contentsOf: URL(fileURLWithPath: stored))
        let text = String(decoding: bytes, as: UTF8.self)
        let closing = try #require(text.range(of: "CipherValue>", options: .backwards)).lowerBound
        let tag = try #require(text.range(of: "</", options: .backwards, range: text.startIndex..<closing)).lowerBound
        let offset = text.utf8.distance(from: text.startIndex, to: tag) - 10
        bytes[offset] = bytes[offset] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        try bytes.write(to: URL(fileURLWithPath: stored))

        try await topology.start("AP-DK")
        try await Wait.until("the two intact SEDs to arrive and the altered one to fail", timeout: .seconds(120)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count == 2
                && ExchangeTests.files(sender.spool.reports, suffix: ".failed.json").count == 1
        }
        let failed = try #require(ExchangeTests.files(sender.spool.reports, suffix: ".failed.json").first)
        #expect(failed.contains(victim.rawValue))
        let report = try String(contentsOfFile: sender.spool.reports + "/" + failed, encoding: .utf8)
        // The report's machine-readable code is the destination's true one, not a generic failure.
        let object = try JSONSerialization.jsonObject(with: Data(report.utf8)) as? [String: Any]
        #expect(object?["code"] as? String == "signature-invalid", "\(report)")
        #expect(report.contains("AP-DK"), "the report names who refused it: \(report)")
        let landed = ExchangeTests.files(receiver.spool.inbound, suffix: ".xml")
        #expect(landed.count == 2)
        #expect(!landed.contains { $0.contains(victim.rawValue) }, "the altered SED never lands")
    }
}
