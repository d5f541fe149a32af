// OrderingTests: SEDs of one conversation (one case, from one institution to another) land in inbound/ in the
// order of their SeqNo, whatever order they arrive in: the access point numbers the SEDs it completes, a SED
// that comes early waits for the ones before it, at most `[inbound] order-wait-s`, and an operator can let it go.
// At the sender, the acknowledgements of a SED (stored, delivered, routed) are taken in their order, whatever
// order they come in.

import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing
import Transport

@Suite("Ordered delivery per conversation, real processes", .serialized)
struct OrderingTests {
    /// Commits one SED of case `index` (its conversation) to `node`, numbered by the producer when `seqNo` is given.
    static func commit(
        _ name: String, index: Int, seqNo: Int?, to node: Topology.Node, id: SEDID = .random()
    ) throws -> SEDID {
        let hidden = "\(node.spool.outbound)/.\(name)"
        try Data(SampleSED.make(sedId: id, index: index, seqNo: seqNo)).write(to: URL(fileURLWithPath: hidden))
        #expect(rename(hidden, "\(node.spool.outbound)/\(name)") == 0)
        return id
    }

    /// A CN, AP-BE and AP-DK running, and AP-DK's journal (where SEDs wait and land).
    struct Running {
        let directory: TemporaryDirectory
        let topology: Topology
        let journal: Journal
        var sender: Topology.Node { topology.node("AP-BE") }
        var receiver: Topology.Node { topology.node("AP-DK") }

        static func start(
            _ label: String, orderWaitSeconds: Int? = nil, accessPointSettings: String = ""
        ) async throws -> Running {
            let directory = try TemporaryDirectory(label)
            let topology = try Topology(
                directory: directory.path, executable: try SedgateBinary.path(),
                accessPointSettings: accessPointSettings, orderWaitSeconds: orderWaitSeconds)
            do {
                try await topology.startAll()
                let journal = try Journal(path: topology.node("AP-DK").spool.varDirectory + "/journal.sqlite")
                return Running(directory: directory, topology: topology, journal: journal)
            } catch {
                topology.abandon()
                throw error
            }
        }
    }

    static func delivered(_ node: Topology.Node, _ id: SEDID) -> Bool {
        !ExchangeTests.files(node.spool.reports, suffix: "\(id).delivered.json").isEmpty
    }

    static func state(_ journal: Journal, _ id: SEDID) async throws -> SEDState? {
        try await journal.record(id, .inbound)?.state
    }

    @Test("SEDs that arrive before the one they follow wait for it, then all land in SeqNo order")
    func earlyArrivalsWait() async throws {
        let run = try await Running.start("e2e-order")
        defer { run.topology.abandon() }
        let (sender, receiver, journal) = (run.sender, run.receiver, run.journal)

        // The producer numbers case 7's SEDs; 3 and 2 are committed before 1.
        let third = try Self.commit("third.xml", index: 7, seqNo: 3, to: sender)
        let second = try Self.commit("second.xml", index: 7, seqNo: 2, to: sender)
        try await Wait.until("SeqNo 3 and 2 to reach AP-DK", timeout: .seconds(60)) {
            Self.delivered(sender, third) && Self.delivered(sender, second)
        }
        // Received and acknowledged (`delivered` at the sender), but not in inbound/: they wait for SeqNo 1.
        #expect(try await Self.state(journal, third) == .waiting)
        #expect(try await Self.state(journal, second) == .waiting)
        #expect(ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").isEmpty, "nothing lands out of order")
        let history = try await journal.history(second).map { $0.detail ?? "" }
        #expect(history.contains { $0.contains("waits for SeqNo 1") }, "\(history)")
        let list = try await OperatorTests.queue(["list"], config: receiver.config)
        #expect(list.output.contains("waiting: in waiting") && list.output.contains("SeqNo 3 of"), "\(list.output)")

        let first = try Self.commit("first.xml", index: 7, seqNo: 1, to: sender)
        try await Wait.until("SeqNo 1 to reach AP-DK", timeout: .seconds(60)) { Self.delivered(sender, first) }
        // Its receipt was given after it landed, and the two waiting for it with it.
        for id in [first, second, third] { #expect(try await Self.state(journal, id) == .landed) }
        #expect(ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").count == 3)
        await run.topology.stopAll()
        let order = try await ExchangeTests.landingOrder(receiver)
        #expect(Array(order.values) == [[1, 2, 3]], "\(order)")
    }

    @Test("a SED waits at most order-wait-s for a missing one, then lands; the missing one lands late when it comes")
    func gapGivenUpAfterOrderWait() async throws {
        let run = try await Running.start("e2e-order-gap", orderWaitSeconds: 2)
        defer { run.topology.abandon() }
        let (sender, journal) = (run.sender, run.journal)

        let second = try Self.commit("second.xml", index: 3, seqNo: 2, to: sender)
        try await Wait.until("SeqNo 2 to land without SeqNo 1", timeout: .seconds(60)) {
            try await Self.state(journal, second) == .landed
        }
        let events = try await journal.history(second).filter { $0.direction == .inbound }
        let received = try #require(events.first { $0.state == .received })
        let landed = try #require(events.first { $0.state == .landed })
        let waited = try #require(Timestamp.parse(landed.at)).timeIntervalSince(
            try #require(Timestamp.parse(received.at)))
        #expect(waited >= 2, "it waited \(waited) s, not the 2 s of order-wait-s")
        #expect(landed.detail?.contains("without SeqNo 1") == true, "\(landed.detail ?? "")")

        // The missing one, committed late, is not held back again: it lands as soon as it arrives.
        let first = try Self.commit("first.xml", index: 3, seqNo: 1, to: sender)
        try await Wait.until("SeqNo 1 to reach AP-DK", timeout: .seconds(60)) { Self.delivered(sender, first) }
        #expect(try await Self.state(journal, first) == .landed)
        let late = try await journal.history(first).first { $0.state == .landed }
        #expect(late?.detail?.contains("came after 2 had landed") == true, "\(late?.detail ?? "")")
    }

    @Test("an operator lets a waiting SED land at once with `sedgate queue release`")
    func operatorReleasesAWaitingSED() async throws {
        let run = try await Running.start("e2e-order-release")
        defer { run.topology.abandon() }
        let (sender, receiver, journal) = (run.sender, run.receiver, run.journal)

        let third = try Self.commit("third.xml", index: 5, seqNo: 3, to: sender)
        try await Wait.until("SeqNo 3 to reach AP-DK", timeout: .seconds(60)) { Self.delivered(sender, third) }
        #expect(try await Self.state(journal, third) == .waiting)
        let release = try await OperatorTests.queue(["release", third.rawValue], config: receiver.config)
        #expect(
            release.status == 0 && release.output.contains("SeqNo 1…2 are no longer waited for"), "\(release.output)")
        try await Wait.until("the released SED to land", timeout: .seconds(30)) {
            try await Self.state(journal, third) == .landed
        }
    }

