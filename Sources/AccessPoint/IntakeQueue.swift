// IntakeQueue: the access point's queue manager for `outbound/`. It takes committed files, journals
// each under its SED id, and queues it for sending; anything refused goes to `rejected/` beside an
// `.error` file. Reads outbound/, writes var/intake/, var/store/, rejected/, reports/.
//
// Crash safety: the intake row is journalled before the file leaves `outbound/`, and the SED row
// replaces it in one transaction, so a restart finds every file in exactly one of: outbound/ (not
// taken), var/intake/ with an intake row (taken, to process again), or the journal (accepted).

import Conversion
import Documents
import Foundation
import Logging
import Metrics
import SedgateCore
import Spool

/// Takes committed files from outbound/, journals them under a fresh or given SED id, and queues them for sending.
struct IntakeQueue: Sendable {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let reports: ReportWriter
    let logger: Logger
    /// Rung after each accepted SED, to wake the sender.
    let sender: Doorbell

    init(configuration: AccessPointConfiguration, journal: any MessageStore, logger: Logger, sender: Doorbell) {
        self.configuration = configuration
        self.journal = journal
        self.reports = ReportWriter(directory: configuration.spool.reports)
        self.logger = logger
        self.sender = sender
    }

    var layout: SpoolLayout { configuration.spool }

    /// Takes one committed file. Never throws: every outcome is a journal entry and a file move.
    func take(_ file: CommittedFile) async {
        // A sidecar envelope waits in outbound/ for its payload, which takes it along (see processEnclosure).
        if file.relativePath.hasSuffix(Self.sidecarSuffix) { return }
        await waitForSpace()
        let ticket = RandomID.uuid()
        do {
            try await journal.beginIntake(
                IntakeRecord(ticket: ticket, name: file.relativePath, takenAt: Timestamp.now()))
        } catch {
            logger.error(
                "cannot journal the intake; the file stays in outbound/",
                metadata: ["file": "\(file.relativePath)", "error": "\(error)"])
            return
        }
        do {
            try SpoolFile.move(file.path, to: intakePath(ticket))
        } catch {
            // The producer removed or replaced it between the event and now: nothing was taken.
            logger.warning(
                "a committed file vanished before it was taken",
                metadata: ["file": "\(file.relativePath)", "error": "\(error)"])
            try? await journal.endIntake(ticket: ticket, rejected: nil)
            return
        }
        await process(ticket: ticket, name: file.relativePath)
    }

    /// Back-pressure towards the national side: while the spool's disk is under its floor, nothing is taken
    /// (files simply wait in outbound/, committed and safe) rather than failing half-way.
    func waitForSpace() async {
        var warned = false
        while !Task.isCancelled,
            let refusal = configuration.capacity.refusal(queued: 0, freeBytes: FreeSpace.bytes(at: layout.root))
        {
            if !warned { logger.warning("intake paused", metadata: ["reason": "\(refusal.message)"]) }
            warned = true
            try? await Task.sleep(for: .seconds(1))
        }
        if warned { logger.notice("intake resumed") }
    }

    /// Refuses something dropped in outbound/ that is not a committable file (a symlink, a bad name, a directory).
    func refuse(path: String, relativePath: String, reason: SedgateError) async {
        await reject(path: path, name: relativePath, ticket: RandomID.uuid(), sedId: nil, error: reason)
    }

