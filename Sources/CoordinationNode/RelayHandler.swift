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
            case .fault: throw SedgateError(.protocolViolation, "a fault is an answer, not a request")
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
        let queued = try await journal.count(.relay, in: .stored)
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
        bell.ring()
        return storedReceipt(message, sedId)
    }

    /// A destination AP's receipt (`routed`, later ones): queue it for the origin AP.
    private func relay(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard let receipt = message.receipt else {
            throw SedgateError(.protocolViolation, "a receipt message must carry a Receipt")
        }
        guard let record = try await journal.record(receipt.sedId, .relay), record.peer == message.from else {
            throw SedgateError(.notFound, "no SED \(receipt.sedId) was forwarded to \(message.from)")
        }
        try await journal.enqueueSignal(
            SignalRecord(
                peer: record.origin, sedId: receipt.sedId, kind: receipt.kind.rawValue, node: receipt.node,
                at: receipt.at))
        bells[record.origin]?.ring()
        return message.replying(
            with: Receipt(sedId: receipt.sedId, kind: receipt.kind, node: configuration.node, at: Timestamp.now()))
    }

    private func storedReceipt(_ message: ProtocolMessage, _ sedId: SEDID) -> ProtocolMessage {
        message.replying(with: Receipt(sedId: sedId, kind: .stored, node: configuration.node, at: Timestamp.now()))
    }
}
