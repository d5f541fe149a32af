// DeliveryAgent: the one delivery agent of both hops (an access point's sender to the CN, the CN's forwarder to each
// access point). It waits for its doorbell, reads what waits for its peer, plans compound messages
// (`DeliveryPlan`), has the hop make them ready (seal, or read the stored copy; fragments first), sends each,
// reads the reply (`DeliveryOutcome`) and has the hop record it, then sends the receipts queued for the peer. After
// a failure it backs off (`RetrySchedule`) and probes the peer before it picks any SED up again, so an operator's
// hold always wins while the peer is down. What differs between the hops is a `DeliveryHop`.

public import Foundation
public import Logging
public import SedgateCore
import ServiceLifecycle

/// What one hop does around the common delivery loop.
public protocol DeliveryHop: Sendable {
    /// This node, the peer it delivers to, and the peer's base URL.
    var node: NodeID { get }
    var peer: NodeID { get }
    var url: String { get }
    /// The journal direction of the SEDs this hop delivers (`.outbound` at an AP, `.relay` at the CN).
    var direction: Direction { get }
    var limits: PackingLimits { get }
    var lifetime: Duration { get }
    /// The SEDs this hop takes: the batches (ASYNC, packed, with the receipts), or the synchronous lane (SYNC, sent
    /// at once beside the batches, carrying nothing but its SEDs: one never waits behind the other).
    var lane: Interaction { get }

    /// The SEDs waiting for the peer, oldest first, at most `limit`.
    func waiting(limit: Int) async throws(SedgateError) -> [MessageRecord]
    /// When a partial message leaves (an access point's packer waits for companions; the CN never waits).
    func departure(of batch: [MessageRecord], now: Date) -> PackingLimits.Departure
    /// The access point a SED is sealed for (its group), or why it cannot go.
    func destination(of record: MessageRecord) throws(SedgateError) -> NodeID
    /// The message's SEDs ready to send: sealed, or read as stored; their fragments sent ahead.
    func prepare(_ message: DeliveryPlan.Message, client: ProtocolClient) async -> DeliveryPreparation
    /// Records what the peer now holds (reports, journal, receipts for others) and drops the local copies. Throws
    /// when the journal cannot record it: the SEDs are sent again (the peer drops the duplicates).
    func delivered(_ taken: [(record: MessageRecord, receipt: Receipt)]) async throws(SedgateError)
    /// Gives up on a SED: journal, report or receipt to its sender, local copy dropped.
    func giveUp(_ record: MessageRecord, _ error: SedgateError) async
    /// The stamp of `sedgate queue retry` (a change drops the backoff), or nil.
    func retryNowStamp() -> Int64?
}

extension DeliveryHop {
    public func departure(of batch: [MessageRecord], now: Date) -> PackingLimits.Departure { .now }
}

/// A message made ready by its hop.
public struct DeliveryPreparation: Sendable {
    /// The SEDs to send, and their records, in the same order.
    public var records: [MessageRecord] = []
    public var seds: [SealedSED] = []
    /// SEDs that fail for good here (unreadable, unsealable, a fragment refused).
    public var failures: [(record: MessageRecord, error: SedgateError)] = []
    /// Set when nothing can be sent now (a certificate missing, fragments cut short): retry later; the SEDs named
    /// have the attempt noted with the reason.
    public var retry: (records: [MessageRecord], reason: String)?

    public init() {}
}

/// The delivery loop for one hop.
public struct DeliveryAgent<Hop: DeliveryHop>: Sendable {
    public let hop: Hop
    let journal: any MessageStore
    let client: ProtocolClient
    let bell: Doorbell
    let retryInitial: Duration
    let retryMaximum: Duration
    let logger: Logger

    public init(
        hop: Hop, journal: any MessageStore, client: ProtocolClient, bell: Doorbell, retryInitial: Duration,
        retryMaximum: Duration, logger: Logger
    ) {
        self.hop = hop
        self.journal = journal
        self.client = client
        self.bell = bell
        self.retryInitial = retryInitial
        self.retryMaximum = retryMaximum
        self.logger = logger
    }

