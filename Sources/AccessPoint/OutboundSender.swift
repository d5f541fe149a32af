// OutboundSender: seals accepted SEDs for their destination access points and sends them to the coordination
// node packed in compound messages, in arrival order, with backoff when the CN is down.
// Reads the journal, var/store/ and the destination APs' certificates; writes the journal and reports/.

import Foundation
import Logging
import Packaging
import SedgateCore
import ServiceLifecycle
import Spool
import Transport
import WSSecurity

/// Sends accepted SEDs to the CN in order (a `sent` report follows each CN receipt), then queued receipts: the
/// delivery agent with this access point's hop.
final class OutboundSender: Service {
    let agent: DeliveryAgent<SenderHop>
    let client: ProtocolClient

    init(
        configuration: AccessPointConfiguration, journal: any MessageStore, client: ProtocolClient,
        codec: CompoundCodec, bell: Doorbell, logger: Logger, lane: Interaction = .async
    ) {
        self.client = client
        self.agent = DeliveryAgent(
            hop: SenderHop(
                configuration: configuration, journal: journal, codec: codec,
                reports: ReportWriter(directory: configuration.spool.reports), logger: logger, lane: lane),
            journal: journal, client: client, bell: bell, retryInitial: configuration.retryInitial,
            retryMaximum: configuration.retryMaximum, logger: logger)
    }

    func run() async throws {
        await agent.run()
        await client.shutdown()
    }
}

/// The access point's hop: SEDs `accepted` in the journal, sealed for their destination access point, to the CN.
struct SenderHop: DeliveryHop {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let codec: CompoundCodec
    let reports: ReportWriter
    let logger: Logger
    let lane: Interaction

    var node: NodeID { configuration.node }
    var peer: NodeID { configuration.coordinationNode }
    var url: String { configuration.coordinationNodeURL }
    var direction: Direction { .outbound }
    var limits: PackingLimits { configuration.packing }
    var lifetime: Duration { configuration.lifetime }

    func waiting(limit: Int) async throws(SedgateError) -> [MessageRecord] {
        try await journal.records(
            .outbound, in: .accepted, peer: configuration.coordinationNode, interaction: lane, limit: limit)
    }

    /// The packer's wait, to the millisecond: a partial message waits for companions.
    func departure(of batch: [MessageRecord], now: Date) -> PackingLimits.Departure {
        guard let oldest = batch.first, let accepted = Timestamp.parse(oldest.createdAt) else { return .now }
        return configuration.packing.departure(
            count: batch.count, bytes: batch.reduce(0) { $0 + $1.size }, oldest: accepted, now: now)
    }

    func destination(of record: MessageRecord) throws(SedgateError) -> NodeID {
        guard let destination = configuration.routes.destination(for: record.envelope.receiver) else {
            throw SedgateError(
                .unknownRoute,
                "no access point serves \(record.envelope.receiver); add it to the directory or to [routes] in this "
                    + "AP's configuration")
        }
        return destination
    }

    func retryNowStamp() -> Int64? { configuration.spool.retryNowStamp() }

