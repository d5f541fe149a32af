// DeliveryVerdict: how the reply to a compound delivery sorts the SEDs it carried. The one reading of a reply that
// the access point's sender and the CN's forwarder share; each then acts on the verdict in its own way.

public import SedgateCore

/// What a peer's reply says about the SEDs of one compound delivery.
public enum DeliveryVerdict: Sendable {
    /// The whole message was refused for a reason a retry cannot mend: every SED in it fails.
    case refused(Fault)
    /// The peer could not take the message now (back-pressure, a passing fault): send it all again, after the
    /// fault's `retryAfter` when it gives one.
    case later(Fault)
    /// The peer answered SED by SED: `taken` pairs the position of each SED in the delivery with its receipt
    /// (`failed` for one refused alone), and `unanswered` holds the positions of those the reply did not mention,
    /// to send again.
    case answered(taken: [(index: Int, receipt: Receipt)], unanswered: [Int])

    /// Sorts `reply` to a delivery of the SEDs `sent`, in their order.
    public init(_ reply: ProtocolMessage, sent: [SEDID]) {
        if let fault = reply.fault {
            self = fault.isSenderFault && fault.code != .backPressure ? .refused(fault) : .later(fault)
            return
        }
        var receipts: [SEDID: Receipt] = [:]
        for receipt in reply.receipts { receipts[receipt.sedId] = receipt }
        self = .answered(
            taken: sent.indices.compactMap { index in receipts[sent[index]].map { (index, $0) } },
            unanswered: sent.indices.filter { receipts[sent[$0]] == nil })
    }
}
