// Resequencer: lands received SEDs in inbound/ in the order of their conversation (the README's "Order within a conversation"): a SED whose
// `SeqNo` follows the last one landed in its conversation lands at once; one that comes early waits (`waiting`)
// for the SEDs before it, at most `[inbound] order-wait-s`, then lands without them. Reads and writes var/store/,
// inbound/, manual/ and the journal.
//
// Landing in a conversation is serialised (one `ConversationLine`), and every decision is made from the journal,
// so a crash at any point leaves each SED `received`, `waiting` or `landed`, and a restart settles them again.

import Foundation
import Logging
import Metrics
import SedgateCore
import ServiceLifecycle
import Spool
import Transport

/// One task at a time per conversation: landing in order needs the decision and the rename to go together.
actor ConversationLine {
    private var busy: Set<String> = []
    private var queued: [String: [CheckedContinuation<Void, Never>]] = [:]

    /// Runs `body` when no other task holds `key`.
    func run<T: Sendable>(
        _ key: String, _ body: @Sendable () async throws(SedgateError) -> T
    ) async throws(SedgateError) -> T {
        if busy.contains(key) {
            await withCheckedContinuation { queued[key, default: []].append($0) }
        } else {
            busy.insert(key)
        }
        defer { leave(key) }
        return try await body()
    }

    private func leave(_ key: String) {
        if var waiting = queued[key], !waiting.isEmpty {
            let next = waiting.removeFirst()
            queued[key] = waiting.isEmpty ? nil : waiting
            next.resume()  // `key` stays busy: the next task holds it now.
        } else {
            busy.remove(key)
        }
    }
}

/// Decides when a received SED lands, and lands it.
struct Resequencer: Sendable {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let logger: Logger
    /// The time waits are measured against: the wall clock, or a test's own (the journal's rows must use the same).
    var now: @Sendable () -> Date = { Date() }
    let line = ConversationLine()

    /// How long a SED waits for the SEDs before it in its conversation; zero lands every SED on arrival.
    var orderWait: Duration { configuration.orderWait }

    /// Lands `record` (just journalled as `received`) now, or leaves it `waiting` for the SEDs before it; lands any
    /// SEDs of its conversation that were waiting for it.
    func settle(_ record: MessageRecord) async throws(SedgateError) {
        try await settle([record])
    }

    /// `settle` for a group of SEDs just journalled: every one that may land is moved into inbound/ (or manual/), the
    /// folders are synced once and the whole group is journalled `landed` in one transaction. Landing on a node is
    /// one critical section (decisions, renames and the commit go together), so order within a conversation holds.
    func settle(_ records: [MessageRecord], conversations extra: [String] = []) async throws(SedgateError) {
        try await line.run("landing") { () throws(SedgateError) in
            var landing = Landing()
            var conversations: [String] = []
            var known: Set<String> = []
            var unordered: [MessageRecord] = []
            for record in records {
                if record.envelope.seqNo != nil, let conversation = record.envelope.conversation, orderWait > .zero {
                    if known.insert(conversation).inserted { conversations.append(conversation) }
                    continue
                }
                unordered.append(record)
            }
            if !unordered.isEmpty {
                // Unordered: each lands now, unless another pass (a retry after a failed landing) just landed it.
                let current = try await journal.records(unordered.map(\.sedId), .inbound)
                for record in unordered where current[record.sedId]?.state == .received {
                    try place(record, detail: nil, into: &landing)
                }
            }
            for conversation in extra where known.insert(conversation).inserted { conversations.append(conversation) }
            // One read for every conversation of the pass; nothing is committed before the pass ends.
            let pending = try await journal.unlanded(conversations: conversations)
            let lasts = try await journal.lastSequences(.inbound, conversations: conversations)
            var failure: SedgateError?
            for conversation in conversations {
                do throws(SedgateError) {
                    try settle(
                        conversation: conversation, pending: pending[conversation] ?? [],
                        last: lasts[conversation] ?? 0, into: &landing)
                } catch {
                    // What was placed so far is journalled below; this conversation is tried again later.
                    failure = error
                    break
                }
            }
            try await commit(landing)
            if let failure { throw failure }
        }
    }

    /// Lands, in sequence order, every SED of `conversation` that may land now.
    func settle(conversation: String) async throws(SedgateError) {
        try await settle([], conversations: [conversation])
    }

