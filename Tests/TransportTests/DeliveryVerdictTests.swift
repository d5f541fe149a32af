// DeliveryVerdictTests: how a reply to a compound delivery sorts its SEDs, the reading the AP's sender and the
// CN's forwarder share.

import SedgateCore
import Testing
import Transport

@Suite("Delivery verdict")
struct DeliveryVerdictTests {
    let ids = (0..<3).map { _ in SEDID.random() }
    let peer = NodeID("CN")!
    let node = NodeID("AP-BE")!

    func reply(_ receipts: [Receipt] = [], fault: Fault? = nil) -> ProtocolMessage {
        ProtocolMessage(
            action: fault == nil ? .receipt : .fault, from: peer, to: node, receipts: receipts, fault: fault)
    }

    @Test("a sender fault refuses the whole delivery; back-pressure and passing faults send it all again")
    func faults() {
        let refusal = Fault(code: .unknownRoute, reason: "no route", isSenderFault: true)
        guard case .refused(let fault) = DeliveryVerdict(reply(fault: refusal), sent: ids) else {
            Issue.record("a sender fault must refuse the delivery")
            return
        }
        #expect(fault.reason == "no route")
        let busy = Fault(code: .backPressure, reason: "full", retryAfterSeconds: 30, isSenderFault: true)
        guard case .later(let later) = DeliveryVerdict(reply(fault: busy), sent: ids) else {
            Issue.record("back-pressure must be retried, though the peer calls it a sender fault")
            return
        }
        #expect(later.retryAfter == .seconds(30))
        let passing = Fault(code: .storage, reason: "disk", isSenderFault: false)
        guard case .later = DeliveryVerdict(reply(fault: passing), sent: ids) else {
            Issue.record("a receiver fault must be retried")
            return
        }
    }

    @Test("receipts are paired with the SEDs sent by position, in order; SEDs the reply does not name are resent")
    func receiptsByPosition() {
        let receipts = [
            Receipt(sedId: ids[2], kind: .stored, node: peer, at: "t"),
            Receipt(sedId: ids[0], kind: .failed, node: peer, at: "t", reason: "sealed for another AP"),
            Receipt(sedId: SEDID.random(), kind: .stored, node: peer, at: "t"),
        ]
        guard case .answered(let taken, let unanswered) = DeliveryVerdict(reply(receipts), sent: ids) else {
            Issue.record("a reply with receipts is an answer")
            return
        }
        #expect(taken.map(\.index) == [0, 2])
        #expect(taken.map(\.receipt.kind) == [.failed, .stored])
        #expect(unanswered == [1])
    }
}
