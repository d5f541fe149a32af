// RelayHandler: the coordination node's side of the protocol server. It stores each delivery durably
// before answering with a `stored` receipt (dropping duplicates by SED id), and relays the receipts of
// destination access points towards the sender. It reads the envelope only, never the payload.
// Writes var/store/ and the journal.

import Foundation
import Logging
import SedgateCore
import Spool
import Transport

/// Stores deliveries for forwarding and queues receipts for the sending access point.
struct RelayHandler: MessageHandler {
    let configuration: CoordinationNodeConfiguration
    let journal: any MessageStore
    let bells: [NodeID: Doorbell]
    let gauge: QueueGauge
    let logger: Logger

    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        do {
            guard let node = peer.node, configuration.peers[node] != nil else {
                throw SedgateError(
                    .unauthorized,
                    "\(peer.commonName ?? "an unnamed peer") is not an access point of this network; add it to [peers] first"
                )
            }
            switch message.action {
            case .deliver: return try await store(message)
            case .receipt: return try await relay(message)
            case .pull: return try await pull(message)
            case .fault, .empty: throw SedgateError(.protocolViolation, "\(message.action) is an answer, not a request")
            }
        } catch {
            let reason = error as? SedgateError ?? SedgateError(.storage, "\(error)")
            logger.warning("refused a message", metadata: ["from": "\(message.from)", "error": "\(reason)"])
            return message.replying(with: Fault(reason, retryAfter: configuration.capacity.retryAfter))
        }
    }

    private func store(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard var envelope = message.envelope, let payload = message.payload, let sedId = envelope.sedId else {
            throw SedgateError(.protocolViolation, "a delivery must carry an envelope with a SedId and a payload")
        }
        guard message.to == configuration.node else {
            throw SedgateError(
                .protocolViolation, "this message is addressed to \(message.to), not to the CN \(configuration.node)")
        }
        guard envelope.sendingAP == message.from else {
            throw SedgateError(
                .unauthorized,
                "the envelope's SendingAP is \(envelope.sendingAP?.rawValue ?? "missing") but the sender is \(message.from)"
            )
        }
        guard let destination = configuration.routes.destination(for: envelope.receiver), let bell = bells[destination]
        else {
            throw SedgateError(
                .unknownRoute, "no access point serves \(envelope.receiver); the CN's routing table has no entry for it"
            )
        }
        if try await journal.record(sedId, .relay) != nil {
            logger.info("duplicate delivery dropped", metadata: ["sedId": "\(sedId)", "from": "\(message.from)"])
            return storedReceipt(message, sedId)
        }
        // Back-pressure (FS-59): over capacity, refuse before storing; the sender keeps the SED and retries.
        let queued = try await gauge.value()
        if let refusal = configuration.capacity.refusal(
            queued: queued, freeBytes: FreeSpace.bytes(at: configuration.spool.root))
        {
            throw refusal
        }
        envelope.receivingAP = destination
        let storeName = "relay-\(sedId).bin"
        try SpoolFile.writeAtomically(
            payload, to: configuration.spool.store + "/" + storeName, tmpDirectory: configuration.spool.tmp)
        let record = MessageRecord(
            sedId: sedId, direction: .relay, state: .stored, file: nil, peer: destination, origin: message.from,
            envelope: envelope, payloadPath: "var/store/\(storeName)", size: payload.count)
        _ = try await journal.insert(record, ticket: nil, detail: "from \(message.from) for \(destination)")
        gauge.note()
        bell.ring()
        return storedReceipt(message, sedId)
    }

    /// A destination AP's receipt (`routed`, later ones): queue it for the origin AP.
    /// A receipt from an access point: the destination's (`delivered`, `routed`, `failed`) for a SED forwarded
    /// to it, queued for the sending AP; or, in pull mode, the sending AP's acknowledgement of a receipt it pulled.
    private func relay(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard let receipt = message.receipt else {
            throw SedgateError(.protocolViolation, "a receipt message must carry a Receipt")
        }
        guard let record = try await journal.record(receipt.sedId, .relay) else {
            throw SedgateError(.notFound, "this CN never stored SED \(receipt.sedId)")
        }
        let answer = message.replying(
            with: Receipt(sedId: receipt.sedId, kind: receipt.kind, node: configuration.node, at: Timestamp.now()))
        if record.peer != message.from {
            guard record.origin == message.from else {
                throw SedgateError(
                    .notFound, "SED \(receipt.sedId) was neither sent by nor forwarded to \(message.from)")
            }
            try await journal.completeSignal(peer: message.from, sedId: receipt.sedId, kind: receipt.kind.rawValue)
            return answer
        }
        // The destination's word (a pulled SED's answer arrives here; a pushed one's came with the push).
        switch receipt.kind {
        case .delivered:
            try await journal.transition(
                receipt.sedId, .relay, to: .forwarded, onlyFrom: [.stored, .held, .failed], file: nil,
                detail: "delivered at \(receipt.node) (pulled)")
        case .failed:
            try await journal.transition(
                receipt.sedId, .relay, to: .failed, onlyFrom: [.stored, .held], file: nil,
                detail: "refused by \(receipt.node): \(receipt.reason ?? "no reason given")")
        case .stored, .routed:
            break
        }
        if receipt.kind == .delivered || receipt.kind == .failed { configuration.spool.dropPayload(record.payloadPath) }
        try await journal.enqueueSignal(
            SignalRecord(
                peer: record.origin, sedId: receipt.sedId, kind: receipt.kind.rawValue, node: receipt.node,
                at: receipt.at, reason: receipt.reason))
        bells[record.origin]?.ring()
        return answer
    }

    /// Pull mode (FS-45): the next item for the asking access point. Receipts first (they are small and
    /// close its senders' loops), then its oldest stored SED, else `Empty`. Nothing changes here until the
    /// access point posts its answer, so a pull lost on the way is simply pulled again.
    private func pull(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        let peer = message.from
        if let signal = try await journal.pendingSignals(peer: peer, limit: 1).first,
            let kind = Receipt.Kind(rawValue: signal.kind)
        {
            return ProtocolMessage(
                action: .receipt, from: configuration.node, to: peer, relatesTo: message.messageID,
                receipt: Receipt(
                    sedId: signal.sedId, kind: kind, node: signal.node, at: signal.at, reason: signal.reason))
        }
        if let record = try await journal.records(.relay, in: .stored, peer: peer, limit: 1).first {
            let payload = try SpoolFile.read(configuration.spool.root + "/" + record.payloadPath, maxBytes: Int.max)
            var deliver = ProtocolMessage.deliver(
                envelope: record.envelope, payload: payload, from: configuration.node, to: peer)
            deliver.relatesTo = message.messageID
            return deliver
        }
        return ProtocolMessage(action: .empty, from: configuration.node, to: peer, relatesTo: message.messageID)
    }

    private func storedReceipt(_ message: ProtocolMessage, _ sedId: SEDID) -> ProtocolMessage {
        message.replying(with: Receipt(sedId: sedId, kind: .stored, node: configuration.node, at: Timestamp.now()))
    }
}