    @Test("the access point numbers the SEDs of a conversation it completes, 1, 2, 3, and goes on after a restart")
    func accessPointNumbers() async throws {
        let run = try await Running.start("e2e-order-numbers")
        defer { run.topology.abandon() }
        let (sender, receiver) = (run.sender, run.receiver)

        var ids: [SEDID] = []
        for step in 0..<4 {
            if step == 3 {
                // The numbering is journalled: a killed and restarted access point goes on from where it was.
                await run.topology.kill("AP-BE")
                try await run.topology.start("AP-BE")
            }
            let id = try Self.commit("case-9-\(step).xml", index: 9, seqNo: nil, to: sender)
            try await Wait.until("SED \(step + 1) to reach AP-DK", timeout: .seconds(60)) { Self.delivered(sender, id) }
            ids.append(id)
        }
        // Another case is numbered on its own.
        let other = try Self.commit("case-10.xml", index: 10, seqNo: nil, to: sender)
        try await Wait.until("the other case's SED to reach AP-DK", timeout: .seconds(60)) {
            Self.delivered(sender, other)
        }
        let inbound = ExchangeTests.files(receiver.spool.inbound, suffix: ".xml")
        func landed(_ id: SEDID) throws -> String {
            let name = try #require(inbound.first { $0.contains(id.rawValue) })
            return try String(contentsOfFile: "\(receiver.spool.inbound)/\(name)", encoding: .utf8)
        }
        for (index, id) in ids.enumerated() {
            #expect(try landed(id).contains("<SeqNo>\(index + 1)</SeqNo>"), "SED \(index + 1) of case 9")
        }
        #expect(try landed(other).contains("<SeqNo>1</SeqNo>"))
    }

    @Test("a SED the destination refuses for good does not hold back the SEDs after it in its conversation")
    func refusedSEDIsPassedOver() async throws {
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        // The sender checks nothing (`outbound = "off"`); the destination always checks what it receives.
        let run = try await Running.start(
            "e2e-order-refused",
            accessPointSettings: "[validation]\nrules = \"\(repository)/etc/validation\"\noutbound = \"off\"\n")
        defer { run.topology.abandon() }
        let (sender, journal) = (run.sender, run.journal)

        // SeqNo 1 of the case breaks a content rule of P001 1.0; SeqNo 2 is sound.
        let sample = try String(contentsOfFile: "\(repository)/etc/samples/pensions-P001-claim.xml", encoding: .utf8)
        let broken = sample.replacingOccurrences(of: "<pe:Sex>F</pe:Sex>", with: "<pe:Sex>X</pe:Sex>")
        let (first, second) = (SEDID.random(), SEDID.random())
        for (name, text, id) in [("broken.xml", broken, first), ("sound.xml", sample, second)] {
            let bytes = text.replacingOccurrences(of: "<Envelope>", with: "<Envelope>\n    <SedId>\(id)</SedId>")
            let hidden = "\(sender.spool.outbound)/.\(name)"
            try Data(bytes.utf8).write(to: URL(fileURLWithPath: hidden))
            #expect(rename(hidden, "\(sender.spool.outbound)/\(name)") == 0)
            try await Wait.until("\(name) to be accepted", timeout: .seconds(30)) {
                !ExchangeTests.files(sender.spool.reports, suffix: "\(id).accepted.json").isEmpty
            }
        }
        try await Wait.until("SeqNo 1 to fail and SeqNo 2 to arrive", timeout: .seconds(60)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(first).failed.json").isEmpty
                && Self.delivered(sender, second)
        }
        // Landed at once, not after the ten minutes of order-wait-s.
        try await Wait.until("SeqNo 2 to land", timeout: .seconds(30)) {
            try await Self.state(journal, second) == .landed
        }
        #expect(try await journal.record(first, .inbound) == nil, "the refused SED is not kept")
    }