    /// Finishes what a crash interrupted: intake rows left open, files left in var/intake/.
    func recover() async throws(SedgateError) {
        for intake in try await journal.openIntakes() {
            let path = intakePath(intake.ticket)
            if let sedId = try await journal.sedId(forTicket: intake.ticket) {
                // Accepted just before the crash: only the leftovers remain (and perhaps the report).
                try? FileManager.default.removeItem(atPath: path)
                try? FileManager.default.removeItem(atPath: path + Self.sidecarSuffix)
                try? FileManager.default.removeItem(atPath: path + Self.batchFolderSuffix)
                try await journal.endIntake(ticket: intake.ticket, rejected: nil)
                if let record = try await journal.record(sedId, .outbound) {
                    report(.accepted, name: intake.name, sedId: sedId, ticket: intake.ticket, envelope: record.envelope)
                }
                logger.info("intake already accepted before restart", metadata: ["sedId": "\(sedId)"])
            } else if FileManager.default.fileExists(atPath: path) {
                logger.info("resuming an interrupted intake", metadata: ["file": "\(intake.name)"])
                await process(ticket: intake.ticket, name: intake.name)
            } else {
                // The rename never happened: the file is still in outbound/ and the scan will take it.
                try await journal.endIntake(ticket: intake.ticket, rejected: nil)
            }
        }
        // Files in var/intake/ without an intake row were accepted (the row went with the SED row).
        let leftovers = (try? FileManager.default.contentsOfDirectory(atPath: layout.intake)) ?? []
        for sidecar in leftovers where sidecar.hasSuffix(Self.sidecarSuffix) {
            // An enclosure's sidecar outlives its payload only when the payload was accepted.
            let payload = intakePath(String(sidecar.dropLast(Self.sidecarSuffix.count)))
            if !FileManager.default.fileExists(atPath: payload) {
                try? FileManager.default.removeItem(atPath: intakePath(sidecar))
            }
        }
        for ticket in leftovers
        where !ticket.hasPrefix(".") && !ticket.hasSuffix(Self.sidecarSuffix)
            && !ticket.hasSuffix(Self.batchFolderSuffix)
        {
            if let sedId = try await journal.sedId(forTicket: ticket) {
                if let record = try await journal.record(sedId, .outbound) {
                    report(
                        .accepted, name: record.file ?? ticket, sedId: sedId, ticket: ticket, envelope: record.envelope)
                }
                try? FileManager.default.removeItem(atPath: intakePath(ticket))
            } else {
                await process(ticket: ticket, name: "recovered-\(ticket)")
            }
        }
        // A batch's folder goes with its manifest (after the loop above removed the manifests already accepted).
        removeLeftoverBatchFolders(leftovers)
    }

    func intakePath(_ ticket: String) -> String { layout.intake + "/" + ticket }

    /// Reads, validates and journals one taken file; on failure moves it to rejected/.
    private func process(ticket: String, name: String) async {
        // A file in `outbound/<profile>/` is a flat file for that profile's mapping.
        if let slash = name.firstIndex(of: "/"), let profile = configuration.profiles[String(name[..<slash])] {
            return await processFlat(ticket: ticket, name: name, profile: profile)
        }
        // A manifest or an archive at the top of outbound/ is a batch, taken whole (IntakeQueue+Batch).
        if Self.isBatch(name) { return await processBatch(ticket: ticket, name: name) }
        let path = intakePath(ticket)
        // A payload committed after its sidecar `<name>.envelope` is an enclosure: any bytes, any size.
        let sidecar = layout.outbound + "/" + name + Self.sidecarSuffix
        if FileManager.default.fileExists(atPath: sidecar) {
            try? SpoolFile.move(sidecar, to: path + Self.sidecarSuffix)
        }
        if FileManager.default.fileExists(atPath: path + Self.sidecarSuffix) {
            return await processEnclosure(ticket: ticket, name: name)
        }
        var sedId: SEDID?
        do {
            let bytes = try SpoolFile.read(path, maxBytes: configuration.maxDocumentBytes, shownAs: "outbound/\(name)")
            let document = try SEDReader.read(bytes, source: "outbound/\(name)")
            sedId = document.envelope.sedId
            let flagged = try validate(document)
            let record = try accept(
                document, name: name, ticket: ticket, seqNo: try await nextSequenceNumber(for: document.envelope))
            sedId = record.sedId
            // The journal's seen-set decides: an SED id accepted before is refused, never sent twice.
            guard try await journal.insert(record, ticket: ticket, detail: "taken from outbound/\(name)") else {
                try? FileManager.default.removeItem(atPath: layout.root + "/" + record.payloadPath)
                throw duplicate(record.sedId, name: name)
            }
            // The report before the intake file goes: a kill in between leaves the file, and recovery
            // (which finds it already accepted) writes the report again.
            report(
                .accepted, name: name, sedId: record.sedId, ticket: ticket, envelope: record.envelope, error: flagged)
            try? FileManager.default.removeItem(atPath: path)
            logger.info("accepted", metadata: ["file": "\(name)", "sedId": "\(record.sedId)"])
            sender.ring()
        } catch {
            await reject(path: path, name: name, ticket: ticket, sedId: sedId, error: error)
        }
    }