    /// Delivers whenever the doorbell rings, until shutdown.
    public func run() async {
        var schedule = RetrySchedule(initial: retryInitial, maximum: retryMaximum)
        var notBefore = ContinuousClock.now
        await withDiscardingTaskGroup { group in
            // A slow tick notices `sedgate queue retry`; a backoff or a packer's wait rings for itself (below).
            group.addTask { [bell] in
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    bell.ring()
                }
            }
            var retryStamp = hop.retryNowStamp()
            for await _ in bell.rings.cancelOnGracefulShutdown() {
                let stamp = hop.retryNowStamp()
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

    /// Delivers and relays until both queues are empty. Returns when to try again after a failure or while a
    /// partial message waits for companions, or nil when done.
    func drain(_ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        // After a failure, probe before picking up any SED: while the peer is down no SED is ever "in flight".
        if schedule.consecutiveFailures > 0 {
            do {
                try await client.checkHealth(of: hop.url, timeout: .seconds(3))
            } catch {
                return schedule.failed(now: .now)
            }
        }
        while !Task.isCancelled {
            let batch: [MessageRecord]
            let signals: [SignalRecord]
            do {
                batch = try await hop.waiting(limit: hop.limits.maxSEDs * 4)
                signals =
                    hop.lane == .sync
                    ? [] : try await journal.pendingSignals(peer: hop.peer, limit: ReceiptSender.batchLimit)
            } catch {
                logger.error("cannot read the journal", metadata: ["error": "\(error)"])
                return schedule.failed(now: .now)
            }
            if batch.isEmpty && signals.isEmpty { return nil }
            // A partial message waits for companions, unless receipts are due anyway. A SYNC SED never waits.
            if !batch.isEmpty, signals.isEmpty, hop.lane == .async {
                let now = Date()
                if case .at(let due) = hop.departure(of: batch, now: now) {
                    return .now + .milliseconds(Int64((due.timeIntervalSince(now) * 1_000).rounded(.up)))
                }
            }
            let plan = DeliveryPlan(
                batch, to: hop.peer, now: Date(), lifetime: hop.lifetime, limits: hop.limits,
                destination: hop.destination)
            for (record, error) in plan.failures { await hop.giveUp(record, error) }
            for message in plan.messages {
                if let retryAt = await send(message, &schedule) { return retryAt }
            }
            let receipts = ReceiptSender(
                node: hop.node, peer: hop.peer, url: hop.url, client: client, journal: journal, logger: logger)
            if let retryAt = await receipts.send(signals, &schedule) { return retryAt }
        }
        return nil
    }

    /// Sends one planned message and acts on the reply. Returns a retry time when the peer could not take all of it.
    func send(_ message: DeliveryPlan.Message, _ schedule: inout RetrySchedule) async -> ContinuousClock.Instant? {
        let ready = await hop.prepare(message, client: client)
        for (record, error) in ready.failures { await hop.giveUp(record, error) }
        if let retry = ready.retry {
            for record in retry.records { await noteAttempt(record, retry.reason) }
            return schedule.failed(now: .now)
        }
        guard !ready.records.isEmpty else { return nil }
        let compound = CompoundMessage(from: hop.node, to: hop.peer, seds: ready.seds)
        let request = ProtocolMessage(
            messageID: compound.messageID, action: .deliver, from: hop.node, to: hop.peer, compound: compound)
        let reply: ProtocolMessage
        do {
            // A message with large payloads waits while the peer joins and checks them (gigabytes, seconds).
            let large = ready.seds.contains { $0.manifest != nil }
            reply = try await client.send(request, to: hop.url, timeout: large ? .seconds(900) : .seconds(30))
        } catch {
            logger.warning(
                "peer unreachable; will retry",
                metadata: ["peer": "\(hop.peer)", "seds": "\(ready.records.count)", "error": "\(error)"])
            for record in ready.records { await noteAttempt(record, error.description) }
            return schedule.failed(now: .now)
        }
        switch DeliveryOutcome(reply, from: hop.peer, records: ready.records) {
        case .failAll(let error):
            logger.error("the peer refused a message", metadata: ["peer": "\(hop.peer)", "error": "\(error)"])
            for record in ready.records { await hop.giveUp(record, error) }
            return nil
        case .retryAll(let reason, let retryAfter):
            logger.warning(
                "the peer could not take the SEDs now; will retry",
                metadata: ["peer": "\(hop.peer)", "seds": "\(ready.records.count)", "fault": "\(reason)"])
            for record in ready.records { await noteAttempt(record, reason) }
            return schedule.failed(now: .now, retryAfter: retryAfter)
        case .answered(let delivered, let refused, let unanswered):
            for record in unanswered { await noteAttempt(record, "\(hop.peer) did not acknowledge it") }
            for (record, error) in refused { await hop.giveUp(record, error) }
            do {
                if !delivered.isEmpty { try await hop.delivered(delivered) }
            } catch {
                logger.error(
                    "cannot journal the peer's receipts; will resend (the peer drops the duplicates)",
                    metadata: ["peer": "\(hop.peer)", "error": "\(error)"])
                return schedule.failed(now: .now)
            }
            if !unanswered.isEmpty { return schedule.failed(now: .now) }
            schedule.succeeded()
            return nil
        }
    }

    private func noteAttempt(_ record: MessageRecord, _ reason: String) async {
        try? await journal.noteAttempt(record.sedId, hop.direction, error: reason)
    }
}
