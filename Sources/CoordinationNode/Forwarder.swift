// Forwarder: for one access point, forwards the SEDs stored for it (oldest first) and sends it the receipts queued
// for it, with backoff while it is down: the delivery agent with the CN's hop. One Forwarder per configured peer, so
// a peer that is down never delays another. Reads var/store/ and the journal; writes the journal.

import Foundation
import Logging
import Packaging
import SedgateCore
import Spool
import Transport

/// Forwards stored SEDs to one access point and relays receipts back to it.
struct Forwarder: Sendable {
    let agent: DeliveryAgent<ForwarderHop>

    init(
        configuration: CoordinationNodeConfiguration, peer: NodeID, url: String, journal: any MessageStore,
        client: ProtocolClient, bell: Doorbell, bells: [NodeID: Doorbell], logger: Logger, lane: Interaction = .async
    ) {
        agent = DeliveryAgent(
            hop: ForwarderHop(
                configuration: configuration, peer: peer, url: url, journal: journal, bells: bells,
                logger: logger, lane: lane),
            journal: journal, client: client, bell: bell, retryInitial: configuration.retryInitial,
            retryMaximum: configuration.retryMaximum, logger: logger)
    }

    func run() async { await agent.run() }
}

/// The CN's hop to one access point: SEDs `stored` for it, forwarded as stored (the sealed SEDs travel untouched
/// in a compound message the CN signs).
struct ForwarderHop: DeliveryHop {
    let configuration: CoordinationNodeConfiguration
    let peer: NodeID
    let url: String
    let journal: any MessageStore
    /// The doorbells of the origin access points' forwarders, rung when a receipt is queued for them.
    let bells: [NodeID: Doorbell]
    let logger: Logger
    let lane: Interaction

    var node: NodeID { configuration.node }
    var direction: Direction { .relay }
    var limits: PackingLimits { configuration.packing }
    var lifetime: Duration { configuration.lifetime }

    func waiting(limit: Int) async throws(SedgateError) -> [MessageRecord] {
        try await journal.records(.relay, in: .stored, peer: peer, interaction: lane, limit: limit)
    }

    /// Everything stored for this peer is sealed for it.
    func destination(of record: MessageRecord) throws(SedgateError) -> NodeID { peer }

    func retryNowStamp() -> Int64? { configuration.spool.retryNowStamp() }

    /// Reads the stored copies, then sends the fragments of large payloads the peer has not acknowledged yet. A
    /// fragment the peer refuses for good (a sender fault) is never sent again: its SED fails, the others go on
    /// (P-FRAG-9).
    func prepare(_ message: DeliveryPlan.Message, client: ProtocolClient) async -> DeliveryPreparation {
        var ready = DeliveryPreparation()
        // An operator may have held or expired one since the batch was read: look again, just before sending.
        let current: [SEDID: MessageRecord]
        do {
            current = try await journal.records(message.records.map(\.sedId), .relay)
        } catch {
            // Not a reason to skip them (that would read and skip them again at once): the send backs off.
            ready.retry = (message.records, "cannot read the journal before sending: \(error)")
            return ready
        }
        for record in message.records {
            guard current[record.sedId]?.state == .stored else { continue }
            do {
                ready.seds.append(try StoredSED.read(record, configuration))
                ready.records.append(record)
            } catch {
                ready.failures.append((record, SedgateError(.storage, "the CN's stored copy is unreadable: \(error)")))
            }
        }
        for (index, sed) in ready.seds.enumerated().reversed() {
            guard let manifest = sed.manifest else { continue }
            do {
                try await FragmentProgress(
                    inbox: FragmentInbox(root: configuration.spool.store), manifest: manifest, peer: peer
                ).upload(sed.sedId, from: configuration.node, client: client, url: url)
            } catch  where error.code.isPermanent {
                ready.failures.append(
                    (ready.records[index], SedgateError(error.code, "\(peer) refused a fragment: \(error.message)")))
                ready.records.remove(at: index)
                ready.seds.remove(at: index)
            } catch {
                logger.warning(
                    "fragments could not all be forwarded; will resume",
                    metadata: ["peer": "\(peer)", "sedId": "\(sed.sedId)", "error": "\(error)"])
                ready.retry = ([ready.records[index]], error.description)
                return ready
            }
        }
        return ready
    }

    /// The destination's receipts, for the whole message in one journal transaction (one sync): the receipt queued
    /// for each origin, and the SED recorded as forwarded (even if an operator acted on it during the send). If the
    /// CN dies before the commit, the SEDs are forwarded again and the destination answers again.
    func delivered(_ taken: [(record: MessageRecord, receipt: Receipt)]) async throws(SedgateError) {
        var changes: [JournalChange] = []
        for (record, receipt) in taken {
            changes.append(
                .signal(
                    SignalRecord(
                        peer: record.origin, sedId: record.sedId, kind: receipt.kind.rawValue, node: receipt.node,
                        at: receipt.at)))
            changes.append(
                .transition(
                    record.sedId, .relay, to: .forwarded, onlyFrom: [.stored, .held, .failed],
                    detail: "\(receipt.kind) at \(receipt.node)"))
        }
        _ = try await journal.apply(changes)
        for (record, _) in taken {
            bells[record.origin]?.ring()
            configuration.spool.dropPayload(record.payloadPath)
            FragmentInbox(root: configuration.spool.store).remove(record.sedId.rawValue)
        }
    }

    /// Fails a SED here and queues a `failed` receipt for the AP that sent it, so its sender learns why.
    func giveUp(_ record: MessageRecord, _ error: SedgateError) async {
        logger.error("giving up on a SED", metadata: ["sedId": "\(record.sedId)", "reason": "\(error.message)"])
        do {
            try await journal.enqueueSignal(
                SignalRecord(
                    peer: record.origin, sedId: record.sedId, kind: "failed", node: configuration.node,
                    at: Timestamp.now(), reason: error.message, code: error.code.name))
            try await journal.transition(
                record.sedId, .relay, to: .failed, onlyFrom: [.stored, .held], file: nil, detail: error.message)
            bells[record.origin]?.ring()
            configuration.spool.dropPayload(record.payloadPath)
            FragmentInbox(root: configuration.spool.store).remove(record.sedId.rawValue)
        } catch {
            logger.error("cannot journal a failure", metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
        }
    }
}