    /// The SEDs of one landing pass: where each file went, and the journal changes to commit.
    struct Landing {
        var changes: [JournalChange] = []
        var folders: Set<String> = []
        private(set) var landed: [(sedId: SEDID, file: String)] = []
        /// The SED ids in `landed`.
        private(set) var placed: Set<SEDID> = []

        /// Notes that `sedId` lands as `file` in this pass.
        mutating func land(_ sedId: SEDID, as file: String) {
            landed.append((sedId, file))
            placed.insert(sedId)
        }
    }

    /// Decides the landing of `conversation`'s SEDs into `landing`.
    ///
    /// A SED may land when its number follows the last one landed (or is lower: it comes after its gap was given
    /// up, and is never held back again). A SED that has waited `orderWait` lands anyway, and every SED before
    /// it in the conversation with it, in order.
    ///
    /// `pending` is `journal.unlanded(conversation:)` and `last` its last number landed, read at the start of the pass.
    private func settle(
        conversation: String, pending: [MessageRecord], last landedBefore: Int, into landing: inout Landing
    ) throws(SedgateError) {
        var last = landedBefore
        let cutoff = Timestamp.iso8601(now().addingTimeInterval(-Double(orderWait.components.seconds)))
        let overdue = orderWait > .zero ? pending.lastIndex { $0.createdAt < cutoff } : pending.indices.last
        // A conversation whose earlier SED is placed in this same pass sees it as landed (not yet committed).
        for (index, record) in pending.enumerated() where !landing.placed.contains(record.sedId) {
            let seqNo = record.envelope.seqNo ?? 0
            if seqNo <= last + 1 {
                try place(
                    record, detail: seqNo <= last ? "SeqNo \(seqNo) came after \(last) had landed" : nil, into: &landing
                )
            } else if let overdue, index <= overdue {
                let missing = seqNo == last + 2 ? "\(last + 1)" : "\(last + 1)…\(seqNo - 1)"
                logger.warning(
                    "landing without the SEDs before it in its conversation, which did not arrive in time",
                    metadata: [
                        "sedId": "\(record.sedId)", "conversation": "\(conversation)", "missing": "\(missing)",
                    ])
                Counter(label: "sedgate_order_gaps_total").increment()
                try place(
                    record,
                    detail: "landed without SeqNo \(missing) of its conversation, not arrived within \(orderWait)",
                    into: &landing)
            } else {
                if record.state == .received {
                    landing.changes.append(
                        .transition(
                            record.sedId, .inbound, to: .waiting, onlyFrom: [.received], file: nil,
                            detail: "waits for SeqNo \(last + 1) of its conversation (it is \(seqNo))"))
                }
                continue
            }
            last = max(last, seqNo)
        }
    }

    /// A SED refused here for good (its rules broken, sealed for another AP): it will never land, so the SEDs after
    /// it in its conversation need not wait for it. Only the next expected number is passed over: an earlier one
    /// missing still holds the conversation, as it would have.
    func passOver(_ envelope: Envelope) async throws(SedgateError) {
        guard let seqNo = envelope.seqNo, let conversation = envelope.conversation, orderWait > .zero else { return }
        let passed = try await line.run("landing") { () throws(SedgateError) -> Bool in
            let last = try await journal.lastSequence(.inbound, conversation: conversation) ?? 0
            guard seqNo == last + 1 else { return false }
            try await journal.skipSequence(conversation: conversation, before: seqNo + 1)
            return true
        }
        if passed { try await settle(conversation: conversation) }
    }

    /// After a restart: settles every conversation with SEDs received but not landed, and lands the rest.
    func recover() async throws(SedgateError) {
        try await settle(try await journal.records(.inbound, in: .received, peer: nil, limit: Int.max))
        try await settleDue()
    }

    /// Settles the conversations whose waiting SEDs may land now (waited long enough, or no longer need to), and
    /// tries again to land SEDs left `received` for a while: their landing failed (a full disk) after the receipt
    /// was given, so no retry from the CN will bring them here again.
    func settleDue() async throws(SedgateError) {
        let time = now()
        let cutoff = Timestamp.iso8601(time.addingTimeInterval(-Double(orderWait.components.seconds)))
        let conversations = try await journal.conversationsToSettle(waitingSince: cutoff)
        let stale = Timestamp.iso8601(time.addingTimeInterval(-5))
        let received = try await journal.records(.inbound, in: .received, peer: nil, limit: 100).filter {
            $0.updatedAt < stale
        }
        guard !conversations.isEmpty || !received.isEmpty else { return }
        try await settle(received, conversations: conversations)
    }

