// SyncDeadlineTests: a synchronous request's deadline (DueDate, or the configured timeout after acceptance) and the
// verdict on a reply, with plain values and no clock.

import Foundation
import SedgateCore
import Testing

@Suite("SyncDeadline")
struct SyncDeadlineTests {
    let accepted = Date(timeIntervalSince1970: 1_800_000_000)

    func envelope(_ extra: [EnvelopeField: String] = [:]) throws -> Envelope {
        var fields: [EnvelopeField: String] = [
            .sedType: "H001", .sedVersion: "4.2", .sector: "HZ", .bucType: "H_BUC_01", .caseId: "c1",
            .sender: "BE:0001", .receiver: "DK:0002", .interaction: "SYNC",
        ]
        fields.merge(extra) { $1 }
        return try Envelope(fields: fields)
    }

    @Test("without a DueDate the reply is due the configured timeout after the request was accepted")
    func defaultTimeout() throws {
        let due = SyncDeadline.deadline(of: try envelope(), acceptedAt: accepted, timeout: .seconds(60))
        #expect(due == accepted.addingTimeInterval(60))
    }

    @Test("a DueDate time is the deadline; a date alone means the end of that day, UTC")
    func dueDate() throws {
        let time = try envelope([.dueDate: "2027-01-15T10:00:30.500Z"])
        #expect(
            SyncDeadline.deadline(of: time, acceptedAt: accepted, timeout: .seconds(60))
                == Timestamp.parse("2027-01-15T10:00:30.500Z"))
        let day = try envelope([.dueDate: "2027-01-15"])
        #expect(
            SyncDeadline.deadline(of: day, acceptedAt: accepted, timeout: .seconds(60))
                == Timestamp.parse("2027-01-15T23:59:59.999Z"))
    }

    @Test("a request is SYNC without InReplyTo; a reply names its request")
    func requestOrReply() throws {
        #expect(SyncDeadline.isRequest(try envelope()))
        #expect(!SyncDeadline.isRequest(try envelope([.inReplyTo: SEDID.random().rawValue])))
        #expect(!SyncDeadline.isRequest(try envelope([.interaction: "ASYNC"])))
    }

    @Test(
        "a reply is on time before the deadline, late after it or after a timeout; the answer sent again stays on time")
    func verdicts() {
        let request = SEDID.random()
        let reply = SEDID.random()
        let deadline = accepted.addingTimeInterval(60)
        func verdict(_ state: SyncDeadline.State, by: SEDID? = nil, at seconds: Double) -> SyncDeadline.Verdict {
            SyncDeadline.verdict(
                reply: reply, request: request, state: state, answeredBy: by, deadline: deadline,
                now: accepted.addingTimeInterval(seconds))
        }
        #expect(verdict(.pending, at: 59.9) == .onTime)
        #expect(verdict(.pending, at: 60) == .onTime)
        guard case .late(let reason) = verdict(.pending, at: 60.5) else {
            Issue.record("a reply after the deadline must be late")
            return
        }
        #expect(reason.contains(request.rawValue))
        #expect(verdict(.timeout, at: 10) != .onTime, "once timed out, no reply is taken")
        #expect(verdict(.answered, by: reply, at: 600) == .onTime, "the answer sent again is the same answer")
        #expect(verdict(.answered, by: SEDID.random(), at: 600) != .onTime)
    }
}
