// ReceiptSender: sends one queued receipt (a journal signal) to a peer and marks it sent, or says when
// to retry. Used by the CN's forwarders (receipts to the origin AP) and by access points (`routed` to
// the CN). Reads and writes the journal's signal queue.

public import Logging
public import SedgateCore

/// Delivers queued receipts to one peer.
public struct ReceiptSender: Sendable {
    /// This node.
    public let node: NodeID
    /// The peer the receipts go to, and its base URL.
    public let peer: NodeID
    public let url: String
    let client: ProtocolClient
    let journal: any MessageStore
    let logger: Logger

    public init(
        node: NodeID, peer: NodeID, url: String, client: ProtocolClient, journal: any MessageStore, logger: Logger
    ) {
        self.node = node
        self.peer = peer
        self.url = url
        self.client = client
        self.journal = journal
        self.logger = logger
    }

    /// Sends `signal`. Returns nil when it is done with (sent, or refused for good), or the retry time
    /// `schedule` gives when the peer could not take it now.
    public func send(_ signal: SignalRecord, _ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        guard let kind = Receipt.Kind(rawValue: signal.kind) else {
            try? await journal.completeSignal(id: signal.id)
            return nil
        }
        let message = ProtocolMessage(
            action: .receipt, from: node, to: peer,
            receipt: Receipt(
                sedId: signal.sedId, kind: kind, node: signal.node, at: signal.at, reason: signal.reason,
                code: signal.code.map(SedgateError.Code.init(wireName:))))
        let reply: ProtocolMessage
        do {
            reply = try await client.send(message, to: url)
        } catch {
            logger.warning("peer unreachable; will retry", metadata: ["peer": "\(peer)", "error": "\(error)"])
            return schedule.failed(now: .now)
        }
        if let fault = reply.fault, !fault.isSenderFault || fault.code == .backPressure {
            return schedule.failed(now: .now, retryAfter: fault.retryAfter)
        }
        // A refused receipt (the peer does not know the SED) cannot succeed later: drop it, with a trace in the log.
        if let fault = reply.fault {
            logger.warning("a receipt was refused", metadata: ["sedId": "\(signal.sedId)", "fault": "\(fault.reason)"])
        }
        schedule.succeeded()
        try? await journal.completeSignal(id: signal.id)
        return nil
    }
}