    /// Moves a received SED from var/store/ into inbound/ under its template name, never overwriting, and notes the
    /// journal change; the folders are synced and the change committed with the rest of the pass (`commit`).
    private func place(_ record: MessageRecord, detail: String?, into landing: inout Landing) throws(SedgateError) {
        let stored = configuration.spool.root + "/" + record.payloadPath
        var name = configuration.inboundTemplate.render(record.envelope)
        if case .batch = configuration.inboundRouting.route(record.envelope).channel {
            // Collected for an inbound batch (InboundBatcher), by SED id.
            name = "\(record.sedId).xml"
        }
        // The inbound routing rules choose the channel (InboundRouting); a SED no rule matches goes to manual/.
        let route = configuration.inboundRouting.route(record.envelope)
        let unrouted = route.channel == .manual
        let manual = record.payloadPath.hasSuffix(".manual.xml") || unrouted
        if !manual, !record.payloadPath.hasSuffix(".xml"), let dot = record.payloadPath.lastIndex(of: ".") {
            // A flat file written back, or a large payload, keeps the template's name with its own extension.
            name = (name.hasSuffix(".xml") ? String(name.dropLast(4)) : name) + record.payloadPath[dot...]
        }
        let channelFolder = manual ? "manual" : route.channel.folder
        let folder = configuration.spool.root + "/" + channelFolder
        let prefix = channelFolder + "/"
        guard FileManager.default.fileExists(atPath: stored) else {
            // The rename happened just before a crash, so the national side already has the file: under the
            // template's name, unless that was taken and it got a numbered one (then the name stays unknown).
            let file =
                FileManager.default.fileExists(atPath: folder + "/" + PathComponent.safe(name))
                ? prefix + PathComponent.safe(name) : nil
            landing.changes.append(
                .transition(
                    record.sedId, .inbound, to: .landed, onlyFrom: [.received, .waiting], file: file,
                    detail: "landed before a restart"))
            return
        }
        let final = try SpoolFile.moveNoReplace(stored, toDirectory: folder, preferredName: name, durable: false)
        landing.folders.insert(folder)
        landing.folders.insert(String(stored[..<(stored.lastIndex(of: "/") ?? stored.endIndex)]))
        if unrouted { ManualQueue.noteUnrouted(record, at: final, logger: logger) }
        if manual {
            // Best effort: the reason travels beside the file (it is also in the node's log and the journal).
            _ = try? SpoolFile.moveNoReplace(
                stored + ".error", toDirectory: folder,
                preferredName: (final.split(separator: "/").last.map(String.init) ?? name) + ".error", durable: false)
            logger.warning(
                "a SED did not fit its inbound flat profile; it is in manual/", metadata: ["sedId": "\(record.sedId)"])
        }
        let landedName = prefix + (final.split(separator: "/").last.map(String.init) ?? name)
        landing.changes.append(
            .transition(
                record.sedId, .inbound, to: .landed, onlyFrom: [.received, .waiting], file: landedName, detail: detail))
        landing.land(record.sedId, as: landedName)
    }

    /// Makes a landing pass durable: each folder it renamed in or out of synced once, then its journal changes in one
    /// transaction.
    private func commit(_ landing: Landing) async throws(SedgateError) {
        let folders = landing.folders.sorted()
        try await Blocking.durable { () throws(SedgateError) in
            for folder in folders { try SpoolFile.fsyncDirectory(folder) }
        }
        _ = try await journal.apply(landing.changes)
        for (sedId, file) in landing.landed {
            logger.info("landed", metadata: ["sedId": "\(sedId)", "file": "\(file)"])
        }
    }
}

/// Lands waiting SEDs whose wait is over, and those an operator let go (`sedgate queue release`): once a second.
struct ResequencerService: Service {
    let resequencer: Resequencer
    let logger: Logger

    func run() async throws {
        // A lasting failure (inbound/ unwritable, a full disk) is logged once, then on each change and on recovery.
        var notice = FailureNotice()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await resequencer.settleDue()
                if notice.succeeded() { logger.notice("landing waiting SEDs works again") }
            } catch {
                if notice.failed(error.code.name) {
                    logger.error(
                        "cannot land waiting SEDs; retrying every second, logged again only if the cause changes",
                        metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