    /// The suffix of a sidecar envelope: `scan.tiff.envelope` describes `scan.tiff`.
    static let sidecarSuffix = ".envelope"

    /// Accepts an enclosure: a payload of any type and size whose envelope is its sidecar (`<name>.envelope`, an
    /// `<Envelope>` element in the SED namespace). The payload is never read: it is linked into var/store/ (no
    /// copy), journalled, and sent in fragments when it is large.
    private func processEnclosure(ticket: String, name: String) async {
        let path = intakePath(ticket)
        let sidecar = path + Self.sidecarSuffix
        let source = "outbound/\(name)\(Self.sidecarSuffix)"
        var sedId: SEDID?
        do {
            let tree = try XMLTree.parse(try SpoolFile.read(sidecar, maxBytes: 1 << 20), source: source)
            guard tree.root.localName == "Envelope" else {
                throw SedgateError(
                    .invalidEnvelope, "a sidecar holds one <Envelope> element in the SED namespace",
                    location: .init(file: source, line: 1))
            }
            var envelope = try EnvelopeXML.parse(tree.root, source: source)
            sedId = envelope.sedId
            try configuration.checkRoute(envelope.receiver, source: source)
            if let sendingAP = envelope.sendingAP, sendingAP != configuration.node {
                throw SedgateError(
                    .invalidEnvelope, "SendingAP is \(sendingAP) but this access point is \(configuration.node)",
                    location: .init(file: source, field: "Envelope/SendingAP"))
            }
            let id = envelope.sedId ?? SEDID.random()
            sedId = id
            envelope.sedId = id
            envelope.sendingAP = configuration.node
            envelope.createdAt = envelope.createdAt ?? Timestamp.now()
            envelope.contentType = envelope.contentType ?? "application/octet-stream"
            envelope.seqNo = try await nextSequenceNumber(for: envelope) ?? envelope.seqNo
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            let storeName = "out-\(ticket).bin"
            try SpoolFile.link(path, to: layout.store + "/" + storeName)
            let record = MessageRecord(
                sedId: id, direction: .outbound, state: .accepted, file: name, peer: configuration.coordinationNode,
                origin: configuration.node, envelope: envelope, payloadPath: "var/store/\(storeName)", size: size)
            guard try await journal.insert(record, ticket: ticket, detail: "taken from outbound/\(name)") else {
                try? FileManager.default.removeItem(atPath: layout.store + "/" + storeName)
                throw duplicate(id, name: name)
            }
            report(.accepted, name: name, sedId: id, ticket: ticket, envelope: envelope)
            try? FileManager.default.removeItem(atPath: path)
            try? FileManager.default.removeItem(atPath: sidecar)
            logger.info("accepted an enclosure", metadata: ["file": "\(name)", "sedId": "\(id)", "bytes": "\(size)"])
            sender.ring()
        } catch let error as SedgateError {
            try? SpoolFile.move(
                sidecar, to: layout.rejected + "/" + (name as NSString).lastPathComponent + Self.sidecarSuffix)
            await reject(path: path, name: name, ticket: ticket, sedId: sedId, error: error)
        } catch {
            try? SpoolFile.move(
                sidecar, to: layout.rejected + "/" + (name as NSString).lastPathComponent + Self.sidecarSuffix)
            await reject(
                path: path, name: name, ticket: ticket, sedId: sedId,
                error: SedgateError(.io, "cannot read the enclosure's size", cause: error))
        }
    }

