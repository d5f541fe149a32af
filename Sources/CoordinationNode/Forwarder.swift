// Forwarder: for one access point, forwards the SEDs stored for it (oldest first) and sends it the
// receipts queued for it, with backoff while it is down. One Forwarder per configured peer, so a
// peer that is down never delays another. Reads var/store/ and the journal; writes the journal.

import Foundation
import Logging
import Packaging
import SedgateCore
import ServiceLifecycle
import Spool
import Transport

/// Forwards stored SEDs to one access point and relays receipts back to it.
struct Forwarder: Sendable {
    let configuration: CoordinationNodeConfiguration
    let peer: NodeID
    let url: String
    let journal: any MessageStore
    let client: ProtocolClient
    let bell: Doorbell
    let bells: [NodeID: Doorbell]
    let logger: Logger
    /// The SEDs this forwarder takes: the batches (ASYNC, with the receipts), or the synchronous lane (SYNC),
    /// forwarded at once beside the batches to the same access point.
    var lane: Interaction = .async

    func run() async {
        var schedule = RetrySchedule(initial: configuration.retryInitial, maximum: configuration.retryMaximum)
        var notBefore = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            // A slow tick notices `sedgate queue retry`; a backoff rings for itself when it ends (below).
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
                    group.addTask { [bell] in
                        try? await Task.sleep(until: retryAt)
                        bell.ring()
                    }
                }
            }
            group.cancelAll()
        }
    }

    /// Forwards and relays until both queues are empty; returns a retry time after a failure.
    private func drain(_ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        // After a failure, probe before picking up any SED: while the peer is down no SED is ever "in flight",
        // so an operator's hold or expiry always wins, and the batch is read fresh once the peer answers.
        if schedule.consecutiveFailures > 0 {
            do {
                try await client.checkHealth(of: url, timeout: .seconds(3))
            } catch {
                return schedule.failed(now: .now)
            }
        }
        while !Task.isCancelled {
            let deliveries: [MessageRecord]
            let signals: [SignalRecord]
            do {
                deliveries = try await journal.records(
                    .relay, in: .stored, peer: peer, interaction: lane, limit: configuration.packing.maxSEDs * 4)
                signals = lane == .sync ? [] : try await journal.pendingSignals(peer: peer, limit: 64)
            } catch {
                logger.error("cannot read the journal", metadata: ["error": "\(error)"])
                return schedule.failed(now: .now)
            }
            if deliveries.isEmpty && signals.isEmpty { return nil }
            var groups: [[MessageRecord]] = [[]]
            for record in deliveries {
                let bytes = groups[groups.count - 1].reduce(0) { $0 + $1.size }
                if groups[groups.count - 1].count >= configuration.packing.maxSEDs
                    || (!groups[groups.count - 1].isEmpty && bytes + record.size > configuration.packing.maxBytes)
                {
                    groups.append([])
                }
                groups[groups.count - 1].append(record)
            }
            for group in groups where !group.isEmpty {
                if let retryAt = await forward(group, &schedule) { return retryAt }
            }
            let receipts = ReceiptSender(
                node: configuration.node, peer: peer, url: url, client: client, journal: journal, logger: logger)
            if let retryAt = await receipts.send(signals, &schedule) { return retryAt }
        }
        return nil
    }

    /// Forwards a group of stored SEDs as one compound message signed by the CN; the sealed SEDs inside travel
    /// untouched. Returns a retry time when the peer could not take all of them now.
    private func forward(_ group: [MessageRecord], _ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        var records: [MessageRecord] = []
        var seds: [SealedSED] = []
        for record in group {
            // An operator may have held or expired it since the batch was read: look again, just before sending.
            guard (try? await journal.record(record.sedId, .relay))?.state == .stored else { continue }
            if Timestamp.isOlder(record.createdAt, than: configuration.lifetime) {
                let hours = configuration.lifetime.components.seconds / 3_600
                await giveUp(
                    record, reason: "expired: \(peer) did not take it within \(hours) h ([retry] lifetime-hours)",
                    code: .expired)
                continue
            }
            do {
                seds.append(try StoredSED.read(record, configuration))
                records.append(record)
            } catch {
                await giveUp(record, reason: "the CN's stored copy is unreadable: \(error)", code: .storage)
            }
        }
        guard !records.isEmpty else { return nil }
        // Large payloads: their fragments go first, those the peer has not acknowledged yet. A fragment the peer
        // refuses for good (a sender fault) is never sent again: its SED fails, the others go on (P-FRAG-9).
        for (index, sed) in seds.enumerated().reversed() {
            guard let manifest = sed.manifest else { continue }
            do {
                try await FragmentProgress(
                    inbox: FragmentInbox(root: configuration.spool.store), manifest: manifest, peer: peer
                ).upload(sed.sedId, from: configuration.node, client: client, url: url)
            } catch  where error.code.isPermanent {
                await giveUp(records[index], reason: "\(peer) refused a fragment: \(error.message)", code: error.code)
                records.remove(at: index)
                seds.remove(at: index)
            } catch {
                logger.warning(
                    "fragments could not all be forwarded; will resume",
                    metadata: ["peer": "\(peer)", "sedId": "\(sed.sedId)", "error": "\(error)"])
                try? await journal.noteAttempt(sed.sedId, .relay, error: error.description)
                return schedule.failed(now: .now)
            }
        }
        guard !records.isEmpty else { return nil }
        let compound = CompoundMessage(from: configuration.node, to: peer, seds: seds)
        let message = ProtocolMessage(
            messageID: compound.messageID, action: .deliver, from: configuration.node, to: peer, compound: compound)
        guard let reply = await exchange(message, records.count, &schedule) else {
            for record in records { try? await journal.noteAttempt(record.sedId, .relay, error: "\(peer) unreachable") }
            return schedule.failed(now: .now)
        }
        let taken: [(index: Int, receipt: Receipt)]
        let unanswered: [Int]
        switch DeliveryVerdict(reply, sent: records.map(\.sedId)) {
        case .refused(let fault):
            logger.error("the destination refused a message", metadata: ["fault": "\(fault.reason)"])
            for record in records {
                await giveUp(record, reason: "\(peer) refused it: \(fault.reason)", code: fault.code)
            }
            return nil
        case .later(let fault):
            for record in records { try? await journal.noteAttempt(record.sedId, .relay, error: fault.reason) }
            return schedule.failed(now: .now, retryAfter: fault.retryAfter)
        case .answered(let answered, let missing):
            (taken, unanswered) = (answered, missing)
        }
        for index in unanswered {
            try? await journal.noteAttempt(records[index].sedId, .relay, error: "\(peer) did not acknowledge it")
        }
        // The destination's receipts, for the whole message in one journal transaction (one sync): the receipt
        // queued for each origin, and the SED recorded as forwarded (even if an operator acted on it during the
        // send). If the CN dies before the commit, the SEDs are forwarded again and the destination answers again.
        var changes: [JournalChange] = []
        var done: [MessageRecord] = []
        for (index, receipt) in taken {
            let record = records[index]
            if receipt.kind == .failed {
                await giveUp(
                    record, reason: "\(peer) refused it: \(receipt.reason ?? "no reason given")",
                    code: receipt.code ?? .refused)
                continue
            }
            changes.append(
                .signal(
                    SignalRecord(
                        peer: record.origin, sedId: record.sedId, kind: receipt.kind.rawValue, node: receipt.node,
                        at: receipt.at)))
            changes.append(
                .transition(
                    record.sedId, .relay, to: .forwarded, onlyFrom: [.stored, .held, .failed],
                    detail: "\(receipt.kind) at \(receipt.node)"))
            done.append(record)
        }
        do {
            _ = try await journal.apply(changes)
        } catch {
            logger.error("cannot journal the destination's receipts", metadata: ["error": "\(error)"])
            return schedule.failed(now: .now)
        }
        for record in done {
            bells[record.origin]?.ring()
            configuration.spool.dropPayload(record.payloadPath)
            FragmentInbox(root: configuration.spool.store).remove(record.sedId.rawValue)
        }
        if !unanswered.isEmpty { return schedule.failed(now: .now) }
        schedule.succeeded()
        return nil
    }

    /// Fails a SED here and queues a `failed` receipt for the AP that sent it, so its sender learns why.
    private func giveUp(_ record: MessageRecord, reason: String, code: SedgateError.Code) async {
        logger.error("giving up on a SED", metadata: ["sedId": "\(record.sedId)", "reason": "\(reason)"])
        do {
            try await journal.enqueueSignal(
                SignalRecord(
                    peer: record.origin, sedId: record.sedId, kind: "failed", node: configuration.node,
                    at: Timestamp.now(), reason: reason, code: code.name))
            try await journal.transition(
                record.sedId, .relay, to: .failed, onlyFrom: [.stored, .held], file: nil, detail: reason)
            bells[record.origin]?.ring()
            configuration.spool.dropPayload(record.payloadPath)
            FragmentInbox(root: configuration.spool.store).remove(record.sedId.rawValue)
        } catch {
            logger.error("cannot journal a failure", metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
        }
    }

    private func exchange(
        _ message: ProtocolMessage, _ count: Int, _ schedule: inout RetrySchedule
    ) async -> ProtocolMessage? {
        do {
            // A message with large payloads waits while the peer joins and checks them (gigabytes, seconds).
            let large = message.compound?.seds.contains { $0.manifest != nil } ?? false
            return try await client.send(message, to: url, timeout: large ? .seconds(900) : .seconds(30))
        } catch {
            logger.warning(
                "peer unreachable; will retry", metadata: ["peer": "\(peer)", "seds": "\(count)", "error": "\(error)"])
            return nil
        }
    }
}
