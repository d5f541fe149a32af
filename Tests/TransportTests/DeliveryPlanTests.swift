// DeliveryPlanTests: the delivery agent's decisions as values, with no clock and no socket: how waiting SEDs are cut
// into compound messages, which fail before sending, and what a reply does to each SED.

import Foundation
import SedgateCore
import Testing
import Transport

@Suite("Delivery plan and outcome")
struct DeliveryPlanTests {
    let cn = NodeID("CN")!
    let dk = NodeID("AP-DK")!
    let fr = NodeID("AP-FR")!
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func record(_ receiver: String, size: Int = 100, age: TimeInterval = 1) throws -> MessageRecord {
        var fields = Dictionary(uniqueKeysWithValues: try Fixtures.envelope().fields)
        fields[.receiver] = receiver
        let envelope = try Envelope(fields: fields)
        return MessageRecord(
            sedId: SEDID.random(), direction: .outbound, state: .accepted, file: nil, peer: cn,
            origin: NodeID("AP-BE")!, envelope: envelope, payloadPath: "var/store/x", size: size,
            createdAt: Timestamp.iso8601(now.addingTimeInterval(-age)))
    }

    func route(_ record: MessageRecord) throws(SedgateError) -> NodeID {
        switch record.envelope.receiver.country {
        case "DK": return dk
        case "FR": return fr
        default: throw SedgateError(.unknownRoute, "no access point serves \(record.envelope.receiver)")
        }
    }

    @Test("SEDs are grouped by destination in commit order, each message within the count and byte limits")
    func grouping() throws {
        let batch = try [
            record("DK:A"), record("FR:B"), record("DK:C"), record("DK:D"), record("FR:E", size: 900),
            record("FR:F", size: 200),
        ]
        let limits = PackingLimits(maxSEDs: 2, maxBytes: 1_000)
        let plan = DeliveryPlan(batch, to: cn, now: now, lifetime: .seconds(3_600), limits: limits, destination: route)
        #expect(plan.failures.isEmpty)
        #expect(plan.messages.map(\.destination) == [dk, fr, dk, fr])
        #expect(plan.messages[0].records.map(\.sedId) == [batch[0].sedId, batch[2].sedId])
        #expect(plan.messages[1].records.map(\.sedId) == [batch[1].sedId, batch[4].sedId])
        // The third DK SED opens a new message (count); F would take FR's first message past 1,000 bytes.
        #expect(plan.messages[2].records.map(\.sedId) == [batch[3].sedId])
        #expect(plan.messages[3].records.map(\.sedId) == [batch[5].sedId])
    }

    @Test("a SED past its lifetime fails as expired and one without a route with the router's reason; others go")
    func failures() throws {
        let old = try record("DK:A", age: 7_300)
        let lost = try record("XX:NOBODY")
        let fine = try record("DK:B")
        let plan = DeliveryPlan(
            [old, lost, fine], to: cn, now: now, lifetime: .seconds(7_200), limits: PackingLimits(),
            destination: route)
        #expect(plan.failures.map(\.record.sedId) == [old.sedId, lost.sedId])
        #expect(plan.failures[0].error.code == .expired)
        #expect(plan.failures[0].error.message.contains("CN did not take it within its lifetime of 2 h"))
        #expect(plan.failures[1].error.code == .unknownRoute)
        #expect(plan.messages.flatMap(\.records).map(\.sedId) == [fine.sedId])
    }

    func reply(_ receipts: [Receipt] = [], fault: Fault? = nil) -> ProtocolMessage {
        ProtocolMessage(action: fault == nil ? .receipt : .fault, from: cn, to: dk, receipts: receipts, fault: fault)
    }

    @Test("a reply sorts the SEDs: held by the peer, refused alone with its reason and code, or not mentioned")
    func outcome() throws {
        let sent = try [record("DK:A"), record("DK:B"), record("DK:C")]
        let receipts = [
            Receipt(sedId: sent[2].sedId, kind: .stored, node: cn, at: "2026-12-07T10:00:00Z"),
            Receipt(
                sedId: sent[0].sedId, kind: .failed, node: cn, at: "2026-12-07T10:00:00Z", reason: "bad seal",
                code: .signatureInvalid),
        ]
        guard
            case .answered(let delivered, let refused, let unanswered) = DeliveryOutcome(
                reply(receipts), from: cn, records: sent)
        else {
            Issue.record("receipts SED by SED must be read one by one")
            return
        }
        #expect(delivered.map(\.record.sedId) == [sent[2].sedId])
        #expect(refused.map(\.record.sedId) == [sent[0].sedId])
        #expect(refused[0].error.code == .signatureInvalid)
        #expect(refused[0].error.message == "CN refused it: bad seal")
        #expect(unanswered.map(\.sedId) == [sent[1].sedId])
    }

    @Test("a sender fault fails every SED; back-pressure sends them all again after the time asked")
    func faults() throws {
        let sent = try [record("DK:A")]
        let refusal = Fault(code: .unknownRoute, reason: "no route", isSenderFault: true)
        guard case .failAll(let error) = DeliveryOutcome(reply(fault: refusal), from: cn, records: sent) else {
            Issue.record("a sender fault must fail the SEDs")
            return
        }
        #expect(error.code == .unknownRoute)
        let busy = Fault(code: .backPressure, reason: "full", retryAfterSeconds: 20, isSenderFault: true)
        guard case .retryAll(let reason, let after) = DeliveryOutcome(reply(fault: busy), from: cn, records: sent)
        else {
            Issue.record("back-pressure must be retried")
            return
        }
        #expect(reason == "full")
        #expect(after == .seconds(20))
    }
}