    /// Applies the content rules by the outbound policy: `reject` throws the first error; `flag` returns the
    /// findings (they go into the `accepted` report's reason) and lets the SED through.
    func validate(
        _ document: SEDDocument, policy: ValidationPolicy? = nil
    ) throws(SedgateError)
        -> SedgateError?
    {
        let policy = policy ?? configuration.outboundValidation
        guard let validator = configuration.validator, policy.validates else { return nil }
        let report = validator.validate(document)
        if let refusal = policy.refusal(for: report) { throw refusal }
        let notable = report.findings.filter { $0.severity != .info }
        guard !notable.isEmpty else { return nil }
        return SedgateError(
            .schemaViolation,
            "accepted with \(report.errors.count) rule errors and \(report.warnings.count) warnings "
                + "flagged: "
                + notable.map { "\($0.path ?? "/") line \($0.line.map(String.init) ?? "?"): \($0.message)" }.joined(
                    separator: "; "))
    }

    /// Completes the envelope (SED id, creation time, sending AP, sequence number) and stores the final bytes under the
    /// ticket's name (unique, so a duplicate can never overwrite the stored copy of the SED it repeats).
    func accept(
        _ document: SEDDocument, name: String, ticket: String, index: Int? = nil, sedId given: SEDID? = nil,
        seqNo: Int?
    ) throws(SedgateError) -> MessageRecord {
        let (record, bytes) = try complete(
            document, name: name, ticket: ticket, index: index, sedId: given, seqNo: seqNo)
        try SpoolFile.writeAtomically(bytes, to: layout.root + "/" + record.payloadPath)
        return record
    }

    /// The record and final bytes `accept` stores (the envelope completed), without writing them.
    func complete(
        _ document: SEDDocument, name: String, ticket: String, index: Int? = nil, sedId given: SEDID? = nil,
        seqNo: Int?
    ) throws(SedgateError) -> (MessageRecord, [UInt8]) {
        let envelope = document.envelope
        // A document alone is refused without a route; a flat file's unit fails on its own at sending.
        if index == nil { try configuration.checkRoute(envelope.receiver, source: "outbound/\(name)") }
        if let sendingAP = envelope.sendingAP, sendingAP != configuration.node {
            throw SedgateError(
                .invalidEnvelope,
                "SendingAP is \(sendingAP) but this access point is \(configuration.node); remove SendingAP or correct it",
                location: .init(file: "outbound/\(name)", field: "Envelope/SendingAP"))
        }
        let sedId = envelope.sedId ?? given ?? SEDID.random()
        var additions: [EnvelopeField: String] = [:]
        if envelope.sedId == nil { additions[.sedId] = sedId.rawValue }
        if envelope.createdAt == nil { additions[.createdAt] = Timestamp.now() }
        if envelope.sendingAP == nil { additions[.sendingAP] = configuration.node.rawValue }
        if let seqNo { additions[.seqNo] = String(seqNo) }
        // Spliced in without parsing the SED a second time (its content was read and validated above).
        let final = try EnvelopeCompletion.splicing(document, with: additions)
        let storeName = index.map { "out-\(ticket)-\($0).xml" } ?? "out-\(ticket).xml"
        let record = MessageRecord(
            sedId: sedId, direction: .outbound, state: .accepted, file: name, peer: configuration.coordinationNode,
            origin: configuration.node, envelope: final.envelope, payloadPath: "var/store/\(storeName)",
            size: final.bytes.count)
        return (record, final.bytes)
    }

