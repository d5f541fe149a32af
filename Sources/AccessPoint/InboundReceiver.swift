// InboundReceiver: the access point's side of the protocol server. It takes SEDs the CN delivers
// (validates, drops duplicates by SED id, stores, and has the Resequencer land them in inbound/ in the order of
// their conversation)
// and the receipts the CN relays for SEDs this AP sent. Writes var/store/, inbound/, the journal, reports/.
//
// Exactly once: the SED is stored and journalled (the seen-set) before the receipt is given, and it is
// placed in inbound/ by one rename from var/store/, so a retry never lands it twice.

import Conversion
import Documents
import Foundation
import Logging
import Packaging
import SedgateCore
import Spool
import Transport

/// Receives deliveries and receipts from the CN.
struct InboundReceiver: MessageHandler {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let codec: CompoundCodec
    let reports: ReportWriter
    /// Lands what is received, in the order of each conversation.
    let resequencer: Resequencer
    let logger: Logger

    init(configuration: AccessPointConfiguration, journal: any MessageStore, codec: CompoundCodec, logger: Logger) {
        self.codec = codec
        self.configuration = configuration
        self.journal = journal
        self.resequencer = Resequencer(configuration: configuration, journal: journal, logger: logger)
        self.reports = ReportWriter(directory: configuration.spool.reports)
        self.logger = logger
    }

    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        guard peer.node == configuration.coordinationNode else {
            return reply(
                to: message,
                fault: SedgateError(
                    .unauthorized,
                    "only the coordination node \(configuration.coordinationNode) may deliver to this access point"))
        }
        do {
            switch message.action {
            case .deliver:
                // Only sealed SEDs are taken: a plain delivery would bypass the sender's signature and encryption.
                guard let compound = message.compound else {
                    throw SedgateError(
                        .protocolViolation, "deliveries are compound messages of sealed SEDs (MTOM), not plain SOAP")
                }
                // The whole message is refused when it is for another node, as at the CN (P-COMP-7).
                guard message.to == configuration.node else {
                    throw SedgateError(
                        .protocolViolation,
                        "this compound message is addressed to \(message.to), not to \(configuration.node)")
                }
                return await receive(compound, message)
            case .receipt: return try await noteReceipt(message)
            case .fragment: return try keep(message)
            case .fault, .pull, .empty:
                throw SedgateError(.protocolViolation, "\(message.action) is not a request an access point answers")
            }
        } catch {
            return reply(to: message, fault: error)
        }
    }

    /// Lands SEDs that were received but not yet placed in inbound/ when the node stopped.
    func recover() async throws(SedgateError) {
        try await resequencer.recover()
    }

    private func receive(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard let envelope = message.envelope, let payload = message.payload, let sedId = envelope.sedId else {
            throw SedgateError(.protocolViolation, "a delivery must carry an envelope with a SedId and a payload")
        }
        guard message.to == configuration.node else {
            throw SedgateError(
                .unknownRoute,
                "this delivery is addressed to \(message.to), not to \(configuration.node); check the CN's routing table"
            )
        }
        if try await journal.record(sedId, .inbound) != nil {
            logger.info("duplicate delivery dropped", metadata: ["sedId": "\(sedId)"])
            return receipt(for: message, sedId: sedId)
        }
        if let refusal = configuration.capacity.refusal(
            queued: 0, freeBytes: FreeSpace.bytes(at: configuration.spool.root))
        {
            throw refusal
        }
        let contentType = envelope.contentType ?? "application/xml"
        if !contentType.hasSuffix("xml") {
            return try await receiveEnclosure(payload, envelope: envelope, sedId: sedId, message: message)
        }
        let document = try SEDReader.read(payload, source: "SED \(sedId) from \(message.from)")
        // Inbound SEDs are always validated: one that breaks its rules is refused (a sender fault), never landed.
        if let validator = configuration.validator, let error = validator.validate(document).firstError() {
            throw error
        }
        guard document.envelope.sedId == sedId else {
            throw SedgateError(
                .protocolViolation,
                "the SOAP header names SED \(sedId) but the document inside is \(document.envelope.sedId?.rawValue ?? "without a SedId")"
            )
        }
        // What lands is decided now, so landing stays one rename: XML, a flat file written back by a profile,
        // or, when the SED does not fit that profile's layout, the XML for manual/ with the reason beside it.
        var landing = payload
        var storeName = "in-\(sedId).xml"
        if let profile = configuration.inboundProfile(for: document.envelope) {
            do {
                landing = try FlatWriter(mapping: profile.mapping, profile: profile.format).write(seds: [payload]).bytes
                storeName = "in-\(sedId).\(profile.format == .mtf ? "mtf" : "csv")"
            } catch {
                storeName = "in-\(sedId).manual.xml"
                let text = Rejection.errorText(originalName: "SED \(sedId)", error: error)
                try SpoolFile.writeAtomically(
                    Array(text.utf8), to: configuration.spool.store + "/" + storeName + ".error",
                    tmpDirectory: configuration.spool.tmp)
            }
        }
        try SpoolFile.writeAtomically(
            landing, to: configuration.spool.store + "/" + storeName)
        let record = MessageRecord(
            sedId: sedId, direction: .inbound, state: .received, file: nil, peer: message.from,
            origin: envelope.sendingAP ?? message.from, envelope: document.envelope,
            payloadPath: "var/store/\(storeName)",
            size: payload.count)
        if try await journal.insert(record, ticket: nil, detail: "received from \(message.from)") {
            try await resequencer.settle(record)
        }
        return receipt(for: message, sedId: sedId)
    }

    /// Opens each sealed SED of a compound delivery (its hop and end-to-end signatures were verified when it was
    /// read) and takes it like a single delivery. Answers one receipt per SED: `delivered`, or `failed` with the
    /// reason when the SED can never be taken (encrypted for another AP, tampered, breaking its rules). A
    /// passing problem (disk full, journal busy) stops there: the CN sends again what got no receipt.
    private func receive(_ compound: CompoundMessage, _ message: ProtocolMessage) async -> ProtocolMessage {
        var receipts: [Receipt] = compound.refused.map {
            logger.warning("refused a SED whose seal does not verify", metadata: ["sedId": "\($0.sedId)"])
            return Receipt(
                sedId: $0.sedId, kind: .failed, node: configuration.node, at: Timestamp.now(), reason: $0.reason,
                code: $0.code)
        }
        for sealed in compound.seds {
            do throws(SedgateError) {
                if try await journal.record(sealed.sedId, .inbound) != nil {
                    logger.info("duplicate delivery dropped", metadata: ["sedId": "\(sealed.sedId)"])
                    receipts.append(delivered(sealed.sedId))
                    continue
                }
                if let manifest = sealed.manifest {
                    receipts.append(try await receiveLarge(sealed, manifest: manifest, from: message.from))
                    continue
                }
                let payload = try codec.open(sealed, source: "SED \(sealed.sedId) from \(message.from)")
                let single = ProtocolMessage(
                    messageID: message.messageID, action: .deliver, from: message.from, to: message.to,
                    envelope: sealed.envelope, payload: payload)
                receipts += try await receive(single).receipts
            } catch {
                guard error.code.isPermanent else {
                    if receipts.isEmpty { return reply(to: message, fault: error) }
                    break
                }
                logger.warning(
                    "refused a SED",
                    metadata: ["sedId": "\(sealed.sedId)", "from": "\(message.from)", "error": "\(error)"])
                // Its seal verified, so its envelope is the sender's: the SEDs after it in its conversation go on.
                do {
                    try await resequencer.passOver(sealed.envelope)
                } catch {
                    logger.error("cannot pass over a refused SED", metadata: ["sedId": "\(sealed.sedId)"])
                }
                receipts.append(
                    Receipt(
                        sedId: sealed.sedId, kind: .failed, node: configuration.node, at: Timestamp.now(),
                        reason: error.description, code: error.code))
            }
        }
        return ProtocolMessage(
            action: .receipt, from: configuration.node, to: message.from, relatesTo: message.messageID,
            receipts: receipts)
    }

    /// A small enclosure (not XML: a PDF, an image) sealed whole: stored and landed as it is, under the template's
    /// name with an extension from its content type.
    private func receiveEnclosure(
        _ payload: [UInt8], envelope: Envelope, sedId: SEDID, message: ProtocolMessage
    ) async throws(SedgateError) -> ProtocolMessage {
        let subtype = String((envelope.contentType ?? "").split(separator: "/").last ?? "")
        let storeName = "in-\(sedId).\(Self.fileExtension("x." + subtype))"
        try SpoolFile.writeAtomically(
            payload, to: configuration.spool.store + "/" + storeName, tmpDirectory: configuration.spool.tmp)
        let record = MessageRecord(
            sedId: sedId, direction: .inbound, state: .received, file: nil, peer: message.from,
            origin: envelope.sendingAP ?? message.from, envelope: envelope, payloadPath: "var/store/\(storeName)",
            size: payload.count)
        if try await journal.insert(record, ticket: nil, detail: "received from \(message.from)") {
            try await resequencer.settle(record)
        }
        return receipt(for: message, sedId: sedId)
    }

    /// Keeps a fragment of a large payload until the sealed SED that describes it arrives.
    private func keep(_ message: ProtocolMessage) throws(SedgateError) -> ProtocolMessage {
        guard let fragment = message.fragment, fragment.to == configuration.node else {
            throw SedgateError(.protocolViolation, "a fragment for \(message.to) reached \(configuration.node)")
        }
        if let refusal = configuration.capacity.refusal(
            queued: 0, freeBytes: FreeSpace.bytes(at: configuration.spool.root) - Int64(fragment.data.count))
        {
            throw refusal
        }
        try FragmentInbox(root: configuration.spool.store).accept(
            payloadID: fragment.sedId.rawValue, index: fragment.index, data: fragment.data)
        return message.replying(
            with: Receipt(
                sedId: fragment.sedId, kind: .stored, node: configuration.node, at: Timestamp.now(),
                fragment: fragment.index))
    }

    /// A large payload whose fragments arrived ahead: the key is opened from the seal, the fragments are checked
    /// against the signed manifest, decrypted and joined one at a time into var/store/ (the whole payload's
    /// SHA-256 checked before it appears), then journalled and landed like any SED.
    private func receiveLarge(
        _ sealed: SealedSED, manifest: FragmentManifest, from sender: NodeID
    ) async throws(SedgateError) -> Receipt {
        let key = FragmentCipher.key(Data(try codec.open(sealed, source: "SED \(sealed.sedId) from \(sender)")))
        let inbox = FragmentInbox(root: configuration.spool.store)
        let reassembler = try inbox.reassembler(for: manifest)
        let id = sealed.sedId.rawValue
        let storeName = "in-\(id).\(Self.fileExtension(manifest.fileName))"
        try reassembler.assemble(to: configuration.spool.store + "/" + storeName) { index, fragment in
            try FragmentCipher.open(index: index, sealed: fragment, key: key, payloadID: id)
        }
        let record = MessageRecord(
            sedId: sealed.sedId, direction: .inbound, state: .received, file: nil, peer: sender,
            origin: sealed.envelope.sendingAP ?? sender, envelope: sealed.envelope,
            payloadPath: "var/store/\(storeName)", size: Int(manifest.totalSize))
        if try await journal.insert(record, ticket: nil, detail: "received from \(sender) in fragments") {
            try await resequencer.settle(record)
        }
        inbox.remove(id)
        return delivered(sealed.sedId)
    }

    /// The extension a large payload lands with: its file name's (letters and digits, at most 8), else `bin`.
    static func fileExtension(_ fileName: String?) -> String {
        guard let name = fileName, let dot = name.lastIndex(of: ".") else { return "bin" }
        let ext = name[name.index(after: dot)...]
        guard (1...8).contains(ext.count), ext.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else {
            return "bin"
        }
        return ext.lowercased()
    }

    private func delivered(_ sedId: SEDID) -> Receipt {
        Receipt(sedId: sedId, kind: .delivered, node: configuration.node, at: Timestamp.now())
    }

    /// Receipts relayed by the CN for SEDs this AP sent, each acknowledged in the answer.
    private func noteReceipt(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard !message.receipts.isEmpty else {
            throw SedgateError(.protocolViolation, "a receipt message must carry a Receipt")
        }
        var answers: [Receipt] = []
        for receipt in message.receipts { answers.append(try await note(receipt)) }
        return ProtocolMessage(
            action: .receipt, from: configuration.node, to: message.from, relatesTo: message.messageID,
            receipts: answers)
    }

    /// One relayed receipt; returns this AP's acknowledgement of it.
    private func note(_ receipt: Receipt) async throws(SedgateError) -> Receipt {
        guard let record = try await journal.record(receipt.sedId, .outbound) else {
            throw SedgateError(.notFound, "no SED \(receipt.sedId) was sent from this access point")
        }
        let state: SEDState
        switch receipt.kind {
        case .stored: state = .sent
        case .delivered: state = .delivered
        case .routed: state = .routed
        case .failed:
            // Given up on the way (expired at the CN, refused by the destination): final, with the reason.
            // The receipt's code is the true cause (`signature-invalid` at the destination, `expired` at the CN...).
            let error = SedgateError(
                receipt.code ?? .refused, "\(receipt.node) gave up on the SED: \(receipt.reason ?? "no reason given")")
            AccessPointReports.write(
                reports, .failed, name: record.file ?? record.sedId.rawValue, sedId: record.sedId, ticket: nil,
                node: configuration.node, envelope: record.envelope, error: error, logger: logger)
            try await journal.transition(
                receipt.sedId, .outbound, to: .failed,
                // A destination may return a SED it holds (`sedgate queue manual return`): failed after delivered.
                onlyFrom: receipt.node == configuration.coordinationNode
                    ? [.accepted, .sent, .held] : [.accepted, .sent, .held, .delivered], file: nil,
                detail: error.message)
            return Receipt(sedId: receipt.sedId, kind: .failed, node: configuration.node, at: Timestamp.now())
        }
        // Reports before the journal, and on every receipt, even a repeated one: the CN repeats a receipt until
        // this answer reaches it, so a kill between the two writes can never lose a report. The states a receipt
        // implies are reported too (a relayed receipt can overtake the CN's own answer).
        let order: [SEDState] = [.sent, .delivered, .routed]
        for implied in order.prefix(through: order.firstIndex(of: state)!) { report(implied, record) }
        if record.state == .failed {
            // It failed here only because an operator or the CN gave up while it was already on its way: the
            // destination has it, and a `failed` report left beside `delivered` would invite a duplicate resend.
            let stale = Report(
                file: record.file ?? record.sedId.rawValue, sedId: record.sedId.rawValue, state: .failed,
                node: configuration.node.rawValue)
            try? FileManager.default.removeItem(atPath: reports.directory + "/" + ReportWriter.fileName(for: stale))
        }
        // The journal takes the same steps in the same order, each from the state before it only: a receipt never
        // moves a SED back (a late `stored` after `delivered`), and one that overtook another records both.
        let steps: [(SEDState, from: Set<SEDState>)] = [
            (.sent, from: [.accepted]), (.delivered, from: [.accepted, .sent, .held, .failed]),
            (.routed, from: [.delivered]),
        ]
        for (step, from) in steps.prefix(through: steps.firstIndex { $0.0 == state }!) {
            try await journal.transition(
                receipt.sedId, .outbound, to: step, onlyFrom: from, file: nil,
                detail: step == state
                    ? "\(receipt.kind) at \(receipt.node) at \(receipt.at)"
                    : "implied by \(receipt.kind) at \(receipt.node) at \(receipt.at)")
        }
        return Receipt(sedId: receipt.sedId, kind: receipt.kind, node: configuration.node, at: Timestamp.now())
    }

    private func report(_ state: SEDState, _ record: MessageRecord) {
        AccessPointReports.write(
            reports, state, name: record.file ?? record.sedId.rawValue, sedId: record.sedId, ticket: nil,
            node: configuration.node, envelope: record.envelope, error: nil, logger: logger)
    }

    private func receipt(for message: ProtocolMessage, sedId: SEDID) -> ProtocolMessage {
        ProtocolMessage(
            messageID: "urn:uuid:\(UUID().uuidString.lowercased())", action: .receipt, from: configuration.node,
            to: message.from, relatesTo: message.messageID, envelope: nil, payload: nil,
            receipt: Receipt(sedId: sedId, kind: .delivered, node: configuration.node, at: Timestamp.now()), fault: nil)
    }

    private func reply(to message: ProtocolMessage, fault error: any Error) -> ProtocolMessage {
        let reason = error as? SedgateError ?? SedgateError(.storage, "\(error)")
        logger.warning("refused a message", metadata: ["from": "\(message.from)", "error": "\(reason)"])
        return message.replying(with: Fault(reason, retryAfter: configuration.capacity.retryAfter))
    }
}
