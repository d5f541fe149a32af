// SEDState: where one SED is in its life, on the node that records it (the README's states).

/// The state of one SED on one node. Outbound (sending AP), relay (CN) and inbound (receiving AP)
/// states share one vocabulary so a trace reads the same everywhere.
public enum SEDState: String, Sendable, Codable, CaseIterable, Hashable {
    // Outbound, at the sending access point.
    /// Taken from `outbound/`, parsed, validated and journalled under its SED id.
    case accepted
    /// Refused at intake; the original is in `rejected/` beside an `.error` file.
    case rejected
    /// Stored durably at the coordination node (its receipt arrived).
    case sent
    /// Stored durably at the destination access point (relayed receipt arrived).
    case delivered
    /// The national side at the destination took the file from its inbound spool.
    case routed
    /// Given up: expired, or refused by a peer for a reason a retry cannot mend.
    case failed

    /// A synchronous request (`Interaction` SYNC) whose reply did not reach this access point by its deadline
    /// (`DueDate`, or `[sync] timeout-s` after it was accepted); a reply that comes later is refused.
    case timeout

    /// Held by an operator (`sedgate queue hold`): not sent or forwarded until released.
    case held

    // Relay, at the coordination node.
    /// Stored at the CN, waiting to be forwarded.
    case stored
    /// Forwarded: the destination access point acknowledged it.
    case forwarded

    // Inbound, at the receiving access point.
    /// Received and stored; about to be placed in `inbound/`.
    case received
    /// Received and stored, waiting for a SED before it in its conversation (a lower `SeqNo`) to land first;
    /// it lands when that one does, or without it after `[inbound] order-wait-s`.
    case waiting
    /// Placed in `inbound/` (or `manual/`) for the national side.
    case landed

    /// States after which nothing more happens on this node.
    public var isFinal: Bool {
        switch self {
        case .rejected, .failed, .routed, .timeout: return true
        default: return false
        }
    }

    /// States for which a status file is written to `reports/` at the sending access point.
    public var isReported: Bool {
        switch self {
        case .accepted, .rejected, .sent, .delivered, .routed, .failed, .timeout: return true
        default: return false
        }
    }
}