    /// The number a SED without a `SeqNo` gets: the next in its conversation (nil when the producer numbered it, or
    /// for a synchronous SED). Intake takes one file at a time and journalling the SED raises the conversation's
    /// last number, so no two SEDs get the same one; a crash before the SED is journalled gives the number again.
    func nextSequenceNumber(for envelope: Envelope) async throws(SedgateError) -> Int? {
        guard envelope.seqNo == nil, let conversation = envelope.conversation else { return nil }
        return (try await journal.lastSequence(.outbound, conversation: conversation) ?? 0) + 1
    }

    /// Converts a flat file with its profile's mapping and accepts each SED it holds, in file order.
    ///
    /// The file is read whole first (its trailer's counts and control totals are only known at its end), so
    /// a bad file is rejected whole and nothing of it is sent. Each SED without an id of its own gets one
    /// derived from the intake ticket and its position: if the node dies half-way, processing the file again
    /// yields the same ids and the journal's seen-set skips the SEDs already accepted. The intake row goes
    /// with the last SED.
    private func processFlat(ticket: String, name: String, profile: ConversionProfile) async {
        let path = intakePath(ticket)
        var converted: [String] = []
        defer { for file in converted { try? FileManager.default.removeItem(atPath: file) } }
        do {
            let reader = FlatReader(mapping: profile.mapping, profile: profile.format, source: "outbound/\(name)")
            _ = try reader.read(path: path) { (sed) throws(SedgateError) in
                let file = layout.tmp + "/conv-\(ticket)-\(converted.count).xml"
                try SpoolFile.writeAtomically(sed.bytes, to: file, durable: false)
                converted.append(file)
            }
            guard !converted.isEmpty else {
                throw SedgateError(
                    .unsupportedInput, "the file holds no SED; nothing was sent",
                    location: .init(file: "outbound/\(name)"))
            }
            for (index, file) in converted.enumerated() {
                let source = "outbound/\(name) SED \(index + 1)"
                let document = try SEDReader.read(try SpoolFile.read(file, maxBytes: Int.max), source: source)
                let flagged = try validate(document, policy: profile.validation)
                let id = document.envelope.sedId ?? Self.derivedID(ticket: ticket, index: index)
                if let existing = try await journal.record(id, .outbound) {
                    guard document.envelope.sedId == nil || existing.file == name else {
                        throw duplicate(id, name: name)
                    }
                    // Accepted from this very file before a restart: only its report may be missing.
                    report(.accepted, name: name, sedId: id, ticket: ticket, envelope: existing.envelope)
                    continue
                }
                let record = try accept(
                    document, name: name, ticket: ticket, index: index, sedId: id,
                    seqNo: try await nextSequenceNumber(for: document.envelope))
                let last = index == converted.count - 1
                _ = try await journal.insert(record, ticket: last ? ticket : nil, detail: "converted from \(source)")
                report(
                    .accepted, name: name, sedId: record.sedId, ticket: ticket, envelope: record.envelope,
                    error: flagged)
                sender.ring()
            }
            try? FileManager.default.removeItem(atPath: path)
            logger.info("accepted a flat file", metadata: ["file": "\(name)", "seds": "\(converted.count)"])
        } catch {
            await reject(path: path, name: name, ticket: ticket, sedId: nil, error: error)
        }
    }

    /// A SED id derived from an intake ticket (a random UUID) and a position: stable across restarts.
    static func derivedID(ticket: String, index: Int) -> SEDID {
        let hex = String(index, radix: 16)
        let tail = String(repeating: "0", count: max(0, 12 - hex.count)) + hex
        return SEDID(String(ticket.prefix(24)) + tail.suffix(12)) ?? SEDID.random()
    }

    func duplicate(_ sedId: SEDID, name: String) -> SedgateError {
        SedgateError(
            .duplicate,
            "SED id \(sedId) was already accepted; the same SED is never sent twice. A deliberate resend needs a new SED id",
            location: .init(file: "outbound/\(name)", field: "Envelope/SedId"))
    }

