// OutboundSender: seals accepted SEDs for their destination access points and sends them to the coordination
// node packed in compound messages, in arrival order, with backoff when the CN is down.
// Reads the journal, var/store/ and the destination APs' certificates; writes the journal and reports/.

import Foundation
import Logging
import Packaging
import Security
import SedgateCore
import ServiceLifecycle
import Spool
import Transport

/// Sends accepted SEDs to the CN in order (a `sent` report follows each CN receipt), then queued receipts.
final class OutboundSender: Service {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let client: ProtocolClient
    let codec: CompoundCodec
    let bell: Doorbell
    let reports: ReportWriter
    let logger: Logger
    /// The SEDs this sender takes: the batches (ASYNC, packed, with the receipts), or the synchronous lane (SYNC,
    /// sent at once, beside the batches: one never waits behind the other).
    let lane: Interaction

    init(
        configuration: AccessPointConfiguration, journal: any MessageStore, client: ProtocolClient,
        codec: CompoundCodec, bell: Doorbell, logger: Logger, lane: Interaction = .async
    ) {
        self.lane = lane
        self.codec = codec
        self.configuration = configuration
        self.journal = journal
        self.client = client
        self.bell = bell
        self.reports = ReportWriter(directory: configuration.spool.reports)
        self.logger = logger
    }

