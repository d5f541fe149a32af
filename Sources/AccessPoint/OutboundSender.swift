// OutboundSender: sends accepted SEDs to the coordination node, in arrival order, one at a time,
// with backoff when the CN is down. Reads the journal and var/store/; writes the journal and reports/.

import Foundation
import Logging
import SedgateCore
import ServiceLifecycle
import Spool
import Transport

/// Sends accepted SEDs to the CN in order (a `sent` report follows each CN receipt), then queued receipts.
final class OutboundSender: Service {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let client: ProtocolClient
    let bell: Doorbell
    let reports: ReportWriter
    let logger: Logger

    init(
        configuration: AccessPointConfiguration, journal: any MessageStore, client: ProtocolClient, bell: Doorbell,
        logger: Logger
    ) {
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
            // A slow tick retries after backoff even when nothing new arrives.
            group.addTask { [bell] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(200))
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
                if let retryAt = await drain(&schedule) { notBefore = retryAt }
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
                    .outbound, in: .accepted, peer: configuration.coordinationNode, limit: 64)
                signals = try await journal.pendingSignals(peer: configuration.coordinationNode, limit: 64)
            } catch {
                logger.error("cannot read the journal", metadata: ["error": "\(error)"])
                return schedule.failed(now: .now)
            }
            if batch.isEmpty && signals.isEmpty { return nil }
            for record in batch {
                if let retryAt = await send(record, &schedule) { return retryAt }
            }
            // Receipts for the CN (`routed`: the national side took a SED this AP received).
            let receipts = ReceiptSender(
                node: configuration.node, peer: configuration.coordinationNode, url: configuration.coordinationNodeURL,
                client: client, journal: journal, logger: logger)
            for signal in signals {
                if let retryAt = await receipts.send(signal, &schedule) { return retryAt }
            }
        }
        return nil
    }

    /// Sends one SED. Returns a retry time when the CN could not take it now.
    private func send(_ record: MessageRecord, _ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        if Timestamp.isOlder(record.createdAt, than: configuration.lifetime) {
            let hours = configuration.lifetime.components.seconds / 3_600
            await fail(
                record,
                SedgateError(
                    .expired, "the CN did not take the SED within its lifetime of \(hours) h ([retry] lifetime-hours)"))
            return nil
        }
        let bytes: [UInt8]
        do {
            bytes = try SpoolFile.read(configuration.spool.root + "/" + record.payloadPath, maxBytes: Int.max)
        } catch {
            await fail(record, SedgateError(.io, "the stored copy of the SED is unreadable: \(error)"))
            return nil
        }
        let message = ProtocolMessage(
            messageID: "urn:uuid:\(UUID().uuidString.lowercased())", action: .deliver, from: configuration.node,
            to: configuration.coordinationNode, relatesTo: nil, envelope: record.envelope, payload: bytes, receipt: nil,
            fault: nil)
        let reply: ProtocolMessage
        do {
            reply = try await client.send(message, to: configuration.coordinationNodeURL)
        } catch {
            logger.warning(
                "the CN is unreachable; will retry", metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
            try? await journal.noteAttempt(record.sedId, .outbound, error: error.description)
            return schedule.failed(now: .now)
        }
        if let receipt = reply.receipt, receipt.sedId == record.sedId {
            schedule.succeeded()
            // The report first: the CN holds the SED, so `sent` is already true. Written after the journal,
            // a kill in between would lose it for good (the record would no longer be `accepted`).
            report(.sent, record)
            do {
                try await journal.transition(
                    record.sedId, .outbound, to: .sent, onlyFrom: [.accepted], file: nil,
                    detail: "stored at \(receipt.node) at \(receipt.at)")
                // The CN holds it now and nothing here sends it again: the local copy can go.
                configuration.spool.dropPayload(record.payloadPath)
            } catch {
                logger.error(
                    "cannot journal the CN receipt; will resend (the CN drops the duplicate)",
                    metadata: ["error": "\(error)"])
                return schedule.failed(now: .now)
            }
            return nil
        }
        let fault =
            reply.fault
            ?? Fault(
                code: .protocolViolation, reason: "the CN answered neither a receipt nor a fault",
                retryAfterSeconds: nil, isSenderFault: false)
        if fault.isSenderFault && fault.code != .backPressure {
            await fail(record, SedgateError(fault.code, "the CN refused the SED: \(fault.reason)"))
            return nil
        }
        logger.warning(
            "the CN could not take the SED now; will retry",
            metadata: ["sedId": "\(record.sedId)", "fault": "\(fault.reason)"])
        try? await journal.noteAttempt(record.sedId, .outbound, error: fault.reason)
        return schedule.failed(now: .now, retryAfter: fault.retryAfterSeconds.map { .seconds($0) })
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
