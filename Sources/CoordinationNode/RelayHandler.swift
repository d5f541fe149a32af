// RelayHandler: the coordination node's side of the protocol server. It stores each delivery durably
// before answering with a `stored` receipt (dropping duplicates by SED id), and relays the receipts of
// destination access points towards the sender. It reads the envelope only, never the payload.
// Writes var/store/ and the journal.

import Foundation
import Logging
import Packaging
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
            case .fragment: return try await keep(message)
            case .fault, .empty: throw SedgateError(.protocolViolation, "\(message.action) is an answer, not a request")
            }
        } catch {
            let reason = error as? SedgateError ?? SedgateError(.storage, "\(error)")
            logger.warning("refused a message", metadata: ["from": "\(message.from)", "error": "\(reason)"])
            return message.replying(with: Fault(reason, retryAfter: configuration.capacity.retryAfter))
        }
    }

    /// Stores the sealed SEDs of a compound delivery (both its signatures were verified when it was read) and
    /// answers one receipt per SED: `stored`, or `failed` with the reason for a SED that can never be routed.
    private func store(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard let compound = message.compound else {
            throw SedgateError(
                .protocolViolation,
                "a delivery must be a compound message of sealed SEDs (MTOM, multipart/related), signed by its sender")
        }
        guard message.to == configuration.node else {
            throw SedgateError(
                .protocolViolation, "this message is addressed to \(message.to), not to the CN \(configuration.node)")
        }
        var fresh: [SealedSED] = []
        var receipts: [Receipt] = compound.refused.map {
            Receipt(
                sedId: $0.sedId, kind: .failed, node: configuration.node, at: Timestamp.now(), reason: $0.reason,
                code: $0.code)
        }
        // The seen-set, for the whole message in one read.
        let seen = try await journal.records(compound.seds.map(\.sedId), .relay)
        for sealed in compound.seds {
            guard sealed.envelope.sendingAP == message.from else {
                receipts.append(
                    Receipt(
                        sedId: sealed.sedId, kind: .failed, node: configuration.node, at: Timestamp.now(),
                        reason: "SED \(sealed.sedId) was sealed by \(sealed.envelope.sendingAP?.rawValue ?? "no AP") "
                            + "but sent by \(message.from); an AP sends only what it sealed itself",
                        code: .unauthorized))
                continue
            }
            if seen[sealed.sedId] != nil {
                logger.info(
                    "duplicate delivery dropped", metadata: ["sedId": "\(sealed.sedId)", "from": "\(message.from)"])
                receipts.append(stored(sealed.sedId))
            } else {
                fresh.append(sealed)
            }
        }
        // Back-pressure (FS-59): over capacity, refuse before storing; the sender keeps its SEDs and retries. The
        // queue is counted SED by SED, so a large compound message cannot overrun the limit: what is over it gets
        // no receipt now (the sender sends it again) or, when nothing could be taken, a retry-after fault.
        var queued = fresh.isEmpty ? 0 : try await gauge.value()
        var group: [(record: MessageRecord, bytes: [UInt8], bell: Doorbell)] = []
        // The free space is read once for the message; each SED taken counts against it.
        var free = fresh.isEmpty ? 0 : FreeSpace.bytes(at: configuration.spool.root)
        for sealed in fresh {
            if let refusal = configuration.capacity.refusal(queued: queued, freeBytes: free) {
                if group.isEmpty { throw refusal }
                break
            }
            do throws(SedgateError) {
                if let manifest = sealed.manifest, let shared = journal as? any SharedFragments,
                    !(try inbox.reassembler(for: manifest).missing.isEmpty)
                {
                    // A CN cluster: the fragments may have reached another process.
                    try await shared.restoreFragments(sealed.sedId) { (index, data) throws(SedgateError) in
                        try inbox.accept(payloadID: sealed.sedId.rawValue, index: index, data: Data(data))
                    }
                }
                let prepared = try prepare(sealed, from: message.from)
                if let manifest = sealed.manifest {
                    // A large payload: its fragments came ahead; the CN takes the SED only if they are all here and
                    // are the ones the sender signed (P-FRAG-8). It cannot decrypt them (the key in the seal is for
                    // the destination). Reading them all back is a pass over the payload: on the blocking pool.
                    let fragments = inbox
                    try await Blocking.run { () throws(SedgateError) in try fragments.verify(manifest) }
                }
                group.append(prepared)
                queued += 1
                free -= Int64(group[group.count - 1].bytes.count)
            } catch  where error.code.isPermanent {
                logger.warning(
                    "refused a SED",
                    metadata: ["sedId": "\(sealed.sedId)", "from": "\(message.from)", "error": "\(error)"])
                receipts.append(
                    Receipt(
                        sedId: sealed.sedId, kind: .failed, node: configuration.node, at: Timestamp.now(),
                        reason: error.description, code: error.code))
            }
        }
        try await store(group, from: message.from)
        receipts += group.map { stored($0.record.sedId) }
        return message.replying(with: receipts)
    }

    /// The SEDs of one message stored together: each file written and synced under a temporary name, all renamed
    /// into var/store/ with one folder sync, then all journalled in one transaction (group commit). A `stored`
    /// receipt is given only after that commit; a crash before it leaves files the start-up reconciliation
    /// journals, and the sender sends them again.
    private func store(
        _ group: [(record: MessageRecord, bytes: [UInt8], bell: Doorbell)], from sender: NodeID
    ) async throws(SedgateError) {
        guard !group.isEmpty else { return }
        let files = group.map { (path: configuration.spool.root + "/" + $0.record.payloadPath, bytes: $0.bytes) }
        try await Blocking.durable { [store = configuration.spool.store] () throws(SedgateError) in
            try SpoolFile.writeAllAtomically(files, in: store)
        }
        _ = try await journal.insert(
            batch: group.map { NewSED(record: $0.record, ticket: nil, detail: "from \(sender) for \($0.record.peer)") })
        for item in group {
            gauge.note()
            item.bell.ring()
        }
    }

    /// Checks one sealed SED's route and makes its record, bytes untouched, for its destination.
    private func prepare(
        _ sealed: SealedSED, from sender: NodeID
    ) throws(SedgateError) -> (record: MessageRecord, bytes: [UInt8], bell: Doorbell) {
        let envelope = sealed.envelope
        guard envelope.sendingAP == sender else {
            throw SedgateError(
                .unauthorized,
                "SED \(sealed.sedId) was sealed by \(envelope.sendingAP?.rawValue ?? "no access point") but sent by \(sender)"
            )
        }
        guard let destination = configuration.routes.destination(for: envelope.receiver), let bell = bells[destination]
        else {
            throw SedgateError(
                .unknownRoute, "no access point serves \(envelope.receiver); the CN's routing table has no entry for it"
            )
        }
        guard envelope.receivingAP == destination else {
            throw SedgateError(
                .unknownRoute,
                "SED \(sealed.sedId) is sealed for \(envelope.receivingAP?.rawValue ?? "no access point") but the CN "
                    + "routes \(envelope.receiver) to \(destination); align the sender's [routes] with the CN's")
        }
        let storeName = "\(StoreReconciliation.prefix)\(sealed.sedId)\(StoreReconciliation.suffix)"
        let record = MessageRecord(
            sedId: sealed.sedId, direction: .relay, state: .stored, file: nil, peer: destination, origin: sender,
            envelope: envelope, payloadPath: "var/store/\(storeName)", size: sealed.bytes.count)
        return (record, Array(sealed.bytes), bell)
    }

    /// Keeps a fragment of a large payload that its sender sends ahead of the sealed SED.
    private func keep(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard let fragment = message.fragment, fragment.to == configuration.node else {
            throw SedgateError(.protocolViolation, "a fragment for \(message.to) reached the CN \(configuration.node)")
        }
        let answer = message.replying(
            with: Receipt(
                sedId: fragment.sedId, kind: .stored, node: configuration.node, at: Timestamp.now(),
                fragment: fragment.index))
        // Sent again after the SED itself was taken: nothing more to keep.
        if try await journal.record(fragment.sedId, .relay) != nil { return answer }
        if let refusal = configuration.capacity.refusal(
            queued: 0, freeBytes: FreeSpace.bytes(at: configuration.spool.root) - Int64(fragment.data.count))
        {
            throw refusal
        }
        try FragmentInbox(root: configuration.spool.store).accept(
            payloadID: fragment.sedId.rawValue, index: fragment.index, data: fragment.data)
        // A CN cluster: any process may take the SED, and forward it.
        try await (journal as? any SharedFragments)?.keepFragment(
            fragment.sedId, index: fragment.index, data: Array(fragment.data))
        return answer
    }

    private var inbox: FragmentInbox { FragmentInbox(root: configuration.spool.store) }

    private func stored(_ sedId: SEDID) -> Receipt {
        Receipt(sedId: sedId, kind: .stored, node: configuration.node, at: Timestamp.now())
    }

    /// A destination AP's receipt (`routed`, later ones): queue it for the origin AP.
    /// A receipt from an access point: the destination's (`delivered`, `routed`, `failed`) for a SED forwarded
    /// to it, queued for the sending AP; or, in pull mode, the sending AP's acknowledgement of a receipt it pulled.
    private func relay(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard !message.receipts.isEmpty else {
            throw SedgateError(.protocolViolation, "a receipt message must carry a Receipt")
        }
        var answers: [Receipt] = []
        for receipt in message.receipts { answers.append(try await relay(receipt, from: message.from)) }
        return message.replying(with: answers)
    }

    /// One receipt of a receipt message; returns the CN's acknowledgement of it.
    private func relay(_ receipt: Receipt, from sender: NodeID) async throws(SedgateError) -> Receipt {
        if let index = receipt.fragment, receipt.kind != .failed {
            // A pull-mode AP took a fragment it pulled: the next pull hands out the one after it. One it refused
            // for good (`failed`) fails its SED below, like a refused SED (P-PULL-6).
            if let record = try await journal.record(receipt.sedId, .relay), record.peer == sender,
                let manifest = try StoredSED.read(record, configuration).manifest
            {
                FragmentProgress(inbox: inbox, manifest: manifest, peer: sender).acknowledge(index)
            }
            return Receipt(
                sedId: receipt.sedId, kind: receipt.kind, node: configuration.node, at: Timestamp.now(), fragment: index
            )
        }
        guard let record = try await journal.record(receipt.sedId, .relay) else {
            throw SedgateError(.notFound, "this CN never stored SED \(receipt.sedId)")
        }
        let answer = Receipt(
            sedId: receipt.sedId, kind: receipt.kind, node: configuration.node, at: Timestamp.now(),
            fragment: receipt.fragment)
        if record.peer != sender {
            guard record.origin == sender else {
                throw SedgateError(.notFound, "SED \(receipt.sedId) was neither sent by nor forwarded to \(sender)")
            }
            try await journal.completeSignal(peer: sender, sedId: receipt.sedId, kind: receipt.kind.rawValue)
            return answer
        }
        // A SED an AP sent to an institution it serves itself: it is both origin and destination. In pull mode its
        // acknowledgement of the relayed receipt it pulled (the oldest waiting for it) must not count as the
        // destination's word again, which would relay the same receipt to it once more, for ever (P-PULL-7).
        if record.origin == sender, receipt.fragment == nil,
            let pulled = try await journal.pendingSignals(peer: sender, limit: 1).first,
            pulled.sedId == receipt.sedId, pulled.kind == receipt.kind.rawValue
        {
            try await journal.completeSignal(peer: sender, sedId: receipt.sedId, kind: receipt.kind.rawValue)
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
        if receipt.kind == .delivered || receipt.kind == .failed {
            configuration.spool.dropPayload(record.payloadPath)
            inbox.remove(receipt.sedId.rawValue)
        }
        try await journal.enqueueSignal(
            SignalRecord(
                peer: record.origin, sedId: receipt.sedId, kind: receipt.kind.rawValue, node: receipt.node,
                at: receipt.at, reason: receipt.reason, code: receipt.code?.name))
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
                    sedId: signal.sedId, kind: kind, node: signal.node, at: signal.at, reason: signal.reason,
                    code: signal.code.map(SedgateError.Code.init(wireName:))))
        }
        let records = try await journal.records(.relay, in: .stored, peer: peer, limit: configuration.packing.maxSEDs)
        if !records.isEmpty {
            let seds = try records.map { (record) throws(SedgateError) in try StoredSED.read(record, configuration) }
            // A large payload's fragments go first, one per pull, each acknowledged before the next.
            for sed in seds {
                guard let manifest = sed.manifest else { continue }
                let progress = FragmentProgress(inbox: inbox, manifest: manifest, peer: peer)
                guard progress.acknowledged < manifest.fragmentCount else { continue }
                let fragment = try progress.message(progress.acknowledged, of: sed.sedId, from: configuration.node)
                return ProtocolMessage(
                    messageID: fragment.messageID, action: .fragment, from: configuration.node, to: peer,
                    relatesTo: message.messageID, fragment: fragment)
            }
            let compound = CompoundMessage(from: configuration.node, to: peer, seds: seds)
            return ProtocolMessage(
                messageID: compound.messageID, action: .deliver, from: configuration.node, to: peer,
                relatesTo: message.messageID, compound: compound)
        }
        return ProtocolMessage(action: .empty, from: configuration.node, to: peer, relatesTo: message.messageID)
    }

    private func storedReceipt(_ message: ProtocolMessage, _ sedId: SEDID) -> ProtocolMessage {
        message.replying(with: Receipt(sedId: sedId, kind: .stored, node: configuration.node, at: Timestamp.now()))
    }
}
