// DeliveryPlan: what the delivery agent sends next, decided as a value: the SEDs waiting for a peer cut into
// compound messages by destination access point, in commit order, within the packing limits; those that outlived
// their lifetime or have no route set aside with the reason. Pure: the clock and the routing are the caller's.

public import Foundation
public import SedgateCore

/// The compound messages to send for a batch of waiting SEDs, and the SEDs that cannot go.
public struct DeliveryPlan: Sendable {
    /// One compound message: SEDs sealed for one destination access point, in commit order.
    public struct Message: Sendable {
        public var destination: NodeID
        public var records: [MessageRecord]
        public var bytes: Int { records.reduce(0) { $0 + $1.size } }
    }

    /// The messages, in the order their first SED was committed.
    public var messages: [Message] = []
    /// SEDs that fail here: expired (`.expired`) or without a route (the router's error).
    public var failures: [(record: MessageRecord, error: SedgateError)] = []

    /// Plans `batch` (oldest first) for `peer` at `now`: a SED older than `lifetime` fails as expired; the others are grouped
    /// by `destination(_:)` (a SED whose destination throws fails with that error) into messages of at most
    /// `limits.maxSEDs` SEDs and `limits.maxBytes` bytes. SEDs for one destination keep their order; a full message
    /// is followed by a new one for the same destination.
    public init(
        _ batch: [MessageRecord], to peer: NodeID, now: Date, lifetime: Duration, limits: PackingLimits,
        destination: (MessageRecord) throws(SedgateError) -> NodeID
    ) {
        var open: [NodeID: Int] = [:]
        for record in batch {
            if Timestamp.isOlder(record.createdAt, than: lifetime, now: now) {
                let hours = lifetime.components.seconds / 3_600
                failures.append(
                    (
                        record,
                        SedgateError(
                            .expired,
                            "expired: \(peer) did not take it within its lifetime of \(hours) h ([retry] lifetime-hours)"
                        )
                    ))
                continue
            }
            let target: NodeID
            do {
                target = try destination(record)
            } catch {
                failures.append((record, error))
                continue
            }
            if let index = open[target], messages[index].records.count < limits.maxSEDs,
                messages[index].bytes + record.size <= limits.maxBytes
            {
                messages[index].records.append(record)
            } else {
                open[target] = messages.count
                messages.append(Message(destination: target, records: [record]))
            }
        }
    }
}

/// What a peer's reply means for each SED of one delivery, decided as a value from the reply's verdict.
public enum DeliveryOutcome: Sendable {
    /// Every SED fails (the peer refused the message for a reason a retry cannot mend).
    case failAll(SedgateError)
    /// Send them all again later (the peer is busy or had a passing fault), not before `retryAfter` if given.
    case retryAll(reason: String, retryAfter: Duration?)
    /// The peer answered SED by SED: `delivered` it holds now, `refused` it refused alone (each with the reason),
    /// `unanswered` it did not mention (sent again later).
    case answered(
        delivered: [(record: MessageRecord, receipt: Receipt)],
        refused: [(record: MessageRecord, error: SedgateError)],
        unanswered: [MessageRecord])

    /// Reads `reply` from `peer` to a delivery of `records` (in the order they were sent).
    public init(_ reply: ProtocolMessage, from peer: NodeID, records: [MessageRecord]) {
        switch DeliveryVerdict(reply, sent: records.map(\.sedId)) {
        case .refused(let fault):
            self = .failAll(SedgateError(fault.code, "\(peer) refused it: \(fault.reason)"))
        case .later(let fault):
            self = .retryAll(reason: fault.reason, retryAfter: fault.retryAfter)
        case .answered(let taken, let missing):
            var delivered: [(record: MessageRecord, receipt: Receipt)] = []
            var refused: [(record: MessageRecord, error: SedgateError)] = []
            for (index, receipt) in taken {
                if receipt.kind == .failed {
                    refused.append(
                        (
                            records[index],
                            SedgateError(
                                receipt.code ?? .refused,
                                "\(peer) refused it: \(receipt.reason ?? "no reason given")")
                        ))
                } else {
                    delivered.append((records[index], receipt))
                }
            }
            self = .answered(delivered: delivered, refused: refused, unanswered: missing.map { records[$0] })
        }
    }
}
