// JournalTests: the journal keeps SED ids, states, history and the seen-set across reopen.

import Foundation
import SedgateCore
import Store
import Testing

@Suite("Journal")
struct JournalTests {
    let directory: String
    init() throws {
        directory = NSTemporaryDirectory() + "journal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    func envelope() throws -> Envelope {
        try Envelope(fields: [
            .sedType: "P001", .sedVersion: "1.0", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: "c0ffee00-0000-4000-8000-000000000001", .sender: "BE:0001", .receiver: "DK:0002",
        ])
    }

    func record(_ id: SEDID, _ direction: Direction = .outbound, state: SEDState = .accepted) throws -> MessageRecord {
        MessageRecord(
            sedId: id, direction: direction, state: state, file: "claim.xml", peer: NodeID("CN")!,
            origin: NodeID("AP-BE")!, envelope: try envelope(), payloadPath: "var/store/\(id)", size: 10)
    }

    @Test("every commit is synced: the journal's writer runs with synchronous = FULL, also after reopening")
    func commitsAreSynced() async throws {
        let path = directory + "/j.sqlite"
        do {
            let journal = try Journal(path: path)
            #expect(try await journal.synchronousLevel() == 2)
        }
        let reopened = try Journal(path: path)
        #expect(try await reopened.synchronousLevel() == 2)
    }

    @Test("a SED journalled once is refused a second time in the same direction (the seen-set)")
    func seenSet() async throws {
        let journal = try Journal(path: directory + "/j.sqlite")
        let id = SEDID.random()
        #expect(try await journal.insert(try record(id), ticket: nil, detail: nil))
        #expect(try await journal.insert(try record(id), ticket: nil, detail: nil) == false)
        #expect(try await journal.insert(try record(id, .inbound, state: .received), ticket: nil, detail: nil))
    }

    @Test("accepting a SED ends its intake in the same transaction, and both survive reopening")
    func intakeEndsOnInsert() async throws {
        let path = directory + "/j.sqlite"
        let id = SEDID.random()
        do {
            let journal = try Journal(path: path)
            try await journal.beginIntake(IntakeRecord(ticket: "t1", name: "claim.xml", takenAt: "x"))
            try await journal.beginIntake(IntakeRecord(ticket: "t2", name: "other.xml", takenAt: "y"))
            #expect(try await journal.insert(try record(id), ticket: "t1", detail: "ok"))
        }
        let reopened = try Journal(path: path)
        #expect(try await reopened.openIntakes().map(\.ticket) == ["t2"])
        #expect(try await reopened.sedId(forTicket: "t1") == id)
        #expect(try await reopened.record(id, .outbound)?.state == .accepted)
    }

    @Test("transitions are guarded by the expected current state and leave a history")
    func transitions() async throws {
        let journal = try Journal(path: directory + "/j.sqlite")
        let id = SEDID.random()
        _ = try await journal.insert(try record(id), ticket: nil, detail: nil)
        #expect(
            try await journal.transition(
                id, .outbound, to: .sent, onlyFrom: [.accepted], file: nil, detail: "CN receipt"))
        #expect(
            try await journal.transition(id, .outbound, to: .sent, onlyFrom: [.accepted], file: nil, detail: nil)
                == false)
        #expect(try await journal.transition(id, .outbound, to: .delivered, onlyFrom: [.sent], file: nil, detail: nil))
        #expect(try await journal.history(id).map(\.state) == [.accepted, .sent, .delivered])
        #expect(try await journal.counts()[.outbound]?[.delivered] == 1)
    }

    @Test("pending records come back in arrival order, per peer")
    func order() async throws {
        let journal = try Journal(path: directory + "/j.sqlite")
        let ids = (0..<5).map { _ in SEDID.random() }
        for id in ids { _ = try await journal.insert(try record(id), ticket: nil, detail: nil) }
        let pending = try await journal.records(.outbound, in: .accepted, peer: NodeID("CN")!, limit: 10)
        #expect(pending.map(\.sedId) == ids)
        #expect(try await journal.records(.outbound, in: .accepted, peer: NodeID("OTHER")!, limit: 10).isEmpty)
    }

    @Test("a receipt is queued once per peer, SED and kind, and disappears when completed")
    func signals() async throws {
        let journal = try Journal(path: directory + "/j.sqlite")
        let id = SEDID.random()
        let signal = SignalRecord(
            peer: NodeID("AP-BE")!, sedId: id, kind: "delivered", node: NodeID("AP-DK")!, at: "now")
        try await journal.enqueueSignal(signal)
        try await journal.enqueueSignal(signal)
        let pending = try await journal.pendingSignals(peer: nil, limit: 10)
        #expect(pending.count == 1)
        try await journal.completeSignal(id: pending[0].id)
        #expect(try await journal.pendingSignals(peer: nil, limit: 10).isEmpty)
    }
}

@Suite("Seen-set expiry")
struct SeenSetExpiryTests {
    @Test("finished SEDs are forgotten after the retention, waiting ones never; a forgotten id is taken again")
    func expiresFinishedOnly() async throws {
        let directory = NSTemporaryDirectory() + "journal-expiry-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let journal = try Journal(path: directory + "/j.sqlite", clock: { start })
        let helper = try JournalTests()
        let (done, waiting) = (SEDID.random(), SEDID.random())
        #expect(try await journal.insert(try helper.record(done, .relay, state: .stored), ticket: nil, detail: nil))
        #expect(try await journal.insert(try helper.record(waiting, .relay, state: .stored), ticket: nil, detail: nil))
        #expect(
            try await journal.transition(done, .relay, to: .forwarded, onlyFrom: [.stored], file: nil, detail: nil))

