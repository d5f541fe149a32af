// SyncTests: synchronous request/response (FS-46) through real processes: a SYNC request answered end to end (the
// reply lands at the requester with InReplyTo), a request unanswered by its deadline times out and a late reply is
// refused and set aside, and SYNC SEDs overtake a backlog of asynchronous ones at the sending AP and at the CN.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Synchronous request/response, real processes", .serialized)
struct SyncTests {
    static func files(_ directory: String, suffix: String = "") -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).filter { $0.hasSuffix(suffix) }
    }

    static func commit(_ bytes: [UInt8], as name: String, to node: Topology.Node) throws {
        let hidden = "\(node.spool.outbound)/.\(name)"
        try Data(bytes).write(to: URL(fileURLWithPath: hidden))
        #expect(rename(hidden, "\(node.spool.outbound)/\(name)") == 0)
    }

    static func text(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    @Test("a SYNC request is answered: the reply lands at the requester, once, naming the request in InReplyTo")
    func answered() async throws {
        let directory = try TemporaryDirectory("sync-answer")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let requester = topology.node("AP-BE")
        let responder = topology.node("AP-DK")
        let request = SEDID.random()
        try Self.commit(SampleSED.syncRequest(sedId: request), as: "ask.xml", to: requester)

        // The destination's national side answers it with a reply file in outbound/.
        let national = SyncResponder(inbound: responder.spool.inbound, outbound: responder.spool.outbound)
        var answer: (request: SEDID, reply: SEDID)?
        try await Wait.until("the request to land at AP-DK", timeout: .seconds(120)) {
            answer = try national.answerWaiting().first
            return answer != nil
        }
        #expect(answer?.request == request)
        let reply = try #require(answer?.reply)
        try await Wait.until("the reply to land at AP-BE", timeout: .seconds(120)) {
            !Self.files(requester.spool.inbound, suffix: "\(reply).xml").isEmpty
        }
        let landed = Self.files(requester.spool.inbound, suffix: ".xml")
        #expect(landed.count == 1, "the reply lands once")
        let body = Self.text(requester.spool.inbound + "/" + landed[0])
        #expect(body.contains("<InReplyTo>\(request)</InReplyTo>"))
        #expect(body.contains("<Interaction>SYNC</Interaction>"))
        // The request was delivered and never timed out; the reply is delivered at its sender.
        try await Wait.until("the reply's delivered report at AP-DK", timeout: .seconds(120)) {
            !Self.files(responder.spool.reports, suffix: ".\(reply).delivered.json").isEmpty
        }
        #expect(Self.files(requester.spool.reports, suffix: ".timeout.json").isEmpty)
        #expect(Self.files(requester.spool.rejected).isEmpty)
        await topology.stopAll()
    }

    @Test("a request unanswered by its deadline times out; a reply after it is refused, set aside, never delivered")
    func deadline() async throws {
        let directory = try TemporaryDirectory("sync-deadline")
        // A short deadline, injected through the configuration; the test waits on progress, not on a clock.
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[sync]\ntimeout-s = 1\n")
        defer { topology.abandon() }
        try await topology.startAll()
        let requester = topology.node("AP-BE")
        let responder = topology.node("AP-DK")
        let request = SEDID.random()
        try Self.commit(SampleSED.syncRequest(sedId: request), as: "ask.xml", to: requester)
        // Nobody answers: the requester reports the timeout (whether or not the request reached AP-DK by then).
        let timeoutReport = "\(requester.spool.reports)/ask.xml.\(request).timeout.json"
        try await Wait.until("the timeout report at AP-BE", timeout: .seconds(120)) {
            FileManager.default.fileExists(atPath: timeoutReport)
        }
        let report = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: timeoutReport)))
                as? [String: Any])
        #expect(report["state"] as? String == "timeout")
        #expect(report["code"] as? String == "timeout")

        // The reply comes after the deadline: refused at the requester, its sender told why.
        let reply = SEDID.random()
        try Self.commit(SampleSED.syncReply(sedId: reply, to: request), as: "reply.xml", to: responder)
        try await Wait.until("the late reply's failed report at AP-DK", timeout: .seconds(120)) {
            !Self.files(responder.spool.reports, suffix: ".\(reply).failed.json").isEmpty
        }
        let failed = Self.files(responder.spool.reports, suffix: ".\(reply).failed.json")[0]
        let refusal = try #require(
            try JSONSerialization.jsonObject(
                with: Data(contentsOf: URL(fileURLWithPath: "\(responder.spool.reports)/\(failed)"))) as? [String: Any])
        #expect(refusal["code"] as? String == "timeout")
        #expect(Self.files(requester.spool.inbound, suffix: ".xml").isEmpty, "a late reply is never delivered")
        // Set aside visibly at the requester, with its reason.
        let setAside = "\(requester.spool.rejected)/late-reply-\(reply).xml"
        #expect(FileManager.default.fileExists(atPath: setAside))
        let error = Self.text(setAside + ".error")
        #expect(error.contains("code: timeout"))
        #expect(error.contains("\(request)"))
        await topology.stopAll()
    }

    @Test("SYNC SEDs overtake a backlog of asynchronous SEDs to the same destination, at the AP and at the CN")
    func overtaking() async throws {
        let directory = try TemporaryDirectory("sync-overtake")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            relayedAccessPoints: ["AP-BE", "AP-DK"])
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let backlog = 150
        // A backlog at the CN: the destination is cut off while the CN stores the asynchronous SEDs.
        topology.cut("AP-DK")
        for index in 0..<backlog {
            try Self.commit(
                SampleSED.make(sedId: SEDID.random(), index: index), as: String(format: "cn-%04d.xml", index),
                to: sender)
        }
        try await Wait.progressing("the backlog stored at the CN", to: backlog) {
            Self.files(sender.spool.reports, suffix: ".sent.json").count
        }
        // A backlog at the sending AP: the CN is cut off too while more are accepted, then the SYNC request.
        topology.cut("AP-BE")
        for index in 0..<backlog {
            try Self.commit(
                SampleSED.make(sedId: SEDID.random(), index: backlog + index),
                as: String(format: "ap-%04d.xml", index), to: sender)
        }
        try await Wait.progressing("the backlog accepted at AP-BE", to: backlog * 2) {
            Self.files(sender.spool.reports, suffix: ".accepted.json").count
        }
        let request = SEDID.random()
        try Self.commit(SampleSED.syncRequest(sedId: request), as: "ask.xml", to: sender)
        try await Wait.until("the SYNC request accepted", timeout: .seconds(120)) {
            !Self.files(sender.spool.reports, suffix: ".\(request).accepted.json").isEmpty
        }
        topology.restore("AP-BE")
        topology.restore("AP-DK")
        var landedBefore = -1
        try await Wait.progressing("the SYNC request to land", to: 1) {
            let landed = Self.files(receiver.spool.inbound, suffix: ".xml")
            if landed.contains(where: { $0.hasSuffix("\(request).xml") }) {
                landedBefore = landed.count - 1
                return 1
            }
            return 0
        }
        // Two queues of 150 each were ahead of it; it went past both (at most a message or two of 50 landed first).
        #expect(landedBefore < backlog, "the SYNC request landed after \(landedBefore) asynchronous SEDs")
        try await Wait.progressing("the backlog to land", to: backlog * 2 + 1) {
            Self.files(receiver.spool.inbound, suffix: ".xml").count
        }
        await topology.stopAll()
    }
}
