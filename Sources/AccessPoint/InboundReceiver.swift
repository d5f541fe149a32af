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
    /// Judges replies to this AP's synchronous requests: a late one is refused (SyncTracker).
    var replies: SyncTracker?

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

    /// A SED opened and checked, ready to be stored: its record (`received`) and the files to write to var/store/.
    struct Arrival {
        var record: MessageRecord
        var files: [(path: String, bytes: [UInt8])]
    }

    /// Opens nothing and writes nothing: checks one SED's payload (an XML SED is read once, validated, and its
    /// landing decided) and returns what to store. Landing stays one rename: XML, a flat file written back by a
    /// profile, or, when the SED does not fit that profile's layout, the XML for manual/ with the reason beside it.
    private func prepare(
        _ payload: [UInt8], document opened: SEDDocument?, envelope: Envelope, sedId: SEDID, from sender: NodeID
    ) throws(SedgateError) -> Arrival {
        if let refusal = configuration.capacity.refusal(
            queued: 0, freeBytes: FreeSpace.bytes(at: configuration.spool.root))
        {
            throw refusal
        }
        let store = configuration.spool.store
        let contentType = envelope.contentType ?? "application/xml"
        if !contentType.hasSuffix("xml") {
            // A small enclosure (not XML: a PDF, an image) sealed whole: stored and landed as it is, under the
            // template's name with an extension from its content type.
            let subtype = String(contentType.split(separator: "/").last ?? "")
            let storeName = "in-\(sedId).\(Self.fileExtension("x." + subtype))"
            return Arrival(
                record: MessageRecord(
                    sedId: sedId, direction: .inbound, state: .received, file: nil, peer: sender,
                    origin: envelope.sendingAP ?? sender, envelope: envelope, payloadPath: "var/store/\(storeName)",
                    size: payload.count),
                files: [(store + "/" + storeName, payload)])
        }
        // Opening read the SED already (under the same name) when its seal says XML.
        let document: SEDDocument
        if let opened {
            document = opened
        } else {
            document = try SEDReader.read(payload, source: "SED \(sedId) from \(sender)")
        }
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
        var landing = payload
        var storeName = "in-\(sedId).xml"
        var files: [(path: String, bytes: [UInt8])] = []
        if let profile = configuration.inboundProfile(for: document.envelope) {
            do {
                landing = try FlatWriter(mapping: profile.mapping, profile: profile.format).write(seds: [payload]).bytes
                storeName = "in-\(sedId).\(profile.format == .mtf ? "mtf" : "csv")"
            } catch {
                storeName = "in-\(sedId).manual.xml"
                let text = Rejection.errorText(originalName: "SED \(sedId)", error: error)
                files.append((store + "/" + storeName + ".error", Array(text.utf8)))
            }
        }
        files.append((store + "/" + storeName, landing))
        let record = MessageRecord(
            sedId: sedId, direction: .inbound, state: .received, file: nil, peer: sender,
            origin: envelope.sendingAP ?? sender, envelope: document.envelope, payloadPath: "var/store/\(storeName)",
            size: payload.count)
        return Arrival(record: record, files: files)
    }

    /// Stores a group of checked SEDs: every file written and synced, renamed into var/store/ with one folder sync,
    /// all journalled `received` in one transaction (the seen-set), then each settled (landed or left waiting).
    /// Returns the ids stored; nothing is answered for a SED before its row is committed.
    private func store(_ arrivals: [Arrival], from sender: NodeID) async throws(SedgateError) -> [SEDID] {
        guard !arrivals.isEmpty else { return [] }
        let files = arrivals.flatMap(\.files)
        try await Blocking.durable { [store = configuration.spool.store] () throws(SedgateError) in
            try SpoolFile.writeAllAtomically(files, in: store)
        }
        let inserted = try await journal.insert(
            batch: arrivals.map { NewSED(record: $0.record, ticket: nil, detail: "received from \(sender)") })
        do {
            try await resequencer.settle(zip(arrivals, inserted).filter(\.1).map(\.0.record))
        } catch {
            // Stored and journalled: the receipts hold. The resequencer's service lands them once it can.
            logger.error(
                "cannot land the SEDs received now; they will be landed later",
                metadata: ["seds": "\(arrivals.count)", "error": "\(error)"])
        }
        return arrivals.map(\.record.sedId)
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
        // The SEDs are checked one by one, then stored as one group; a passing problem (disk full, journal busy)
        // stops the checking there, and the CN sends again what got no receipt.
        var arrivals: [Arrival] = []
        var ids: Set<SEDID> = []
        // The seen-set, for the whole message in one read.
        let seen: [SEDID: MessageRecord]
        do {
            seen = try await journal.records(compound.seds.map(\.sedId), .inbound)
        } catch {
            return reply(to: message, fault: error)
        }
        // The new SEDs opened and checked side by side on the sealing pool, off the cooperative threads; their
        // outcomes are taken below in message order, as one by one.
        var fresh: [SealedSED] = []
        var freshIDs: Set<SEDID> = []
        for sealed in compound.seds
        where seen[sealed.sedId] == nil && sealed.manifest == nil && freshIDs.insert(sealed.sedId).inserted {
            fresh.append(sealed)
        }
        let sender = message.from
        let outcomes = await SealingPool.shared.results(fresh) { [self] (sealed) throws(SedgateError) in
            let (payload, document) = try codec.openDocument(sealed, source: "SED \(sealed.sedId) from \(sender)")
            return (
                payload,
                try prepare(payload, document: document, envelope: sealed.envelope, sedId: sealed.sedId, from: sender)
            )
        }
        var prepared: [SEDID: Result<([UInt8], Arrival), SedgateError>] = [:]
        for (sealed, outcome) in zip(fresh, outcomes) { prepared[sealed.sedId] = outcome }
        checking: for sealed in compound.seds {
            do throws(SedgateError) {
                if ids.contains(sealed.sedId) { continue }
                if seen[sealed.sedId] != nil {
                    logger.info("duplicate delivery dropped", metadata: ["sedId": "\(sealed.sedId)"])
                    receipts.append(delivered(sealed.sedId))
                    continue
                }
                if let manifest = sealed.manifest {
                    receipts.append(try await receiveLarge(sealed, manifest: manifest, from: message.from))
                    continue
                }
                guard let outcome = prepared[sealed.sedId] else { continue }
                let (payload, arrival) = try outcome.get()
                try await replies?.admit(arrival.record.envelope, sedId: sealed.sedId, payload: payload)
                arrivals.append(arrival)
                ids.insert(sealed.sedId)
            } catch {
                guard error.code.isPermanent else {
                    if receipts.isEmpty && arrivals.isEmpty { return reply(to: message, fault: error) }
                    break checking
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
        do {
            receipts += try await store(arrivals, from: message.from).map(delivered)
        } catch {
            if receipts.isEmpty { return reply(to: message, fault: error) }
            logger.warning(
                "could not store the SEDs received; the CN will send them again",
                metadata: ["seds": "\(arrivals.count)", "error": "\(error)"])
        }
        return ProtocolMessage(
            action: .receipt, from: configuration.node, to: message.from, relatesTo: message.messageID,
            receipts: receipts)
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
        let keyBytes = Data(try codec.open(sealed, source: "SED \(sealed.sedId) from \(sender)"))
        let inbox = FragmentInbox(root: configuration.spool.store)
        let reassembler = try inbox.reassembler(for: manifest)
        let id = sealed.sedId.rawValue
        let storeName = "in-\(id).\(Self.fileExtension(manifest.fileName))"
        // A pass over the whole payload (read, check, decrypt, write, sync): on the blocking pool.
        let target = configuration.spool.store + "/" + storeName
        try await Blocking.run { () throws(SedgateError) in
            let key = FragmentCipher.key(keyBytes)
            try reassembler.assemble(to: target) { index, fragment in
                try FragmentCipher.open(index: index, sealed: fragment, key: key, payloadID: id)
            }
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

    /// Receipts relayed by the CN for SEDs this AP sent, each acknowledged in the answer. The message's receipts are
    /// taken as a group: their reports written with one folder sync, then their journal steps in one transaction.
    private func noteReceipt(_ message: ProtocolMessage) async throws(SedgateError) -> ProtocolMessage {
        guard !message.receipts.isEmpty else {
            throw SedgateError(.protocolViolation, "a receipt message must carry a Receipt")
        }
        var answers: [Receipt] = []
        var written: [Report] = []
        var changes: [JournalChange] = []
        var stale: [Report] = []
        let sent = try await journal.records(message.receipts.map(\.sedId), .outbound)
        for receipt in message.receipts {
            answers.append(try note(receipt, sent[receipt.sedId], reports: &written, changes: &changes, stale: &stale))
        }
        // Reports before the journal, and on every receipt, even a repeated one: the CN repeats a receipt until
        // this answer reaches it, so a kill between the two writes can never lose a report.
        await Blocking.durableQuietly { [reports, written, logger] in
            AccessPointReports.writeAll(reports, written, logger: logger)
        }
        for report in stale {
            try? FileManager.default.removeItem(atPath: reports.directory + "/" + ReportWriter.fileName(for: report))
        }
        _ = try await journal.apply(changes)
        return ProtocolMessage(
            action: .receipt, from: configuration.node, to: message.from, relatesTo: message.messageID,
            receipts: answers)
    }

    /// One relayed receipt: the reports it calls for, the journal steps it takes; returns this AP's acknowledgement.
    private func note(
        _ receipt: Receipt, _ sent: MessageRecord?, reports written: inout [Report], changes: inout [JournalChange],
        stale: inout [Report]
    ) throws(SedgateError) -> Receipt {
        guard let record = sent else {
            throw SedgateError(.notFound, "no SED \(receipt.sedId) was sent from this access point")
        }
        let name = record.file ?? record.sedId.rawValue
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
            written.append(
                AccessPointReports.report(
                    .failed, name: name, sedId: record.sedId, ticket: nil, node: configuration.node,
                    envelope: record.envelope, error: error))
            changes.append(
                .transition(
                    receipt.sedId, .outbound, to: .failed,
                    // A destination may return a SED it holds (`sedgate queue manual return`): failed after delivered.
                    onlyFrom: receipt.node == configuration.coordinationNode
                        ? [.accepted, .sent, .held] : [.accepted, .sent, .held, .delivered], file: nil,
                    detail: error.message))
            return Receipt(sedId: receipt.sedId, kind: .failed, node: configuration.node, at: Timestamp.now())
        }
        // The states a receipt implies are reported too (a relayed receipt can overtake the CN's own answer), except
        // earlier ones the journal already holds: each was reported before the journal took it. The receipt's own
        // state is reported again even when repeated, in case its first report could not be written.
        let order: [SEDState] = [.sent, .delivered, .routed]
        let journalled = order.firstIndex(of: record.state) ?? -1
        for (index, implied) in order.prefix(through: order.firstIndex(of: state)!).enumerated()
        where implied == state || index > journalled {
            written.append(
                AccessPointReports.report(
                    implied, name: name, sedId: record.sedId, ticket: nil, node: configuration.node,
                    envelope: record.envelope, error: nil))
        }
        if record.state == .failed {
            // It failed here only because an operator or the CN gave up while it was already on its way: the
            // destination has it, and a `failed` report left beside `delivered` would invite a duplicate resend.
            stale.append(
                Report(file: name, sedId: record.sedId.rawValue, state: .failed, node: configuration.node.rawValue))
        }
        // The journal takes the same steps in the same order, each from the state before it only: a receipt never
        // moves a SED back (a late `stored` after `delivered`), and one that overtook another records both.
        let steps: [(SEDState, from: Set<SEDState>)] = [
            (.sent, from: [.accepted]), (.delivered, from: [.accepted, .sent, .held, .failed]),
            (.routed, from: [.delivered]),
        ]
        for (step, from) in steps.prefix(through: steps.firstIndex { $0.0 == state }!) {
            changes.append(
                .transition(
                    receipt.sedId, .outbound, to: step, onlyFrom: from, file: nil,
                    detail: step == state
                        ? "\(receipt.kind) at \(receipt.node) at \(receipt.at)"
                        : "implied by \(receipt.kind) at \(receipt.node) at \(receipt.at)"))
        }
        return Receipt(sedId: receipt.sedId, kind: receipt.kind, node: configuration.node, at: Timestamp.now())
    }

    private func report(_ state: SEDState, _ record: MessageRecord) {
        AccessPointReports.write(
            reports, state, name: record.file ?? record.sedId.rawValue, sedId: record.sedId, ticket: nil,
            node: configuration.node, envelope: record.envelope, error: nil, logger: logger)
    }

    private func reply(to message: ProtocolMessage, fault error: any Error) -> ProtocolMessage {
        let reason = error as? SedgateError ?? SedgateError(.storage, "\(error)")
        logger.warning("refused a message", metadata: ["from": "\(message.from)", "error": "\(reason)"])
        return message.replying(with: Fault(reason, retryAfter: configuration.capacity.retryAfter))
    }
}
