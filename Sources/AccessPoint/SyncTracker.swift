// SyncTracker: the requesting access point's side of synchronous request/response (FS-46). It finds the SYNC
// requests this AP accepted (in the journal), keeps each one's deadline in the SyncLedger (var/sync.sqlite), times
// out those left unanswered (a `timeout` report in reports/), and judges every reply that comes back: one in time
// lands like any SED, a late one is refused, set aside in rejected/ with its reason, and its sender told why.
// Reads the journal; writes var/sync.sqlite, reports/, rejected/ and the journal (a request's `timeout` state).

import Foundation
import Logging
import SedgateCore
import ServiceLifecycle
import Spool
import Store

/// Deadlines of this access point's synchronous requests, and the verdict on their replies.
final class SyncTracker: Service, Sendable {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let ledger: SyncLedger
    let reports: ReportWriter
    let logger: Logger

    /// Opens the ledger beside the journal.
    init(configuration: AccessPointConfiguration, journal: any MessageStore, logger: Logger) throws(SedgateError) {
        self.configuration = configuration
        self.journal = journal
        self.ledger = try SyncLedger(path: configuration.spool.varDirectory + "/sync.sqlite")
        self.reports = ReportWriter(directory: configuration.spool.reports)
        self.logger = logger
    }

    /// Looks for new requests at least every second, and times each one out at its deadline to the millisecond.
    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var wait = Duration.seconds(1)
            do {
                try await pass()
                if let next = try await ledger.nextDeadline() {
                    let until = next.timeIntervalSinceNow
                    wait = min(wait, .milliseconds(max(1, Int64((until * 1_000).rounded(.up)) + 1)))
                }
            } catch {
                logger.error("cannot follow the synchronous requests", metadata: ["error": "\(error)"])
            }
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
    }

    /// Tracks the requests journalled since the last pass, then times out those past their deadline.
    func pass() async throws(SedgateError) {
        try await discover()
        try await reportTimeouts()
        try await ledger.forget(before: Date().addingTimeInterval(-configuration.retention.timeInterval))
    }

    /// Starts tracking every SYNC request journalled (outbound) after the ledger's position.
    private func discover() async throws(SedgateError) {
        var position = try await ledger.highWater()
        while true {
            let found = try await journal.records(.outbound, interaction: .sync, after: position, limit: 500)
            guard let last = found.last else { return }
            let requests = found.filter { SyncDeadline.isRequest($0.envelope) }.map { record in
                TrackedRequest(
                    sedId: record.sedId, file: record.file ?? record.sedId.rawValue,
                    deadline: SyncDeadline.deadline(
                        of: record.envelope, acceptedAt: Timestamp.parse(record.createdAt) ?? Date(),
                        timeout: configuration.syncTimeout),
                    state: .pending)
            }
            try await ledger.track(requests, upTo: last.seq)
            position = last.seq
        }
    }

    /// The requests past their deadline: the report first (it is true once the deadline passed), then the journal
    /// (`timeout`: a request still waiting to be sent is never sent), then the ledger notes it reported.
    private func reportTimeouts() async throws(SedgateError) {
        for request in try await ledger.expire(now: Date()) {
            let record = try await journal.record(request.sedId, .outbound)
            let error = SedgateError(
                .timeout,
                "no reply to the synchronous request came by its deadline, \(Timestamp.iso8601(request.deadline)) "
                    + "(its DueDate, or [sync] timeout-s after it was accepted); a later reply will be refused")
            AccessPointReports.write(
                reports, .timeout, name: request.file, sedId: request.sedId, ticket: nil, node: configuration.node,
                envelope: record?.envelope, error: error, logger: logger)
            try await journal.transition(
                request.sedId, .outbound, to: .timeout, onlyFrom: [.accepted, .held, .sent, .delivered, .routed],
                file: nil, detail: error.message)
            try await ledger.reported(request.sedId)
            logger.warning("a synchronous request timed out", metadata: ["sedId": "\(request.sedId)"])
        }
    }

    /// Judges a received SED before it is stored: nothing to say unless it replies (`InReplyTo`) to a synchronous
    /// request of this AP. A reply in time is noted as the request's answer and lands like any SED; a late one is
    /// set aside in rejected/ beside its `.error`, and refused with `timeout` (its sender gets a `failed` report).
    func admit(_ envelope: Envelope, sedId: SEDID, payload: [UInt8]) async throws(SedgateError) {
        guard let request = envelope.inReplyTo else { return }
        try await discover()
        var verdict = try await ledger.admit(reply: sedId, to: request, now: Date())
        if verdict == nil, let record = try await journal.record(request, .outbound),
            SyncDeadline.isRequest(record.envelope)
        {
            // Forgotten by the ledger (older than keep-days) but still in the journal: judged from the journal.
            verdict = SyncDeadline.verdict(
                reply: sedId, request: request, state: record.state == .timeout ? .timeout : .pending,
                answeredBy: nil,
                deadline: SyncDeadline.deadline(
                    of: record.envelope, acceptedAt: Timestamp.parse(record.createdAt) ?? Date(),
                    timeout: configuration.syncTimeout), now: Date())
        }
        guard case .late(let reason) = verdict else { return }
        let error = SedgateError(.timeout, reason)
        let name = "late-reply-\(sedId).\((envelope.contentType ?? "application/xml").hasSuffix("xml") ? "xml" : "bin")"
        let path = configuration.spool.rejected + "/" + name
        try SpoolFile.writeAtomically(payload, to: path, tmpDirectory: configuration.spool.tmp)
        try SpoolFile.writeAtomically(
            Array(Rejection.errorText(originalName: name, error: error).utf8), to: path + ".error",
            tmpDirectory: configuration.spool.tmp)
        logger.warning(
            "refused a late reply to a synchronous request; set aside in rejected/",
            metadata: ["sedId": "\(sedId)", "request": "\(request)", "file": "\(name)"])
        try await reportTimeouts()
        throw error
    }
}
