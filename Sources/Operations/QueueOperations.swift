// QueueOperations: what an operator does to waiting SEDs (`sedgate queue hold | release | expire | retry`, and the
// console's buttons), on a running node or a stopped one: journal changes (SQLite lets the node keep running), the
// report (access point) or `failed` receipt (coordination node) that follows giving up, and the retry-now signal that
// wakes the node's senders. Reads and writes the node's journal; writes `reports/` and `var/control/retry-now`.

public import SedgateCore
public import Spool

/// Operator actions on one node's queue.
public struct QueueOperations: Sendable {
    /// Which queue an operator acts on: an access point's outbound one, or a coordination node's relay.
    public enum Role: Sendable {
        case accessPoint
        case coordinationNode
    }

    /// The node's role, which decides the queue and what giving up a SED tells its sender.
    public let role: Role
    /// The node's id, named in reports, receipts and answers.
    public let node: NodeID
    /// The node's spool: where reports go and the retry-now signal is.
    public let spool: SpoolLayout
    /// The node's journal.
    public let journal: any MessageStore

    /// The operator actions on the queue of the node `node` with this role, spool and journal.
    public init(role: Role, node: NodeID, spool: SpoolLayout, journal: any MessageStore) {
        self.role = role
        self.node = node
        self.spool = spool
        self.journal = journal
    }

    /// The direction an operator acts on, and the state a SED waits in, for this node's role.
    private var queue: (direction: Direction, waiting: SEDState) {
        switch role {
        case .accessPoint: return (.outbound, .accepted)
        case .coordinationNode: return (.relay, .stored)
        }
    }

    /// Stops a waiting SED from being sent or forwarded until it is released.
    public func hold(_ id: SEDID) async throws(SedgateError) -> String {
        guard
            try await journal.transition(
                id, queue.direction, to: .held, onlyFrom: [queue.waiting], file: nil, detail: "held by an operator")
        else { throw try await notWaiting(id, for: "hold", in: [queue.waiting]) }
        return "SED \(id) is held; `sedgate queue release \(id)` sends it on"
    }

    /// Puts a held SED back in its queue, and wakes the node's senders. At an access point, also lets a received
    /// SED that waits for the SEDs before it in its conversation land now: the missing ones are given up (they
    /// still land if they come, late).
    public func release(_ id: SEDID) async throws(SedgateError) -> String {
        if role == .accessPoint, let inbound = try await journal.record(id, .inbound),
            inbound.state == .waiting, let conversation = inbound.envelope.conversation,
            let seqNo = inbound.envelope.seqNo
        {
            let last = try await journal.lastSequence(.inbound, conversation: conversation) ?? 0
            try await journal.skipSequence(conversation: conversation, before: seqNo)
            let missing = seqNo == last + 2 ? "SeqNo \(last + 1) is" : "SeqNo \(last + 1)…\(seqNo - 1) are"
            return "SED \(id) lands within a second; \(missing) no longer waited for (they land if they come)"
        }
        guard
            try await journal.transition(
                id, queue.direction, to: queue.waiting, onlyFrom: [.held], file: nil, detail: "released by an operator")
        else { throw try await notWaiting(id, for: "release", in: [.held]) }
        try spool.touchRetryNow()
        return "SED \(id) is back in the queue"
    }

    /// Gives up on a waiting or held SED: `failed`, with a report (AP) or a `failed` receipt to its sender (CN).
    public func expire(_ id: SEDID) async throws(SedgateError) -> String {
        let reason = "expired by an operator at \(node)"
        guard let record = try await journal.record(id, queue.direction),
            [queue.waiting, .held].contains(record.state)
        else { throw try await notWaiting(id, for: "expire", in: [queue.waiting, .held]) }
        switch role {
        case .accessPoint:
            let report = Report(
                file: record.file ?? id.rawValue, sedId: id.rawValue, ticket: nil, state: .failed,
                node: node.rawValue, error: SedgateError(.expired, reason))
            try ReportWriter(directory: spool.reports).write(report)
        case .coordinationNode:
            try await journal.enqueueSignal(
                SignalRecord(
                    peer: record.origin, sedId: id, kind: "failed", node: node, at: Timestamp.now(),
                    reason: reason, code: SedgateError.Code.expired.name))
            try spool.touchRetryNow()
        }
        try await journal.transition(
            id, queue.direction, to: .failed, onlyFrom: [queue.waiting, .held], file: nil, detail: reason)
        return "SED \(id) failed: \(reason)"
    }

    /// Asks the running node to retry everything that waits, now, without its backoff.
    public func retryNow() throws(SedgateError) -> String {
        try spool.touchRetryNow()
        return "node \(node) will retry everything that waits within a second"
    }

    private func notWaiting(
        _ id: SEDID, for action: String, in states: [SEDState]
    ) async throws(SedgateError)
        -> SedgateError
    {
        let current = try await journal.record(id, queue.direction)?.state
        let names = states.map(\.rawValue).joined(separator: " or ")
        return SedgateError(
            .notFound,
            current.map { "SED \(id) is \($0) here; only a SED that is \(names) can be told to \(action)" }
                ?? "node \(node) has no waiting SED \(id); see `sedgate queue list`")
    }
}
