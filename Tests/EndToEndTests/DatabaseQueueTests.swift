// DatabaseQueueTests: the PostgreSQL queue, with real processes and a real server: a national application inserts
// SEDs into sedgate_outbound through a SIGKILL of its access point, they arrive as rows of the destination's
// sedgate_inbound through a SIGKILL of that one, and marking them taken routes each, once, back to the first table.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Database queue, real processes and PostgreSQL", .serialized)
struct DatabaseQueueTests {
    @Test(
        "10 rows inserted into sedgate_outbound through a kill of the sending AP arrive once each in the destination's sedgate_inbound; taken there through a kill of that AP, each is routed in the sender's row"
    )
    func roundTrip() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await exchange(postgres)
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    private func exchange(_ postgres: TestPostgres) async throws {
        try await postgres.psql("CREATE DATABASE ap_be")
        try await postgres.psql("CREATE DATABASE ap_dk")
        let directory = try TemporaryDirectory("e2e-database")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: """
                [inbound-routes.all]
                to = "database"
                """)
        defer { topology.abandon() }
        for (id, database) in [("AP-BE", "ap_be"), ("AP-DK", "ap_dk")] {
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: topology.node(id).config))
            handle.seekToEndOfFile()
            handle.write(
                Data(
                    """

                    [npap.database]
                    host = "127.0.0.1"
                    port = \(postgres.port)
                    user = "\(postgres.user)"
                    database = "\(database)"
                    poll-ms = 200

                    """.utf8))
            try handle.close()
        }
        try await topology.startAll()
        for database in ["ap_be", "ap_dk"] {
            try await Wait.until("\(database)'s tables", timeout: .seconds(60)) {
                (try? await postgres.psql("SELECT to_regclass('sedgate_inbound') IS NOT NULL", database: database))
                    == "t"
            }
        }
        let ids = (0..<10).map { _ in SEDID.random() }
        func insert(_ index: Int) async throws {
            let xml = String(decoding: SampleSED.make(sedId: ids[index], index: index), as: UTF8.self)
            try await postgres.psql(
                "INSERT INTO sedgate_outbound (sed_id, document) VALUES ('\(ids[index])', convert_to($sed$\(xml)$sed$, 'UTF8'))",
                database: "ap_be")
        }
        for index in 0..<5 { try await insert(index) }
        await topology.kill("AP-BE")
        for index in 5..<10 { try await insert(index) }
        try await topology.start("AP-BE")

        try await Wait.until("10 rows in AP-DK's sedgate_inbound", timeout: .seconds(120)) {
            (try? await postgres.psql("SELECT count(*) FROM sedgate_inbound", database: "ap_dk")) == "10"
        }
        await topology.kill("AP-DK")
        try await topology.start("AP-DK")
        let carried = try await postgres.psql(
            "SELECT count(*) FROM sedgate_inbound WHERE convert_from(document, 'UTF8') LIKE '%' || sed_id::text || '%'",
            database: "ap_dk")
        #expect(carried == "10", "each row holds its SED")
        try await postgres.psql("UPDATE sedgate_inbound SET state = 'taken'", database: "ap_dk")
        try await Wait.until("every sender row routed", timeout: .seconds(120)) {
            (try? await postgres.psql(
                "SELECT count(*) FROM sedgate_outbound WHERE state = 'routed'", database: "ap_be")) == "10"
        }
        #expect(try await postgres.psql("SELECT count(*) FROM sedgate_inbound", database: "ap_dk") == "10")
        #expect(
            try await postgres.psql(
                "SELECT count(*) FROM sedgate_inbound WHERE routed_at IS NOT NULL", database: "ap_dk") == "10")
        let sender = topology.node("AP-BE")
        #expect(ExchangeTests.files(sender.spool.rejected, suffix: "").isEmpty)
        #expect(ExchangeTests.files(sender.spool.reports, suffix: ".accepted.json").count == 10)
        #expect(ExchangeTests.files(sender.spool.reports, suffix: ".routed.json").count == 10)
        await topology.stopAll()
    }
}