    /// Seals the message's SEDs for their destination; a large payload's fragments go to the CN first.
    func prepare(_ message: DeliveryPlan.Message, client: ProtocolClient) async -> DeliveryPreparation {
        var ready = DeliveryPreparation()
        let recipient: PeerCertificate
        do {
            recipient = try PeerCertificate(file: configuration.certificateFile(for: message.destination))
        } catch {
            // A missing certificate is the operator's to fix: the SEDs wait (accepted), they are not failed.
            logger.error(
                "cannot seal SEDs for \(message.destination): \(error.message)",
                metadata: ["certificates": "\(configuration.certificates)"])
            ready.retry = ([], error.message)
            return ready
        }
        // The SEDs in message order: a large payload's seal made here (its fragments sent first), the small ones
        // read here and sealed side by side on the sealing pool, off the cooperative threads.
        var slots: [(record: MessageRecord, sealed: SealedSED?)] = []
        var small: [(slot: Int, payload: [UInt8], envelope: Envelope)] = []
        for record in message.records {
            var envelope = record.envelope
            envelope.sendingAP = configuration.node
            envelope.receivingAP = message.destination
            if record.size > configuration.packing.fragmentAbove {
                // A large payload goes ahead as fragments; only its manifest travels in the compound message.
                do {
                    slots.append(
                        (record, try await sealLarge(record, envelope: envelope, recipient: recipient, client: client)))
                } catch  where !error.code.isPermanent {
                    logger.warning(
                        "fragments could not all be sent; will resume",
                        metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
                    ready.retry = ([record], error.description)
                    return ready
                } catch {
                    ready.failures.append(
                        (record, SedgateError(error.code, "the large SED could not be sent: \(error.message)")))
                }
                continue
            }
            do {
                let bytes = try SpoolFile.read(configuration.spool.root + "/" + record.payloadPath, maxBytes: Int.max)
                small.append((slots.count, bytes, envelope))
                slots.append((record, nil))
            } catch {
                ready.failures.append((record, SedgateError(.io, "the stored copy of the SED is unreadable: \(error)")))
            }
        }
        let sealed = await SealingPool.shared.results(small) { [codec] (item) throws(SedgateError) in
            try codec.seal(item.payload, envelope: item.envelope, for: recipient)
        }
        for (item, outcome) in zip(small, sealed) {
            switch outcome {
            case .success(let sed): slots[item.slot].sealed = sed
            case .failure(let error):
                ready.failures.append(
                    (slots[item.slot].record, SedgateError(error.code, "the SED could not be sealed: \(error.message)"))
                )
            }
        }
        for slot in slots {
            guard let sed = slot.sealed else { continue }
            ready.seds.append(sed)
            ready.records.append(slot.record)
        }
        return ready
    }

    /// The CN holds them: `sent` reports first, all synced with one folder sync (written after the journal, a kill
    /// in between would lose them for good, the records no longer `accepted`), then the journal in one transaction,
    /// then the local copies go.
    func delivered(_ taken: [(record: MessageRecord, receipt: Receipt)]) async throws(SedgateError) {
        let sent: [(SEDState, MessageRecord, SedgateError?)] = taken.map { (.sent, $0.record, nil) }
        await Blocking.durableQuietly { [reports, node = configuration.node, logger] in
            AccessPointReports.writeAll(reports, sent, node: node, logger: logger)
        }
        _ = try await journal.apply(
            taken.map {
                .transition(
                    $0.record.sedId, .outbound, to: .sent, onlyFrom: [.accepted],
                    detail: "stored at \($0.receipt.node) at \($0.receipt.at)")
            })
        for (record, _) in taken {
            configuration.spool.dropPayload(record.payloadPath)
            FragmentInbox(root: configuration.spool.store).remove(record.sedId.rawValue)
        }
    }

    /// A large payload: described once in var/store/frag-<SedId>/ (its key, then the manifest of its encrypted
    /// fragments), the fragments the CN has not acknowledged made again from the payload and sent one at a time (the
    /// count acknowledged is kept beside them, so a restart resumes), then the SED sealed with the signed manifest.
    /// No fragment is kept on disk: the payload takes its own size once. Memory: one fragment. Throws
    /// `.peerUnavailable` (or the CN's fault) when the CN cannot take them now.
    private func sealLarge(
        _ record: MessageRecord, envelope: Envelope, recipient: PeerCertificate, client: ProtocolClient
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
            key = FragmentCipher.bytes(of: FragmentCipher.makeKey())
            let name = record.file.map { String($0.split(separator: "/").last ?? "") }
            let (fragmentSize, contentType) = (
                configuration.packing.fragmentSize, envelope.contentType ?? "application/octet-stream"
            )
            // A pass over the whole payload (read, encrypt, two digests): on the blocking pool, not on one of the
            // node's cooperative threads.
            manifest = try await Blocking.run { [key] () throws(SedgateError) in
                let symmetric = FragmentCipher.key(key)
                return try Fragmenter.split(
                    file: payload, fragmentSize: fragmentSize, payloadID: id, contentType: contentType,
                    fileName: name, into: nil
                ) { index, plain in
                    try FragmentCipher.seal(index: index, plaintext: plain, key: symmetric, payloadID: id)
                }
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
            fragments: manifest, key: key, envelope: envelope, signer: codec.key, recipient: recipient,
            contentKeys: codec.contentKeys)
    }

    func giveUp(_ record: MessageRecord, _ error: SedgateError) async {
        logger.error("giving up on a SED", metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
        if (try? await journal.transition(
            record.sedId, .outbound, to: .failed, onlyFrom: [.accepted], file: nil, detail: error.description)) == true
        {
            AccessPointReports.write(
                reports, .failed, name: record.file ?? record.sedId.rawValue, sedId: record.sedId, ticket: nil,
                node: configuration.node, envelope: record.envelope, error: error, logger: logger)
        }
    }
}
