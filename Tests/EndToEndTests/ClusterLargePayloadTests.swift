// ClusterLargePayloadTests: a large payload's fragments through a CN cluster. The process taking the fragments is
// killed midway; the access point fails over to the other process, which receives the rest and the SED: it takes
// the SED only with every fragment, so the ones the dead process received must come from the database
// (`cn_fragment`), and so must the forwarding process's. Real processes, a real PostgreSQL.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("CN cluster on PostgreSQL, large payloads, real processes", .serialized)
struct ClusterLargePayloadTests {
    @Test(
        "a 16 MiB enclosure crosses a CN cluster byte-identical although the process taking its fragments is killed midway"
    )
    func fragmentsSurviveTheLossOfAProcess() async throws {
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
        let directory = try TemporaryDirectory("e2e-cluster-large")
        let topology = try Topology.cluster(
            directory: directory.path, executable: try SedgateBinary.path(),
            database: ["postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"], processes: 2,
            accessPointSettings: "[pack]\nfragment-above-kb = 1024\nfragment-kb = 256\n")
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        // The destination is away: the SED stays at the CN until the first process is gone.
        await topology.kill("AP-DK")

        let sedId = SEDID.random()
        let name = "scan-0002.tiff"
        try Data(LargePayloadTests.sidecar(sedId: sedId).utf8).write(
            to: URL(fileURLWithPath: "\(sender.spool.outbound)/\(name).envelope"))
        let staged = directory.appending("staged.tiff")
        let digest = try LargePayloadTests.writeRandom(staged, megabytes: 16)
        #expect(rename(staged, "\(sender.spool.outbound)/\(name)") == 0)

        // The access point tries the first process first: kill it once it holds some of the 64 fragments.
        let first = "\(topology.node("CN").spool.store)/frag-\(sedId)"
        try await Wait.until("CN to hold its first fragments", timeout: .seconds(120), interval: .milliseconds(5)) {
            LargePayloadTests.fragments(in: first) >= 8
        }
        await topology.kill("CN")
        #expect(LargePayloadTests.fragments(in: first) < 64, "the fragments all went before the kill")
        try await Wait.until("CN2 to take the SED", timeout: .seconds(180)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).sent.json").isEmpty
        }
        #expect(ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).failed.json").isEmpty)

        // Both processes forward again; whichever holds the destination's lease reads the fragments it lacks.
        try await topology.start("CN")
        try await topology.start("AP-DK")
        try await Wait.until("the enclosure to be delivered", timeout: .seconds(180)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).delivered.json").isEmpty
        }
        await topology.stopAll()

        let landed = ExchangeTests.files(receiver.spool.inbound, suffix: ".tiff")
        #expect(landed.count == 1, "\(landed)")
        let file = try #require(landed.first)
        #expect(try LargePayloadTests.sha256(of: "\(receiver.spool.inbound)/\(file)") == digest, "byte-identical")
        #expect(try await postgres.psql("SELECT count(*) FROM cn_fragment") == "0", "forwarded fragments dropped")
    }
}