    func reject(path: String, name: String, ticket: String, sedId: SEDID?, error: any Error) async {
        let reason = error as? SedgateError ?? SedgateError(.io, "the file could not be read: \(error)")
        // Counted here, not in the journal: a file refused before its SED id was read has no journal row.
        Counter(label: "sedgate_seds_total", dimensions: [("direction", "out"), ("state", "rejected")]).increment()
        do {
            let final = try Rejection.reject(path, originalName: name, layout: layout, error: reason)
            logger.notice("rejected", metadata: ["file": "\(name)", "to": "\(final)", "reason": "\(reason)"])
        } catch {
            logger.error("cannot move a refused file to rejected/", metadata: ["file": "\(name)", "error": "\(error)"])
        }
        let event = sedId.map {
            HistoryEvent(
                sedId: $0, direction: .outbound, state: .rejected, at: Timestamp.now(), detail: reason.description)
        }
        try? await journal.endIntake(ticket: ticket, rejected: event)
        report(.rejected, name: name, sedId: sedId, ticket: ticket, envelope: nil, error: reason)
    }

    /// Writes one status file to reports/; a failure to write is logged, never fatal.
    func report(
        _ state: SEDState, name: String, sedId: SEDID?, ticket: String?, envelope: Envelope?, error: SedgateError? = nil
    ) {
        AccessPointReports.write(
            reports, state, name: name, sedId: sedId, ticket: ticket, node: configuration.node, envelope: envelope,
            error: error, logger: logger)
    }
}

/// Writes reports/ status files for the access point's parts.
enum AccessPointReports {
    /// Writes the reports of many SEDs (state, record, error) with one folder sync for all of them; a report
    /// already written is kept as it was. A failure is logged, never fatal.
    static func writeAll(
        _ writer: ReportWriter, _ items: [(SEDState, MessageRecord, SedgateError?)], node: NodeID, logger: Logger
    ) {
        writeAll(
            writer,
            items.map { state, record, error in
                report(
                    state, name: record.file ?? record.sedId.rawValue, sedId: record.sedId, ticket: nil, node: node,
                    envelope: record.envelope, error: error)
            }, logger: logger)
    }

    /// Writes `reports` with one folder sync for all of them; a report already written is kept as it was (a repeated
    /// receipt or a recovery rewriting it would move its `at` to a later, untrue time). A failure is logged.
    static func writeAll(_ writer: ReportWriter, _ reports: [Report], logger: Logger) {
        var names: Set<String> = []
        let fresh = reports.filter { names.insert(ReportWriter.fileName(for: $0)).inserted }
        do {
            try writer.writeAll(fresh, keepingExisting: true)
        } catch {
            logger.error("cannot write reports", metadata: ["count": "\(fresh.count)", "error": "\(error)"])
        }
    }

    /// The report of one SED (or of a file refused before it had one) in `state`.
    static func report(
        _ state: SEDState, name: String, sedId: SEDID?, ticket: String?, node: NodeID, envelope: Envelope?,
        error: SedgateError?
    ) -> Report {
        let fields = envelope.map { envelope in
            Dictionary(uniqueKeysWithValues: envelope.fields.map { ($0.0.rawValue, $0.1) })
        }
        return Report(
            file: name, sedId: sedId?.rawValue, ticket: ticket, state: state, at: Timestamp.now(), node: node.rawValue,
            code: error?.code.name, reason: error?.message, location: error?.location, envelope: fields)
    }

    static func write(
        _ writer: ReportWriter, _ state: SEDState, name: String, sedId: SEDID?, ticket: String?, node: NodeID,
        envelope: Envelope?, error: SedgateError?, logger: Logger
    ) {
        writeAll(
            writer,
            [report(state, name: name, sedId: sedId, ticket: ticket, node: node, envelope: envelope, error: error)],
            logger: logger)
    }
}
