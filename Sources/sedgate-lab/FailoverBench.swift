// FailoverBench: `sedgate bench failover`: the CN as a cluster on PostgreSQL. It times, over several rounds, how
// long the network stops when the CN process forwarding to the destination is killed with SIGKILL (from the kill
// to the first SED committed after it landing at the destination), and compares the exchange's throughput with
// the CN on PostgreSQL against the CN on SQLite. Starts its own PostgreSQL (Debian's package) on loopback.

import ArgumentParser
import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool

/// `sedgate bench failover [--rounds N] [--lease-ms MS] [--count N]`.
struct FailoverBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "failover",
        abstract: "CN cluster on PostgreSQL: time from SIGKILL of the active CN process to the next SED delivered, "
            + "and exchange throughput on PostgreSQL against SQLite.")
    @Option(help: "How many times to kill the active CN process.")
    var rounds: Int = 5
    @Option(help: "The cluster's lease ([cluster] lease-ms): how long a killed process keeps its destinations.")
    var leaseMs: Int = 5_000
    @Option(help: "How many SEDs each throughput run sends (0: skip the throughput comparison).")
    var count: Int = 1_000
    @Option(help: "SEDs per second offered while the failovers are timed.")
    var rate: Double = 20

    func run() async throws {
        let postgres = try await TestPostgres.start()
        do {
            try await failovers(postgres)
            if count > 0 { try await throughput(postgres) }
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    /// Two CN processes; SEDs flow at `rate`; the holder of AP-DK's lease is killed, timed, restarted, `rounds` times.
    private func failovers(_ postgres: TestPostgres) async throws {
        let root = NSTemporaryDirectory() + "sedgate-failover-\(UUID().uuidString.prefix(8))"
        let url = "postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"
        let topology = try Topology.cluster(
            directory: root, executable: try nodeExecutable(), database: [url], processes: 2,
            leaseMilliseconds: leaseMs)
        defer {
            topology.abandon()
            try? FileManager.default.removeItem(atPath: root)
        }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        var index = 0
        var times: [Duration] = []
        for round in 1...rounds {
            // Traffic flows, and some process holds AP-DK's lease.
            var holder = ""
            let deadline = ContinuousClock.now + .seconds(60)
            while holder.isEmpty || arrivals(receiver).isEmpty {
                guard ContinuousClock.now < deadline else { throw ValidationError("no SED flows; logs in \(root)") }
                try commit(sender, &index)
                try await Task.sleep(for: .nanoseconds(Int64(1e9 / rate)))
                holder = (try? await postgres.psql("SELECT holder FROM cn_lease WHERE peer = 'AP-DK'")) ?? ""
            }
            guard
                let victim = ["CN", "CN2"].first(where: { id in
                    topology.pid(id).map { holder.contains("-\($0)-") } ?? false
                })
            else { throw ValidationError("the lease holder \(holder) is none of the CN processes") }
            let killedAt = ContinuousClock.now
            await topology.kill(victim)
            let firstAfter = index
            var landed: ContinuousClock.Instant?
            while landed == nil {
                guard ContinuousClock.now - killedAt < .seconds(120) else {
                    throw ValidationError("nothing was delivered within 120 s of the kill; logs in \(root)")
                }
                try commit(sender, &index)
                try await Task.sleep(for: .nanoseconds(Int64(1e9 / rate)))
                if arrivals(receiver).contains(where: { $0 >= firstAfter }) { landed = .now }
            }
            let took = landed! - killedAt
            times.append(took)
            print("round \(round): killed \(victim) (held AP-DK); next SED delivered after \(Self.seconds(took))")
            try await topology.start(victim)
        }
        await topology.stopAll()
        let sorted = times.sorted()
        print(
            "sedgate bench failover: \(rounds) SIGKILLs of the active CN process of 2, lease \(leaseMs) ms, "
                + String(format: "%.0f", rate) + " SEDs/s offered")
        print(
            "kill → next SED delivered: median \(Self.seconds(sorted[sorted.count / 2]))  max \(Self.seconds(sorted.last!))"
                + "  (goal: under 10 s)")
    }

    /// The same exchange benchmark on a CN with SQLite, one CN process on PostgreSQL, and two (a lone server with
    /// `fsync = off`, as the tests run it), then two on a durable primary with a synchronous standby.
    private func throughput(_ postgres: TestPostgres) async throws {
        let exchange = try ExchangeBench.parse(["--count", "\(count)"])
        print("\n--- CN on SQLite (the default) ---")
        try await withBenchTopology(directory: nil, label: "failover-sqlite") { try await exchange.measure($0) }
        let url = "postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"
        for processes in [1, 2] {
            print("\n--- CN on PostgreSQL, \(processes) process\(processes == 1 ? "" : "es") ---")
            let database = "bench\(processes)"
            try await postgres.psql("CREATE DATABASE \(database)")
            let root = NSTemporaryDirectory() + "sedgate-failover-pg-\(UUID().uuidString.prefix(8))"
            let topology = try Topology.cluster(
                directory: root, executable: try nodeExecutable(), database: [String(url.dropLast(8)) + database],
                processes: processes)
            defer {
                topology.abandon()
                try? FileManager.default.removeItem(atPath: root)
            }
            try await topology.startAll()
            try await exchange.measure(topology)
        }
        // The set-up the README recommends: fsync on, every commit waiting for a synchronous standby.
        print("\n--- CN on PostgreSQL, 2 processes, fsync on, a synchronous standby ---")
        let replicated = try await ReplicatedPostgres.start(synchronous: true, durable: true)
        do {
            let root = NSTemporaryDirectory() + "sedgate-failover-sync-\(UUID().uuidString.prefix(8))"
            let topology = try Topology.cluster(
                directory: root, executable: try nodeExecutable(), database: replicated.urls, processes: 2)
            defer {
                topology.abandon()
                try? FileManager.default.removeItem(atPath: root)
            }
            try await topology.startAll()
            try await exchange.measure(topology)
        } catch {
            await replicated.stop()
            throw error
        }
        await replicated.stop()
    }

    /// Commits one SED at `sender`, numbered `index` in its name.
    private func commit(_ sender: Topology.Node, _ index: inout Int) throws {
        let name = String(format: "fo-%06d.xml", index)
        let hidden = "\(sender.spool.outbound)/.\(name)"
        try Data(SampleSED.make(sedId: .random(), size: 2_000, index: index)).write(to: URL(fileURLWithPath: hidden))
        guard rename(hidden, "\(sender.spool.outbound)/\(name)") == 0 else {
            throw ValidationError("cannot commit \(name)")
        }
        index += 1
    }

    /// The indexes of the SEDs landed at `receiver` (a sample SED's case number ends with its index).
    private func arrivals(_ receiver: Topology.Node) -> [Int] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: receiver.spool.inbound)) ?? []
        return names.compactMap { name in
            guard let data = FileManager.default.contents(atPath: receiver.spool.inbound + "/" + name) else {
                return nil
            }
            return Self.index(in: String(decoding: data, as: UTF8.self))
        }
    }

    static func index(in document: String) -> Int? {
        guard let start = document.range(of: "<CaseId>c0ffee00-0000-4000-8000-") else { return nil }
        return Int(document[start.upperBound...].prefix(12))
    }

    static func seconds(_ duration: Duration) -> String {
        String(
            format: "%.2f s",
            Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
    }
}