    func run() async throws {
        var schedule = RetrySchedule(initial: configuration.retryInitial, maximum: configuration.retryMaximum)
        var notBefore = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            // A slow tick notices `sedgate queue retry`; retries and the packer's wait ring for themselves (below).
            group.addTask { [bell] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    bell.ring()
                }
            }
            var retryStamp = configuration.spool.retryNowStamp()
            for await _ in bell.rings.cancelOnGracefulShutdown() {
                // `sedgate queue retry` touched the control file: drop the backoff.
                let stamp = configuration.spool.retryNowStamp()
                if stamp != retryStamp {
                    retryStamp = stamp
                    notBefore = .now
                    schedule.succeeded()
                }
                guard ContinuousClock.now >= notBefore else { continue }
                if let retryAt = await drain(&schedule) {
                    notBefore = retryAt
                    // A packer's wait or a backoff ends without any new SED: ring then, not at the next slow tick.
                    group.addTask { [bell] in
                        try? await Task.sleep(until: retryAt)
                        bell.ring()
                    }
                }
            }
            group.cancelAll()
        }
        await client.shutdown()
    }

    /// Sends everything accepted, oldest first. Returns when to try again after a failure, or nil when done.
    private func drain(_ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        // After a failure, probe before picking up any SED: while the CN is down no SED is "in flight", so an
        // operator's hold always wins, and the batch is read fresh once the CN answers.
        if schedule.consecutiveFailures > 0 {
            do {
                try await client.checkHealth(of: configuration.coordinationNodeURL, timeout: .seconds(3))
            } catch {
                return schedule.failed(now: .now)
            }
        }
        while !Task.isCancelled {
            let batch: [MessageRecord]
            let signals: [SignalRecord]
            do {
                batch = try await journal.records(
                    .outbound, in: .accepted, peer: configuration.coordinationNode, interaction: lane,
                    limit: configuration.packing.maxSEDs * 4)
                // Receipts go with the batches; the SYNC lane carries nothing but its SEDs.
                signals =
                    lane == .sync
                    ? [] : try await journal.pendingSignals(peer: configuration.coordinationNode, limit: 64)
            } catch {
                logger.error("cannot read the journal", metadata: ["error": "\(error)"])
                return schedule.failed(now: .now)
            }
            if batch.isEmpty && signals.isEmpty { return nil }
            // A partial message waits for companions (the packer's wait, to the millisecond), unless a full one is
            // ready or receipts are due anyway. A SYNC SED never waits.
            if lane == .async, let oldest = batch.first, signals.isEmpty,
                let accepted = Timestamp.parse(oldest.createdAt)
            {
                let now = Date()
                let departure = configuration.packing.departure(
                    count: batch.count, bytes: batch.reduce(0) { $0 + $1.size }, oldest: accepted, now: now)
                if case .at(let due) = departure {
                    return .now + .milliseconds(Int64((due.timeIntervalSince(now) * 1_000).rounded(.up)))
                }
            }
            for group in await messages(batch) {
                if let retryAt = await send(group, &schedule) { return retryAt }
            }
            // Receipts for the CN (`routed`: the national side took a SED this AP received).
            let receipts = ReceiptSender(
                node: configuration.node, peer: configuration.coordinationNode, url: configuration.coordinationNodeURL,
                client: client, journal: journal, logger: logger)
            if let retryAt = await receipts.send(signals, &schedule) { return retryAt }
        }
        return nil
    }

    /// The batch cut into compound messages: by destination access point (each SED is sealed for it), in
    /// commit order, each within the packer's count and size limits. SEDs that outlived their lifetime or
    /// have no route fail here, with a report that says why.
    private func messages(_ batch: [MessageRecord]) async -> [(destination: NodeID, records: [MessageRecord])] {
        var groups: [(destination: NodeID, records: [MessageRecord])] = []
        var open: [NodeID: Int] = [:]
        for record in batch {
            if Timestamp.isOlder(record.createdAt, than: configuration.lifetime) {
                let hours = configuration.lifetime.components.seconds / 3_600
                await fail(
                    record,
                    SedgateError(
                        .expired,
                        "the CN did not take the SED within its lifetime of \(hours) h ([retry] lifetime-hours)"
                    ))
                continue
            }
            guard let destination = configuration.routes.destination(for: record.envelope.receiver) else {
                await fail(
                    record,
                    SedgateError(
                        .unknownRoute,
                        "no access point serves \(record.envelope.receiver); add it to [routes] in this AP's configuration"
                    ))
                continue
            }
            if let index = open[destination], groups[index].records.count < configuration.packing.maxSEDs,
                groups[index].records.reduce(0, { $0 + $1.size }) + record.size <= configuration.packing.maxBytes
            {
                groups[index].records.append(record)
            } else {
                open[destination] = groups.count
                groups.append((destination, [record]))
            }
        }
        return groups
    }

    /// Seals one group's SEDs for their destination and sends them to the CN as one compound message. Returns
    /// a retry time when the CN could not take all of them now.
    private func send(
        _ group: (destination: NodeID, records: [MessageRecord]), _ schedule: inout RetrySchedule
    ) async -> ContinuousClock.Instant? {
        let recipient: PeerCertificate
        do {
            recipient = try PeerCertificate(file: configuration.certificateFile(for: group.destination))
        } catch {
            // A missing certificate is the operator's to fix: the SEDs wait (accepted), they are not failed.
            logger.error(
                "cannot seal SEDs for \(group.destination): \(error.message)",
                metadata: ["certificates": "\(configuration.certificates)"])
            return schedule.failed(now: .now)
        }
        var sealed: [SealedSED] = []
        var records: [MessageRecord] = []
        for record in group.records {
            var envelope = record.envelope
            envelope.sendingAP = configuration.node
            envelope.receivingAP = group.destination
            if record.size > configuration.packing.fragmentAbove {
                // A large payload goes ahead as fragments; only its manifest travels in the compound message.
                do {
                    sealed.append(try await sealLarge(record, envelope: envelope, recipient: recipient))
                    records.append(record)
                } catch  where !error.code.isPermanent {
                    logger.warning(
                        "fragments could not all be sent; will resume",
                        metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
                    try? await journal.noteAttempt(record.sedId, .outbound, error: error.description)
                    return schedule.failed(now: .now)
                } catch {
                    await fail(record, SedgateError(error.code, "the large SED could not be sent: \(error.message)"))
                }
                continue
            }
            let bytes: [UInt8]
            do {
                bytes = try SpoolFile.read(configuration.spool.root + "/" + record.payloadPath, maxBytes: Int.max)
            } catch {
                await fail(record, SedgateError(.io, "the stored copy of the SED is unreadable: \(error)"))
                continue
            }
            do {
                sealed.append(try codec.seal(bytes, envelope: envelope, for: recipient))
                records.append(record)
            } catch {
                await fail(record, SedgateError(error.code, "the SED could not be sealed: \(error.message)"))
            }
        }
        guard !sealed.isEmpty else { return nil }
        let compound = CompoundMessage(from: configuration.node, to: configuration.coordinationNode, seds: sealed)
        let message = ProtocolMessage(
            messageID: compound.messageID, action: .deliver, from: configuration.node,
            to: configuration.coordinationNode, compound: compound)
        let reply: ProtocolMessage
        do {
            // The CN checks a large payload's fragments against its manifest before it answers.
            let large = sealed.contains { $0.manifest != nil }
            reply = try await client.send(
                message, to: configuration.coordinationNodeURL, timeout: large ? .seconds(900) : .seconds(30))
        } catch {
            logger.warning(
                "the CN is unreachable; will retry", metadata: ["seds": "\(records.count)", "error": "\(error)"])
            for record in records { try? await journal.noteAttempt(record.sedId, .outbound, error: error.description) }
            return schedule.failed(now: .now)
        }
        let taken: [(index: Int, receipt: Receipt)]
        let unanswered: [Int]
        switch DeliveryVerdict(reply, sent: records.map(\.sedId)) {
        case .refused(let fault):
            for record in records {
                await fail(record, SedgateError(fault.code, "the CN refused the SED: \(fault.reason)"))
            }
            return nil
        case .later(let fault):
            logger.warning(
                "the CN could not take the SEDs now; will retry",
                metadata: ["seds": "\(records.count)", "fault": "\(fault.reason)"])
            for record in records { try? await journal.noteAttempt(record.sedId, .outbound, error: fault.reason) }
            return schedule.failed(now: .now, retryAfter: fault.retryAfter)
        case .answered(let answered, let missing):
            (taken, unanswered) = (answered, missing)
        }
        for index in unanswered {
            try? await journal.noteAttempt(records[index].sedId, .outbound, error: "the CN did not acknowledge it")
        }
        var stored: [(record: MessageRecord, receipt: Receipt)] = []
        for (index, receipt) in taken {
            let record = records[index]
            if receipt.kind == .failed {
                await fail(
                    record, SedgateError(receipt.code ?? .refused, "the CN refused the SED: \(receipt.reason ?? "")"))
                continue
            }
            stored.append((record, receipt))
        }
        // The reports first, all synced with one folder sync: the CN holds the SEDs, so `sent` is already true.
        // Written after the journal, a kill in between would lose them for good (the records would no longer be
        // `accepted`). Then the journal, the whole message in one transaction.
        AccessPointReports.writeAll(
            reports, stored.map { (.sent, $0.record, nil) }, node: configuration.node, logger: logger)
        do {
            _ = try await journal.apply(
                stored.map {
                    .transition(
                        $0.record.sedId, .outbound, to: .sent, onlyFrom: [.accepted],
                        detail: "stored at \($0.receipt.node) at \($0.receipt.at)")
                })
        } catch {
            logger.error(
                "cannot journal the CN receipts; will resend (the CN drops the duplicates)",
                metadata: ["error": "\(error)"])
            return schedule.failed(now: .now)
        }
        // The CN holds them now and nothing here sends them again: the local copies can go.
        for (record, _) in stored {
            configuration.spool.dropPayload(record.payloadPath)
            FragmentInbox(root: configuration.spool.store).remove(record.sedId.rawValue)
        }
        if !unanswered.isEmpty { return schedule.failed(now: .now) }
        schedule.succeeded()
        return nil
    }

    /// A large payload: described once in var/store/frag-<SedId>/ (its key, then the manifest of its encrypted
    /// fragments), the fragments the CN has not acknowledged made again from the payload and sent one at a time (the
    /// count acknowledged is kept beside them, so a restart resumes), then the SED sealed with the signed manifest.
    /// No fragment is kept on disk: the payload takes its own size once. Memory: one fragment. Throws
    /// `.peerUnavailable` (or the CN's fault) when the CN cannot take them now.
    private func sealLarge(
        _ record: MessageRecord, envelope: Envelope, recipient: PeerCertificate
    ) async throws(SedgateError) -> SealedSED {
        let id = record.sedId.rawValue
        let inbox = FragmentInbox(root: configuration.spool.store)
        let folder = inbox.directory(for: id)
        let manifestPath = folder + "/manifest.xml"
        let keyPath = folder + "/key"
        let payload = configuration.spool.root + "/" + record.payloadPath
        let manifest: FragmentManifest
        let key: Data
        if let saved = FileManager.default.contents(atPath: manifestPath),
            let savedKey = FileManager.default.contents(atPath: keyPath)
        {
            manifest = try FragmentManifest(xml: saved, source: manifestPath)
            key = savedKey
        } else {
            inbox.remove(id)
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw SedgateError(.io, "cannot create \(folder)", cause: error)
            }
            let symmetric = FragmentCipher.makeKey()
            key = FragmentCipher.bytes(of: symmetric)
            let name = record.file.map { String($0.split(separator: "/").last ?? "") }
            manifest = try Fragmenter.split(
                file: payload, fragmentSize: configuration.packing.fragmentSize, payloadID: id,
                contentType: envelope.contentType ?? "application/octet-stream", fileName: name, into: nil
            ) { index, plain in
                try FragmentCipher.seal(index: index, plaintext: plain, key: symmetric, payloadID: id)
            }
            try SpoolFile.writeAtomically(Array(key), to: keyPath, tmpDirectory: configuration.spool.tmp)
            try SpoolFile.writeAtomically(
                Array(manifest.xml.utf8), to: manifestPath, tmpDirectory: configuration.spool.tmp)
        }
        let made = manifest
        let progress = FragmentProgress(inbox: inbox, manifest: manifest, peer: configuration.coordinationNode) {
            index throws(SedgateError) in
            let symmetric = FragmentCipher.key(key)
            return try Fragmenter.fragment(index, of: made, file: payload) { index, plain in
                try FragmentCipher.seal(index: index, plaintext: plain, key: symmetric, payloadID: id)
            }
        }
        try await progress.upload(
            record.sedId, from: configuration.node, client: client, url: configuration.coordinationNodeURL)
        return try SealedSED.seal(
            fragments: manifest, key: key, envelope: envelope, signer: codec.key, recipient: recipient)
    }

    private func fail(_ record: MessageRecord, _ error: SedgateError) async {
        logger.error("giving up on a SED", metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
        if (try? await journal.transition(
            record.sedId, .outbound, to: .failed, onlyFrom: [.accepted], file: nil, detail: error.description)) == true
        {
            report(.failed, record, error: error)
        }
    }

    private func report(_ state: SEDState, _ record: MessageRecord, error: SedgateError? = nil) {
        AccessPointReports.write(
            reports, state, name: record.file ?? record.sedId.rawValue, sedId: record.sedId, ticket: nil,
            node: configuration.node, envelope: record.envelope, error: error, logger: logger)
    }
}
