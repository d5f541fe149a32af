// QueueOperationsTests: an operator's hold, release, expire and retry on a real SQLite journal in a temporary spool,
// at an access point (outbound queue, reports) and at a coordination node (relay queue, `failed` receipts).

import Foundation
import Operations
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("Queue operations")
struct QueueOperationsTests {
    let folder: TemporaryDirectory
    let spool: SpoolLayout
    let journal: Journal

    init() throws {
        folder = try TemporaryDirectory("queue-operations")
        spool = SpoolLayout(root: folder.appending("spool"))
        try spool.create()
        journal = try Journal(path: spool.varDirectory + "/journal.sqlite")
    }

    func operations(_ role: QueueOperations.Role) -> QueueOperations {
        QueueOperations(
            role: role, node: NodeID(role == .accessPoint ? "AP-BE" : "CN")!, spool: spool, journal: journal)
    }

    /// Journals a SED in `direction` and `state`, from AP-BE; `seqNo` numbers it in its conversation.
    func journalled(
        _ direction: Direction, _ state: SEDState, seqNo: Int? = nil
    ) async throws -> SEDID {
        let id = SEDID.random()
        var fields: [EnvelopeField: String] = [
            .sedType: "P001", .sedVersion: "1.0", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: "c0ffee00-0000-4000-8000-000000000001", .sender: "BE:0001", .receiver: "DK:0002",
        ]
        fields[.seqNo] = seqNo.map(String.init)
        let record = MessageRecord(
            sedId: id, direction: direction, state: state, file: "claim.xml", peer: NodeID("AP-DK")!,
            origin: NodeID("AP-BE")!, envelope: try Envelope(fields: fields), payloadPath: "var/store/\(id)", size: 10)
        #expect(try await journal.insert(record, ticket: nil, detail: nil))
        return id
    }

    func state(_ id: SEDID, _ direction: Direction) async throws -> SEDState? {
        try await journal.record(id, direction)?.state
    }

    @Test("at an access point, a held SED waits outside the queue until it is released, which wakes the senders")
    func holdAndRelease() async throws {
        let queue = operations(.accessPoint)
        let id = try await journalled(.outbound, .accepted)
        #expect(try await queue.hold(id) == "SED \(id) is held; `sedgate queue release \(id)` sends it on")
        #expect(try await state(id, .outbound) == .held)
        #expect(try await journal.history(id).contains { $0.detail == "held by an operator" })
        #expect(spool.retryNowStamp() == nil)
        #expect(try await queue.release(id) == "SED \(id) is back in the queue")
        #expect(try await state(id, .outbound) == .accepted)
        #expect(spool.retryNowStamp() != nil, "releasing touches var/control/retry-now")
    }

    @Test("at a coordination node, hold and release act on the relay queue")
    func relayQueue() async throws {
        let queue = operations(.coordinationNode)
        let id = try await journalled(.relay, .stored)
        _ = try await queue.hold(id)
        #expect(try await state(id, .relay) == .held)
        _ = try await queue.release(id)
        #expect(try await state(id, .relay) == .stored)
    }

    @Test("a SED that does not wait is not held, and the error says what it is and what can be held")
    func holdRefused() async throws {
        let queue = operations(.accessPoint)
        let sent = try await journalled(.outbound, .sent)
        await #expect {
            try await queue.hold(sent)
        } throws: { error in
            let error = error as? SedgateError
            return error?.code == .notFound
                && error?.message == "SED \(sent) is sent here; only a SED that is accepted can be told to hold"
        }
        #expect(try await state(sent, .outbound) == .sent)
        let unknown = SEDID.random()
        await #expect {
            try await queue.release(unknown)
        } throws: { error in
            (error as? SedgateError)?.message
                == "node AP-BE has no waiting SED \(unknown); see `sedgate queue list`"
        }
    }

    @Test("at an access point, releasing a received SED that waits for earlier ones gives the missing ones up")
    func releaseWaiting() async throws {
        let queue = operations(.accessPoint)
        let id = try await journalled(.inbound, .waiting, seqNo: 4)
        let conversation = try #require(try await journal.record(id, .inbound)?.envelope.conversation)
        #expect(
            try await queue.release(id)
                == "SED \(id) lands within a second; SeqNo 1…3 are no longer waited for (they land if they come)")
        #expect(try await journal.lastSequence(.inbound, conversation: conversation) == 3)
    }

    @Test("at an access point, an expired SED fails with a report that says an operator expired it")
    func expireAtAccessPoint() async throws {
        let queue = operations(.accessPoint)
        let id = try await journalled(.outbound, .accepted)
        #expect(try await queue.expire(id) == "SED \(id) failed: expired by an operator at AP-BE")
        #expect(try await state(id, .outbound) == .failed)
        let reports = try FileManager.default.contentsOfDirectory(atPath: spool.reports)
        let report = try #require(reports.first { $0.contains(id.rawValue) && $0.contains("failed") })
        let text = try String(contentsOfFile: spool.reports + "/" + report, encoding: .utf8)
        #expect(text.contains("expired by an operator at AP-BE") && text.contains("expired"), "\(text)")
        await #expect(throws: SedgateError.self) { try await queue.expire(id) }
    }

    @Test("at a coordination node, an expired SED fails and its sender is sent a `failed` receipt")
    func expireAtCoordinationNode() async throws {
        let queue = operations(.coordinationNode)
        let id = try await journalled(.relay, .held)
        #expect(try await queue.expire(id) == "SED \(id) failed: expired by an operator at CN")
        #expect(try await state(id, .relay) == .failed)
        let receipts = try await journal.pendingSignals(peer: NodeID("AP-BE")!, limit: 10)
        #expect(receipts.map(\.sedId) == [id] && receipts.first?.kind == "failed")
        #expect(receipts.first?.code == "expired" && receipts.first?.node.rawValue == "CN")
        #expect(spool.retryNowStamp() != nil, "the receipt is sent without waiting for a backoff")
    }

    @Test("retry now touches the signal the running node's senders watch")
    func retryNow() throws {
        #expect(
            try operations(.coordinationNode).retryNow() == "node CN will retry everything that waits within a second")
        #expect(spool.retryNowStamp() != nil)
    }
}
