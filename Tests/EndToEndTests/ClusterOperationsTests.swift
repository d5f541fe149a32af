// ClusterOperationsTests: statistics and queue gauges on a CN cluster (real `sedgate cn` processes on a real
// PostgreSQL). Each process harvests the shared database's events into its own statistics, so `sedgate stats` and
// the operator port's hop histogram at either process count every SED the cluster relayed, whichever process
// stored or forwarded it; the queue gauges and `sedgate queue shape` read the database's queues.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("CN cluster statistics and queue gauges, real processes", .serialized)
struct ClusterOperationsTests {
    @Test("two CN processes relay 40 SEDs: `sedgate stats` and /metrics' cn-forward hop at each count all 40")
    func statisticsAtEachProcess() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await relay(postgres)
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    @Test(
        "12 SEDs wait for a destination that is down: both CN processes' queue gauges and `queue shape` show them; once it is back, 0"
    )
    func queueGaugesAtEachProcess() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await queue(postgres)
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    private func queue(_ postgres: TestPostgres) async throws {
        let total = 12
        let directory = try TemporaryDirectory("e2e-cluster-queue")
        let topology = try Topology.cluster(
            directory: directory.path, executable: try SedgateBinary.path(),
            database: ["postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"], processes: 2)
        defer { topology.abandon() }
        var ports: [String: Int] = [:]
        for id in ["CN", "CN2"] { ports[id] = try OperationsTests.addOperatorPort(topology.node(id)) }
        for id in ["CN", "CN2", "AP-BE"] { try await topology.start(id) }
        let sender = topology.node("AP-BE")
        _ = try ExchangeTests.commit(total, to: sender, prefix: "q", round: 0)
        let waiting = ["direction": "relay", "destination": "AP-DK"]
        for id in ["CN", "CN2"] {
            let port = ports[id]!
            try await Wait.until("\(id)'s queue gauge for AP-DK to show every SED", timeout: .seconds(60)) {
                let samples = OperationsTests.parse(try await OperationsTests.get(port, "/metrics").body)
                return OperationsTests.value(samples, "sedgate_queue_depth", waiting) == Double(total)
            }
            let samples = OperationsTests.parse(try await OperationsTests.get(port, "/metrics").body)
            #expect(
                OperationsTests.value(samples, "sedgate_journal_seds", ["direction": "relay", "state": "stored"])
                    == Double(total), "\(id)")
            #expect((OperationsTests.value(samples, "sedgate_queue_oldest_seconds", waiting) ?? -1) >= 0, "\(id)")
            let health = try await OperationsTests.get(port, "/health")
            #expect(health.status == 200, "\(id): \(health.body)")
            let shape = try await OperationsTests.sedgate(["queue", "shape", "--config", topology.node(id).config])
            #expect(shape.status == 0, "\(shape.output)")
            let row = shape.output.split(separator: "\n").first { $0.hasPrefix("relay/AP-DK ") }
            #expect(row?.split(separator: " ").dropFirst().first == "\(total)", "\(id): \(shape.output)")
        }
        try await topology.start("AP-DK")
        try await Wait.progressing("every SED to be delivered", to: total) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        for id in ["CN", "CN2"] {
            let port = ports[id]!
            try await Wait.until("\(id)'s queue gauge for AP-DK to read 0", timeout: .seconds(30)) {
                let samples = OperationsTests.parse(try await OperationsTests.get(port, "/metrics").body)
                return OperationsTests.value(samples, "sedgate_queue_depth", waiting) == 0
            }
        }
        await topology.stopAll()
    }

    private func relay(_ postgres: TestPostgres) async throws {
        let total = 40
        let directory = try TemporaryDirectory("e2e-cluster-stats")
        let topology = try Topology.cluster(
            directory: directory.path, executable: try SedgateBinary.path(),
            database: ["postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"], processes: 2)
        defer { topology.abandon() }
        var ports: [String: Int] = [:]
        for id in ["CN", "CN2"] {
            ports[id] = try OperationsTests.addOperatorPort(topology.node(id), extra: "[statistics]\nharvest-s = 1")
        }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let committed = try ExchangeTests.commit(total, to: sender, prefix: "s", round: 0)
        #expect(committed.count == total)
        try await Wait.progressing("every SED to be delivered", to: total) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count
        }
        #expect(try await postgres.psql("SELECT count(*) FROM cn_message WHERE state = 'forwarded'") == "\(total)")

        for id in ["CN", "CN2"] {
            // The operator port's histogram fills from the process's own harvest (every second here).
            let port = ports[id]!
            try await Wait.until("\(id)'s cn-forward hop to count every SED", timeout: .seconds(60)) {
                let samples = OperationsTests.parse(try await OperationsTests.get(port, "/metrics").body)
                return OperationsTests.value(samples, "sedgate_hop_latency_seconds_count", ["hop": "cn-forward"])
                    == Double(total)
            }
            let stats = try await OperationsTests.sedgate([
                "stats", "--config", topology.node(id).config, "--by", "direction,state,receiving-ap", "--format",
                "csv",
            ])
            #expect(stats.status == 0, "\(stats.output)")
            let lines = stats.output.split(separator: "\n").map(String.init)
            #expect(lines.count == 2, "one group at \(id): \(stats.output)")
            #expect(
                lines.dropFirst().first?.hasPrefix("relay,forwarded,AP-DK,\(total),") == true,
                "\(id): \(stats.output)")
        }
        await topology.stopAll()
        // Without a running process: `sedgate stats` harvests from the database itself.
        let again = try await OperationsTests.sedgate([
            "stats", "--config", topology.node("CN2").config, "--by", "state", "--format", "csv",
        ])
        #expect(again.status == 0 && again.output.contains("forwarded,\(total),"), "\(again.output)")
    }
}
