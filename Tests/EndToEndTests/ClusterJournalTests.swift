// ClusterJournalTests: the cluster journal's queues read by interaction against a real PostgreSQL (Debian's,
// started on loopback): a destination's SYNC SEDs apart from its batches, each in journal order, and the requests
// of one interaction after a position; the queue is read only under the destination's lease.

import ClusterStore
import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Testing

@Suite("Cluster journal, real PostgreSQL")
struct ClusterJournalTests {
    static func envelope(_ interaction: String?) throws -> Envelope {
        var fields: [EnvelopeField: String] = [
            .sedType: "H001", .sedVersion: "4.2", .sector: "HZ", .bucType: "H_BUC_01",
            .caseId: "c0ffee00-0000-4000-8000-000000000001", .sender: "BE:0001", .receiver: "DK:0002",
        ]
        if let interaction { fields[.interaction] = interaction }
        return try Envelope(fields: fields)
    }

    @Test("a destination's SYNC SEDs are read apart from its batches, each in journal order")
    func recordsByInteraction() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await check(postgres)
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    private func check(_ postgres: TestPostgres) async throws {
        let spool = try TemporaryDirectory("cluster-journal")
        try FileManager.default.createDirectory(
            atPath: spool.appending("var/store"), withIntermediateDirectories: true)
        let settings = ClusterSettings(
            endpoints: [try #require(.init(url: "postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"))])
        let journal = ClusterJournal(settings: settings, spoolRoot: spool.path, logger: Logger(label: "test"))
        do {
            try await fill(journal, spool, settings.endpoints)
        } catch {
            await journal.close()
            throw error
        }
        await journal.close()
    }

    private func fill(
        _ journal: ClusterJournal, _ spool: TemporaryDirectory, _ endpoints: [ClusterSettings.Endpoint]
    ) async throws {
        try await journal.prepare()
        let peer = try #require(NodeID("AP-DK"))
        var ids: [(SEDID, Interaction)] = []
        for interaction in ["ASYNC", "SYNC", nil, "SYNC"] {
            let id = SEDID.random()
            let path = "var/store/relay-\(id).sealed"
            try Data("sealed \(id)".utf8).write(to: URL(fileURLWithPath: spool.appending(path)))
            let envelope = try Self.envelope(interaction)
            let record = MessageRecord(
                sedId: id, direction: .relay, state: .stored, file: nil, peer: peer, origin: NodeID("AP-BE")!,
                envelope: envelope, payloadPath: path, size: 20)
            #expect(try await journal.insert(record, ticket: nil, detail: nil))
            ids.append((id, envelope.interaction))
        }
        let sync = try await journal.records(.relay, in: .stored, peer: peer, interaction: .sync, limit: 10)
        #expect(sync.map(\.sedId) == ids.filter { $0.1 == .sync }.map(\.0))
        let batches = try await journal.records(.relay, in: .stored, peer: peer, interaction: .async, limit: 10)
        #expect(batches.map(\.sedId) == ids.filter { $0.1 == .async }.map(\.0))
        #expect(batches.count == 2)
        let first = try #require(sync.first)
        let later = try await journal.records(.relay, interaction: .sync, after: first.seq, limit: 10)
        #expect(later.map(\.sedId) == [ids[3].0])
        // The queue is this process's: another holder finds it taken.
        let other = ClusterJournal(
            settings: ClusterSettings(endpoints: endpoints, holder: "another"), spoolRoot: spool.path,
            logger: Logger(label: "other"))
        let taken = try await other.records(.relay, in: .stored, peer: peer, interaction: .sync, limit: 10)
        await other.close()
        #expect(taken.isEmpty)
    }
}
