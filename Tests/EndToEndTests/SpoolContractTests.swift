// SpoolContractTests: the spool contract as a national batch job sees it, against real processes:
// a file still being written is never taken; malformed or invalid input lands in rejected/ with an
// .error naming file, position and reason, and the node keeps working.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Spool contract, real processes", .serialized)
struct SpoolContractTests {
    static func files(_ directory: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    }

    static func commit(_ bytes: [UInt8], as name: String, to node: Topology.Node) throws {
        let hidden = "\(node.spool.outbound)/.\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: hidden))
        #expect(rename(hidden, "\(node.spool.outbound)/\(name)") == 0)
    }

    static func reported(_ node: Topology.Node, _ name: String, _ state: String) -> Bool {
        files(node.spool.reports).contains { $0.hasPrefix(name + ".") && $0.hasSuffix(".\(state).json") }
    }

    @Test(
        "malformed XML and an invalid envelope go to rejected/ with a reason naming file, line and field; the AP keeps running"
    )
    func badInputIsRejected() async throws {
        let directory = try TemporaryDirectory("e2e-reject")
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[validation]\nrules = \"\(repository)/etc/validation\"\n")
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")

        try Self.commit(
            Array("<SED xmlns=\"urn:eessi:sedgate:sed:1\">\n<Envelope>\n</SED>\n".utf8), as: "broken.xml", to: sender)
        let badReceiver = String(decoding: SampleSED.make(sedId: nil), as: UTF8.self)
            .replacingOccurrences(of: "<Receiver>DK:0002</Receiver>", with: "<Receiver>Denmark</Receiver>")
        try Self.commit(Array(badReceiver.utf8), as: "bad-receiver.xml", to: sender)
        try Self.commit(SampleSED.make(sedId: nil), as: "good.xml", to: sender)
        // A SED that breaks a content rule of its type and version (etc/validation/P001/1.0).
        let sample = try String(contentsOfFile: "\(repository)/etc/samples/pensions-P001-claim.xml", encoding: .utf8)
        try Self.commit(
            Array(sample.replacingOccurrences(of: "<pe:Sex>F</pe:Sex>", with: "<pe:Sex>X</pe:Sex>").utf8),
            as: "bad-sex.xml", to: sender)
        // The same SED dropped twice (a rerun batch job): it travels once, the second drop is refused.
        let twiceId = SEDID.random()
        let twice = SampleSED.make(sedId: twiceId)
        try Self.commit(twice, as: "first.xml", to: sender)

        try await Wait.until("the good SED to be delivered", timeout: .seconds(60)) {
            Self.reported(sender, "good.xml", "delivered")
        }
        try await Wait.until("the first drop to be accepted", timeout: .seconds(30)) {
            Self.reported(sender, "first.xml", "accepted")
        }
        try Self.commit(twice, as: "again.xml", to: sender)
        try await Wait.until("the second drop to be rejected", timeout: .seconds(30)) {
            Self.reported(sender, "again.xml", "rejected")
        }
        let duplicateError = try String(contentsOfFile: "\(sender.spool.rejected)/again.xml.error", encoding: .utf8)
        #expect(duplicateError.contains("code: duplicate"), "\(duplicateError)")
        try await Wait.until("the first drop to be delivered", timeout: .seconds(60)) {
            Self.reported(sender, "first.xml", "delivered")
        }
        let copies = Self.files(topology.node("AP-DK").spool.inbound).filter { $0.contains(twiceId.rawValue) }
        #expect(copies.count == 1, "the SED dropped twice landed once: \(copies)")
        try await Wait.until("both bad files to be rejected", timeout: .seconds(30)) {
            Self.reported(sender, "broken.xml", "rejected") && Self.reported(sender, "bad-receiver.xml", "rejected")
        }
        try await Wait.until("the rule violation to be rejected", timeout: .seconds(30)) {
            Self.reported(sender, "bad-sex.xml", "rejected")
        }
        let ruleError = try String(contentsOfFile: "\(sender.spool.rejected)/bad-sex.xml.error", encoding: .utf8)
        #expect(ruleError.contains("pe:Sex must be M or F"), "\(ruleError)")
        #expect(ruleError.contains("/SED/Content/pe:PensionClaim/pe:Person/pe:Sex"), "\(ruleError)")
        let rejected = Self.files(sender.spool.rejected)
        #expect(rejected.contains("broken.xml") && rejected.contains("broken.xml.error"))
        #expect(rejected.contains("bad-receiver.xml") && rejected.contains("bad-receiver.xml.error"))
        let brokenError = try String(contentsOfFile: "\(sender.spool.rejected)/broken.xml.error", encoding: .utf8)
        #expect(brokenError.contains("malformed-xml"))
        #expect(brokenError.contains("line: 3"), "the error points at the line: \(brokenError)")
        let receiverError = try String(
            contentsOfFile: "\(sender.spool.rejected)/bad-receiver.xml.error", encoding: .utf8)
        #expect(receiverError.contains("Receiver"), "the error names the field: \(receiverError)")
        // The original bytes are kept, untouched.
        let kept = try Data(contentsOf: URL(fileURLWithPath: "\(sender.spool.rejected)/bad-receiver.xml"))
        #expect(String(decoding: kept, as: UTF8.self) == badReceiver)
    }

    @Test("a file still being written is never taken; once closed it is taken whole")
    func fileBeingWrittenIsNotTaken() async throws {
        let directory = try TemporaryDirectory("e2e-partial")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")

        let id = SEDID.random()
        let full = SampleSED.make(sedId: id, size: 20_000, sendingAP: "AP-BE", seqNo: 1)
        let path = "\(sender.spool.outbound)/slow.xml"
        // Created in place, as a producer writing straight into outbound/ does (FileManager.createFile
        // would write a temporary file and rename it in: that is a rename commit).
        let descriptor = open(path, O_CREAT | O_EXCL | O_WRONLY, 0o644)
        try #require(descriptor >= 0)
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: full[0..<(full.count / 2)])
        try handle.synchronize()

        // A barrier: a file committed after the half-written one has been taken and delivered, so the
        // watcher has seen the half-written file's events, and still has not taken it.
        try Self.commit(SampleSED.make(sedId: nil), as: "barrier.xml", to: sender)
        try await Wait.until("the barrier SED to be delivered", timeout: .seconds(60)) {
            Self.reported(sender, "barrier.xml", "delivered")
        }
        #expect(FileManager.default.fileExists(atPath: path), "the half-written file is still in outbound/")
        #expect(
            !Self.files(sender.spool.reports).contains { $0.hasPrefix("slow.xml.") },
            "no report for a file being written")
        #expect(!Self.files(sender.spool.rejected).contains("slow.xml"), "a file being written is not rejected either")

        try handle.write(contentsOf: full[(full.count / 2)...])
        try handle.close()
        try await Wait.until("the completed file to be delivered", timeout: .seconds(60)) {
            Self.reported(sender, "slow.xml", "delivered")
        }
        let landed = try #require(Self.files(receiver.spool.inbound).first { $0.contains(id.rawValue) })
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: "\(receiver.spool.inbound)/\(landed)")))
        let identical = bytes == full
        #expect(identical, "the file is taken whole and arrives byte-identical")

        // The national side at AP-DK takes the file: AP-BE learns it was routed.
        try FileManager.default.removeItem(atPath: "\(receiver.spool.inbound)/\(landed)")
        try await Wait.until("a routed report for the taken file", timeout: .seconds(30)) {
            Self.reported(sender, "slow.xml", "routed")
        }
    }
}
