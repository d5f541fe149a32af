// ClusterHarvestTests: the statistics harvest from the cluster journal against a real PostgreSQL (Debian's, started
// on loopback), when event ids commit out of order: a transaction takes its event id, a later one commits a
// higher id, a harvest reads past both; once the first commits, the next harvest still counts its change.

import ClusterStore
import Foundation
import Logging
import Operations
import SedgateCore
import SedgateTesting
import Testing

@Suite("Cluster statistics harvest, real PostgreSQL")
struct ClusterHarvestTests {
    @Test("an event committed after a harvest read past its id is harvested the next time")
    func lateCommit() async throws {
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
        let spool = try TemporaryDirectory("cluster-harvest")
        try FileManager.default.createDirectory(
            atPath: spool.appending("var/store"), withIntermediateDirectories: true)
        let settings = ClusterSettings(
            endpoints: [try #require(.init(url: "postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"))])
        let journal = ClusterJournal(settings: settings, spoolRoot: spool.path, logger: Logger(label: "test"))
        do {
            try await harvest(journal, postgres, spool)
        } catch {
            await journal.close()
            throw error
        }
        await journal.close()
    }

    private func harvest(
        _ journal: ClusterJournal, _ postgres: TestPostgres, _ spool: TemporaryDirectory
    )
        async throws
    {
        try await journal.prepare()
        let statistics = try StatisticsStore(path: spool.appending("var/statistics.sqlite"))
        func store(_ id: SEDID) async throws {
            let path = "var/store/relay-\(id).sealed"
            try Data("sealed \(id)".utf8).write(to: URL(fileURLWithPath: spool.appending(path)))
            let record = MessageRecord(
                sedId: id, direction: .relay, state: .stored, file: nil, peer: NodeID("AP-DK")!,
                origin: NodeID("AP-BE")!, envelope: try ClusterJournalTests.envelope(nil), payloadPath: path,
                size: 20)
            #expect(try await journal.insert(record, ticket: nil, detail: nil))
        }
        let (first, late, last) = (SEDID.random(), SEDID.random(), SEDID.random())
        try await store(first)
        try await store(late)
        // Another process forwards `late`: its transaction takes an event id and stays open a while.
        let forwarding = Task {
            try await postgres.psql(
                """
                BEGIN;
                INSERT INTO cn_event (sed_id, direction, state, at)
                    VALUES ('\(late.rawValue)', 'relay', 'forwarded', '\(Timestamp.now())');
                UPDATE cn_message SET state = 'forwarded' WHERE sed_id = '\(late.rawValue)' AND direction = 'relay';
                SELECT pg_sleep(4);
                COMMIT;
                """)
        }
        try await Task.sleep(for: .seconds(1))
        try await store(last)
        #expect(try await statistics.harvest(journal) == 3)
        #expect(
            try await statistics.query(from: nil, to: nil, by: ["state"]).rows.map { Array($0.prefix(2)) } == [
                ["stored", "3"]
            ])
        _ = try await forwarding.value
        let order = try await postgres.psql(
            """
            SELECT (SELECT max(id) FROM cn_event WHERE sed_id = '\(late.rawValue)')
                < (SELECT max(id) FROM cn_event WHERE sed_id = '\(last.rawValue)')
            """)
        #expect(order == "t", "the forwarded event's id is below the last one's: it committed out of order")
        try await statistics.harvest(journal)
        #expect(
            try await statistics.query(from: nil, to: nil, by: ["state"]).rows.map { Array($0.prefix(2)) } == [
                ["forwarded", "1"], ["stored", "2"],
            ])
    }
}
