// ReceiptSender: sends queued receipts (journal signals) to a peer, many to a request, and marks them sent, or says
// when to retry. Used by the CN's forwarders (receipts to the origin AP) and by access points (`routed` to
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

    /// The most receipts one request carries.
    public static let batchLimit = 64

    /// Sends `signals`, as few requests as it takes (P-RCPT-6): up to `batchLimit` in one Receipt request, marked sent
    /// together in one journal transaction; those the reply does not acknowledge are sent again one at a time (a peer
    /// that takes one receipt per request, or refuses one of them as unknown, P-RCPT-5, which ends only that one).
    /// Returns nil when every one is done with, or the retry time `schedule` gives when the peer could not take them.
    public func send(_ signals: [SignalRecord], _ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        var start = 0
        while start < signals.count {
            let chunk = Array(signals[start..<min(start + Self.batchLimit, signals.count)])
            start += chunk.count
            guard chunk.count > 1 else {
                if let retryAt = await send(chunk[0], &schedule) { return retryAt }
                continue
            }
            let receipts = chunk.compactMap(Self.receipt)
            let message = ProtocolMessage(action: .receipt, from: node, to: peer, receipts: receipts)
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
            let acknowledged = Set(reply.fault == nil ? reply.receipts.map { "\($0.sedId)|\($0.kind.rawValue)" } : [])
            let done = chunk.filter { acknowledged.contains("\($0.sedId)|\($0.kind)") }
            if !done.isEmpty {
                schedule.succeeded()
                try? await journal.completeSignals(ids: done.map(\.id))
            }
            for signal in chunk where !acknowledged.contains("\(signal.sedId)|\(signal.kind)") {
                if let retryAt = await send(signal, &schedule) { return retryAt }
            }
        }
        return nil
    }

    /// The receipt a queued signal stands for; nil for a kind this node does not know.
    static func receipt(_ signal: SignalRecord) -> Receipt? {
        Receipt.Kind(rawValue: signal.kind).map { kind in
            Receipt(
                sedId: signal.sedId, kind: kind, node: signal.node, at: signal.at, reason: signal.reason,
                code: signal.code.map(SedgateError.Code.init(wireName:)))
        }
    }

    /// Sends `signal`. Returns nil when it is done with (sent, or refused for good), or the retry time
    /// `schedule` gives when the peer could not take it now.
    public func send(_ signal: SignalRecord, _ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        guard let receipt = Self.receipt(signal) else {
            try? await journal.completeSignal(id: signal.id)
            return nil
        }
        let message = ProtocolMessage(action: .receipt, from: node, to: peer, receipt: receipt)
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
