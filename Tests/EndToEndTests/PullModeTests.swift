// PullModeTests: an access point the CN cannot reach polls it for its SEDs (FS-45), with the same
// exactly-once guarantees as push, also when it is killed in the middle of pulling.

import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Spool
import Testing
import Transport

@Suite("Pull mode, real processes", .serialized)
struct PullModeTests {
    @Test("SEDs for an AP in pull mode arrive exactly once, byte-identical, through a SIGKILL of that AP")
    func pulledExactlyOnce() async throws {
        let directory = try TemporaryDirectory("e2e-pull")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(), pullAccessPoints: ["AP-DK"])
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")

        let committed = try ExchangeTests.commit(100, to: sender, prefix: "pull")
        try await Wait.until("some SEDs pulled", timeout: .seconds(60), interval: .milliseconds(10)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count >= 20
        }
        await topology.kill("AP-DK")
        try await topology.start("AP-DK")
        try await Wait.progressing("all 100 delivered", to: 100, interval: .milliseconds(100)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        // The national side takes one file: `routed` reaches the sender through the CN as well.
        let first = try #require(ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").first)
        try FileManager.default.removeItem(atPath: receiver.spool.inbound + "/" + first)
        try await Wait.until("a routed report", timeout: .seconds(30)) {
            !ExchangeTests.files(sender.spool.reports, suffix: ".routed.json").isEmpty
        }
        await topology.stopAll()
        try ExchangeTests.verifyCount(committed.count - 1, receiver: receiver)
    }

    @Test("a large enclosure reaches an AP in pull mode fragment by fragment, byte-identical")
    func pulledInFragments() async throws {
        let directory = try TemporaryDirectory("e2e-pull-large")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[pack]\nfragment-above-kb = 512\nfragment-kb = 256\n", pullAccessPoints: ["AP-DK"])
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")

        let sedId = SEDID.random()
        let name = "scan-0002.tiff"
        try Data(LargePayloadTests.sidecar(sedId: sedId).utf8).write(
            to: URL(fileURLWithPath: "\(sender.spool.outbound)/\(name).envelope"))
        let staged = directory.appending("staged.tiff")
        let digest = try LargePayloadTests.writeRandom(staged, megabytes: 4)
        #expect(rename(staged, "\(sender.spool.outbound)/\(name)") == 0)
        try await Wait.until("the enclosure to be delivered", timeout: .seconds(120)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).delivered.json").isEmpty
        }
        await topology.stopAll()
        let landed = try #require(ExchangeTests.files(receiver.spool.inbound, suffix: ".tiff").first)
        #expect(try LargePayloadTests.sha256(of: "\(receiver.spool.inbound)/\(landed)") == digest)
    }

    @Test(
        "a pulled fragment the AP refuses for good fails its SED at the sender and is not handed out again (P-PULL-6)")
    func refusedPulledFragmentFailsTheSED() async throws {
        let directory = try TemporaryDirectory("e2e-pull-refused-fragment")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[pack]\nfragment-above-kb = 512\nfragment-kb = 256\n", pullAccessPoints: ["AP-DK"])
        defer { topology.abandon() }
        try await topology.start("CN")
        try await topology.start("AP-BE")
        let sender = topology.node("AP-BE")
        let sedId = SEDID.random()
        let name = "scan-0003.tiff"
        try Data(LargePayloadTests.sidecar(sedId: sedId).utf8).write(
            to: URL(fileURLWithPath: "\(sender.spool.outbound)/\(name).envelope"))
        let staged = directory.appending("staged.tiff")
        _ = try LargePayloadTests.writeRandom(staged, megabytes: 1)
        #expect(rename(staged, "\(sender.spool.outbound)/\(name)") == 0)
        try await Wait.until("the CN to store the enclosure", timeout: .seconds(120)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).sent.json").isEmpty
        }

        // AP-DK's part, played here: pull, get fragment 0, refuse it for good.
        let pki = directory.appending("pki")
        let tls = TLSFiles(
            certificatePath: "\(pki)/AP-DK.crt", privateKeyPath: "\(pki)/AP-DK.key", trustRootsPath: "\(pki)/ca.crt")
        let client = try ProtocolClient(
            tls: tls, compound: try CompoundCodec(tls: tls, temporaryDirectory: directory.path),
            logger: Logger(label: "ap-dk"))
        let cn = "https://127.0.0.1:\(topology.node("CN").port)"
        let (dk, cnNode) = (NodeID("AP-DK")!, NodeID("CN")!)
        do {
            let item = try await client.send(ProtocolMessage(action: .pull, from: dk, to: cnNode), to: cn)
            let fragment = try #require(item.fragment, "the first pull hands out fragment 0, got \(item.action)")
            #expect(fragment.sedId == sedId && fragment.index == 0)
            let answer = try await client.send(
                ProtocolMessage(
                    action: .receipt, from: dk, to: cnNode,
                    receipt: Receipt(
                        sedId: sedId, kind: .failed, node: dk, at: Timestamp.now(), reason: "refused by the test",
                        code: .protocolViolation, fragment: 0)), to: cn)
            #expect(answer.receipt?.kind == .failed && answer.receipt?.fragment == 0)
            try await Wait.until("the sender's failed report", timeout: .seconds(60)) {
                !ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).failed.json").isEmpty
            }
            let next = try await client.send(ProtocolMessage(action: .pull, from: dk, to: cnNode), to: cn)
            #expect(next.action != .fragment && next.action != .deliver, "\(next.action)")
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
        await topology.stopAll()
    }
}
