// QueueOperations: what an operator does to waiting SEDs (`sedgate queue hold | release | expire | retry`),
// on a running node or a stopped one: journal changes (SQLite allows the node to keep running), the
// reports and receipts that follow, and the retry-now signal that wakes the node's senders.

import AccessPoint
import CoordinationNode
import Foundation
import NodeSetup
import SedgateCore
import Spool
import Store

/// Operator actions on one node's queue.
struct QueueOperations {
    let configuration: NodeConfiguration
    let journal: Journal

    /// The direction an operator acts on, and the state a SED waits in, for this node's role.
    private var queue: (direction: Direction, waiting: SEDState) {
        switch configuration {
        case .accessPoint: return (.outbound, .accepted)
        case .coordinationNode: return (.relay, .stored)
        }
    }

    /// Stops a waiting SED from being sent or forwarded until it is released.
    func hold(_ id: SEDID) async throws(SedgateError) -> String {
        guard
            try await journal.transition(
                id, queue.direction, to: .held, onlyFrom: [queue.waiting], file: nil, detail: "held by an operator")
        else { throw try await notWaiting(id, for: "hold", in: [queue.waiting]) }
        return "SED \(id) is held; `sedgate queue release \(id)` sends it on"
    }

    /// Puts a held SED back in its queue, and wakes the node's senders. At an access point, also lets a received
    /// SED that waits for the SEDs before it in its conversation land now: the missing ones are given up (they
    /// still land if they come, late).
    func release(_ id: SEDID) async throws(SedgateError) -> String {
        if case .accessPoint = configuration, let inbound = try await journal.record(id, .inbound),
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
        try configuration.spool.touchRetryNow()
        return "SED \(id) is back in the queue"
    }

    /// Gives up on a waiting or held SED: `failed`, with a report (AP) or a `failed` receipt to its sender (CN).
    func expire(_ id: SEDID) async throws(SedgateError) -> String {
        let reason = "expired by an operator at \(configuration.node)"
        guard let record = try await journal.record(id, queue.direction),
            [queue.waiting, .held].contains(record.state)
        else { throw try await notWaiting(id, for: "expire", in: [queue.waiting, .held]) }
        switch configuration {
        case .accessPoint:
            let report = Report(
                file: record.file ?? id.rawValue, sedId: id.rawValue, ticket: nil, state: .failed,
                node: configuration.node.rawValue,
                error: SedgateError(.expired, reason))
            try ReportWriter(directory: configuration.spool.reports).write(report)
        case .coordinationNode:
            try await journal.enqueueSignal(
                SignalRecord(
                    peer: record.origin, sedId: id, kind: "failed", node: configuration.node, at: Timestamp.now(),
                    reason: reason, code: SedgateError.Code.expired.name))
            try configuration.spool.touchRetryNow()
        }
        try await journal.transition(
            id, queue.direction, to: .failed, onlyFrom: [queue.waiting, .held], file: nil, detail: reason)
        return "SED \(id) failed: \(reason)"
    }

    /// Asks the running node to retry everything that waits, now, without its backoff.
    func retryNow() throws(SedgateError) -> String {
        try configuration.spool.touchRetryNow()
        return "node \(configuration.node) will retry everything that waits within a second"
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
                ?? "node \(configuration.node) has no waiting SED \(id); see `sedgate queue list`")
    }
}