    @Test("a `routed` receipt that overtakes `delivered` is taken in order: sent, delivered, routed; never back")
    func acknowledgementsInOrder() async throws {
        let run = try await Running.start("e2e-order-acks")
        defer { run.topology.abandon() }
        let sender = run.sender
        // AP-DK stays away, so the only receipts after the CN's own `stored` are the ones this test sends.
        await run.topology.kill("AP-DK")
        let id = try Self.commit("claim.xml", index: 1, seqNo: nil, to: sender)
        try await Wait.until("the CN to store the SED", timeout: .seconds(60)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(id).sent.json").isEmpty
        }

        // As the CN relays them (its TLS identity): `routed` first, then the `delivered` it overtook, then `stored`.
        let pki = run.directory.path + "/pki"
        let client = try ProtocolClient(
            tls: TLSFiles(
                certificatePath: pki + "/CN.crt", privateKeyPath: pki + "/CN.key", trustRootsPath: pki + "/ca.crt"),
            logger: Logger(label: "test"))
        let (cn, ap) = (NodeID("CN")!, NodeID("AP-BE")!)
        let journal = try Journal(path: sender.spool.varDirectory + "/journal.sqlite")
        var states: [SEDState] = []
        for kind in [Receipt.Kind.routed, .delivered, .stored] {
            let receipt = Receipt(sedId: id, kind: kind, node: NodeID("AP-DK")!, at: Timestamp.now())
            let answer = try await client.send(
                ProtocolMessage(action: .receipt, from: cn, to: ap, receipt: receipt),
                to: "https://127.0.0.1:\(sender.port)")
            #expect(answer.receipts.map(\.kind) == [kind], "AP-BE acknowledges each receipt it takes")
            states.append(try #require(try await journal.record(id, .outbound)).state)
        }
        await client.shutdown()
        // Routed implies delivered: both are journalled and reported at once, in order; a late receipt never moves
        // the SED back.
        #expect(states == [.routed, .routed, .routed])
        var reportTimes: [String] = []
        for state in ["sent", "delivered", "routed"] {
            let name = try #require(ExchangeTests.files(sender.spool.reports, suffix: "\(id).\(state).json").first)
            let data = try Data(contentsOf: URL(fileURLWithPath: sender.spool.reports + "/" + name))
            let report = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            reportTimes.append(try #require(report["at"] as? String))
        }
        #expect(reportTimes == reportTimes.sorted(), "the reports are written in order: \(reportTimes)")
        let history = try await journal.history(id).filter { $0.direction == .outbound }.map(\.state)
        #expect(history == [.accepted, .sent, .delivered, .routed], "\(history)")
    }

    @Test("a SED whose landing failed after its receipt was given lands once inbound/ can take it, without a restart")
    func failedLandingIsRetried() async throws {
        let run = try await Running.start("e2e-landing-retry")
        defer { run.topology.abandon() }
        let (sender, receiver, journal) = (run.sender, run.receiver, run.journal)

        // inbound/ is replaced by a plain file, so the rename into it fails (as a full disk or a bad mount would).
        let inbound = receiver.spool.inbound
        try FileManager.default.removeItem(atPath: inbound)
        #expect(FileManager.default.createFile(atPath: inbound, contents: Data()))
        let id = try Self.commit("claim.xml", index: 2, seqNo: nil, to: sender)
        try await Wait.until("the SED to be stored at AP-DK", timeout: .seconds(60)) {
            try await Self.state(journal, id) == .received
        }
        try FileManager.default.removeItem(atPath: inbound)
        try FileManager.default.createDirectory(atPath: inbound, withIntermediateDirectories: false)
        try await Wait.until("the SED to land", timeout: .seconds(30)) {
            try await Self.state(journal, id) == .landed
        }
        #expect(ExchangeTests.files(inbound, suffix: ".xml").count == 1)
    }
}