        // A cutoff in the past forgets nothing.
        #expect(try await journal.expire(finishedBefore: Timestamp.iso8601(start.addingTimeInterval(-3_600))) == 0)
        #expect(try await journal.record(done, .relay) != nil)

        // Past the retention: the finished SED and its history go, the waiting one stays.
        #expect(try await journal.expire(finishedBefore: Timestamp.iso8601(start.addingTimeInterval(1))) == 1)
        #expect(try await journal.record(done, .relay) == nil)
        #expect(try await journal.history(done).isEmpty)
        #expect(try await journal.record(waiting, .relay)?.state == .stored)
        // The seen-set is bounded: the forgotten id is no longer a duplicate.
        #expect(try await journal.insert(try helper.record(done, .relay, state: .stored), ticket: nil, detail: nil))
        #expect(try await journal.integrityCheck() == "ok")
    }

}

extension JournalTests {
    @Test("conversations: numbers given rise with each SED journalled, landing moves the inbound sequence on")
    func conversationSequences() async throws {
        // The journal's clock stands still, so the cutoffs below are exact however slow the machine.
        let start = Date(timeIntervalSince1970: 1_800_000_000)
        let journal = try Journal(path: directory + "/conversations.sqlite", clock: { start })
        var numbered = try envelope()
        let conversation = try #require(numbered.conversation)
        #expect(try await journal.lastSequence(.outbound, conversation: conversation) == nil)
        for seqNo in [1, 3, 2] {
            numbered.seqNo = seqNo
            var outbound = try record(.random())
            outbound.envelope = numbered
            #expect(try await journal.insert(outbound, ticket: nil, detail: nil))
        }
        // The highest number given, never lowered by a lower one.
        #expect(try await journal.lastSequence(.outbound, conversation: conversation) == 3)

        // Inbound: SEDs 2 and 3 received and waiting, listed by number whatever their arrival order.
        var ids: [Int: SEDID] = [:]
        for seqNo in [3, 2] {
            numbered.seqNo = seqNo
            let id = SEDID.random()
            ids[seqNo] = id
            var inbound = try record(id, .inbound, state: .received)
            inbound.envelope = numbered
            #expect(try await journal.insert(inbound, ticket: nil, detail: nil))
            try await journal.transition(id, .inbound, to: .waiting, onlyFrom: [.received], file: nil, detail: nil)
        }
        #expect(try await journal.unlanded(conversation: conversation).compactMap(\.envelope.seqNo) == [2, 3])
        // The batched reads a landing pass makes agree, and leave out what the node does not know.
        let batched = try await journal.unlanded(conversations: [conversation, "unknown", conversation])
        #expect(batched.keys.sorted() == [conversation])
        #expect(batched[conversation]?.compactMap(\.envelope.seqNo) == [2, 3])
        #expect(
            try await journal.lastSequences(.outbound, conversations: [conversation, "unknown"]) == [conversation: 3])
        #expect(try await journal.lastSequences(.inbound, conversations: [conversation]).isEmpty)
        // Nothing may land yet: 1 is missing, and they have not waited since an hour ago.
        let anHourAgo = Timestamp.iso8601(start.addingTimeInterval(-3_600))
        #expect(try await journal.conversationsToSettle(waitingSince: anHourAgo).isEmpty)
        // Waited long enough (cutoff in the future), they may.
        let later = Timestamp.iso8601(start.addingTimeInterval(1))
        #expect(try await journal.conversationsToSettle(waitingSince: later) == [conversation])
        // An operator gives up SED 1: 2 may land now.
        try await journal.skipSequence(conversation: conversation, before: 2)
        #expect(try await journal.lastSequence(.inbound, conversation: conversation) == 1)
        #expect(try await journal.conversationsToSettle(waitingSince: anHourAgo) == [conversation])
        // Landing 3 raises the sequence to 3; landing 2 after it does not lower it.
        for seqNo in [3, 2] {
            #expect(
                try await journal.transition(
                    ids[seqNo]!, .inbound, to: .landed, onlyFrom: [.waiting], file: nil, detail: nil))
        }
        #expect(try await journal.lastSequence(.inbound, conversation: conversation) == 3)
        #expect(try await journal.lastSequences(.inbound, conversations: [conversation]) == [conversation: 3])
        #expect(try await journal.unlanded(conversation: conversation).isEmpty)
        #expect(try await journal.unlanded(conversations: [conversation]).isEmpty)

        // Forgotten when idle: inbound with the seen-set, the numbers given only with the later cutoff.
        try await journal.expire(finishedBefore: later)
        #expect(try await journal.lastSequence(.inbound, conversation: conversation) == nil)
        #expect(try await journal.lastSequence(.outbound, conversation: conversation) == 3)
        try await journal.expire(finishedBefore: later, numberingIdleBefore: later)
        #expect(try await journal.lastSequence(.outbound, conversation: conversation) == nil)
    }

    @Test("a synchronous SED belongs to no conversation and is never numbered or ordered")
    func synchronousHasNoConversation() throws {
        var sync = try envelope()
        #expect(sync.conversation == "BE:0001>DK:0002#c0ffee00-0000-4000-8000-000000000001")
        sync.interaction = .sync
        #expect(sync.conversation == nil)
    }
}
