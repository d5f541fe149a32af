// ClusterTests: the coordination node as a cluster of `sedgate cn` processes on PostgreSQL (real processes, real
// PostgreSQL servers from Debian's package on loopback). One process on PostgreSQL exchanges as one on SQLite;
// two processes share the work, survive random SIGKILLs of either, and the loss of the database primary (its
// synchronous standby promoted): every SED arrives exactly once and in order, nothing acknowledged is lost.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("CN cluster on PostgreSQL, real processes", .serialized)
struct ClusterTests {
    static func count(_ node: Topology.Node, _ state: String) -> Int {
        ExchangeTests.files(node.spool.reports, suffix: ".\(state).json").count
    }

    @Test("one CN process on PostgreSQL: 60 SEDs delivered once each, in order, through a SIGKILL of the CN")
    func singleProcess() async throws {
        let postgres = try await TestPostgres.start()
        do {
            let directory = try TemporaryDirectory("e2e-cluster-one")
            let topology = try Topology.cluster(
                directory: directory.path, executable: try SedgateBinary.path(),
                database: ["postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"], processes: 1)
            defer { topology.abandon() }
            try await topology.startAll()
            let sender = topology.node("AP-BE")
            let receiver = topology.node("AP-DK")
            var committed = try ExchangeTests.commit(30, to: sender, prefix: "a", round: 0)
            try await Wait.progressing("the first SEDs to be delivered", to: 10) { Self.count(sender, "delivered") }
            await topology.kill("CN")
            committed += try ExchangeTests.commit(30, to: sender, prefix: "b", round: 1)
            try await topology.start("CN")
            try await Wait.progressing("every SED to be delivered", to: 60) { Self.count(sender, "delivered") }
            await topology.stopAll()
            try ExchangeTests.verify(committed, sender: sender, receiver: receiver)
            try await ExchangeTests.verifyOrder(receiver, conversations: 30)
            // The journal is the database's.
            let relayed = try await postgres.psql("SELECT count(*) FROM cn_message WHERE state = 'forwarded'")
            #expect(relayed == "60")
            #expect(try await postgres.psql("SELECT count(*) FROM cn_payload") == "0", "forwarded SEDs' bytes dropped")
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    @Test(
        "an AP in pull mode pulls from two CN processes: the one it pulls from is killed, it pulls from the other; 90 SEDs once each, in order"
    )
    func pullFailover() async throws {
        let postgres = try await TestPostgres.start()
        do {
            let directory = try TemporaryDirectory("e2e-cluster-pull")
            let topology = try Topology.cluster(
                directory: directory.path, executable: try SedgateBinary.path(),
                database: ["postgres://\(postgres.user)@127.0.0.1:\(postgres.port)/postgres"], processes: 2,
                pullAccessPoints: ["AP-DK"])
            defer { topology.abandon() }
            try await topology.startAll()
            let sender = topology.node("AP-BE")
            let receiver = topology.node("AP-DK")
            var committed = try ExchangeTests.commit(45, to: sender, prefix: "a", round: 0)
            try await Wait.progressing("the first SEDs to be delivered", to: 15) { Self.count(sender, "delivered") }
            // The AP pulls from the first URL of its list: that process holds AP-DK's queue. It is gone for good.
            let holder = try await postgres.psql("SELECT holder FROM cn_lease WHERE peer = 'AP-DK'")
            #expect(topology.pid("CN").map { holder.contains("-\($0)-") } ?? false, "CN serves the pulls: \(holder)")
            await topology.kill("CN")
            committed += try ExchangeTests.commit(45, to: sender, prefix: "b", round: 1)
            try await Wait.progressing("every SED to be delivered", to: 90) { Self.count(sender, "delivered") }
            await topology.stopAll()
            try ExchangeTests.verify(committed, sender: sender, receiver: receiver)
            try await ExchangeTests.verifyOrder(receiver, conversations: 45)
            let text = (try? String(contentsOfFile: topology.directory + "/cn2.log", encoding: .utf8)) ?? ""
            #expect(text.contains("took over forwarding to a destination"), "CN2 took AP-DK's queue over")
        } catch {
            await postgres.stop()
            throw error
        }
        await postgres.stop()
    }

    @Test(
        "two CN processes on one PostgreSQL with a synchronous standby: SEDs through random SIGKILLs of either process, then the primary killed and the standby promoted: none lost, none twice, all in order"
    )
    func killsAndFailover() async throws {
        let seed =
            ProcessInfo.processInfo.environment["SEDGATE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...1_000_000)
        print("cluster fault injection seed: \(seed) (replay with SEDGATE_SEED=\(seed))")
        var random = FaultInjectionTests.Seeded(state: seed)
        let database = try await ReplicatedPostgres.start(synchronous: true)
        do {
            try await exchange(database, &random)
        } catch {
            await database.stop()
            throw error
        }
        await database.stop()
    }

    @Test(
        "two CN processes, the database primary stops answering mid-traffic (SIGSTOP: a lost machine whose TCP stays up) and the standby is promoted: 200 SEDs delivered once each, in order"
    )
    func stoppedPrimaryFailover() async throws {
        let database = try await ReplicatedPostgres.start(synchronous: true)
        do {
            try await stoppedPrimary(database)
        } catch {
            database.signalPrimary(SIGCONT)
            await database.stop()
            throw error
        }
        database.signalPrimary(SIGCONT)
        await database.stop()
    }

    private func stoppedPrimary(_ database: ReplicatedPostgres) async throws {
        let directory = try TemporaryDirectory("e2e-cluster-stopped")
        // Statements the stopped primary leaves unanswered fail after 3 s (the default is 30 s).
        let topology = try Topology.cluster(
            directory: directory.path, executable: try SedgateBinary.path(), database: database.urls, processes: 2,
            coordinationNodeSettings: "statement-timeout-ms = 3000\nconnect-timeout-ms = 1000")
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        var committed = try ExchangeTests.commit(100, to: sender, prefix: "a", round: 0)
        try await Wait.progressing("30 sent reports", to: 30, interval: .milliseconds(5)) { Self.count(sender, "sent") }
        database.signalPrimary(SIGSTOP)
        let acknowledged = Self.count(sender, "sent")
        print("primary stopped with \(acknowledged) SEDs acknowledged by the CN")
        try await database.promote()
        committed += try ExchangeTests.commit(100, to: sender, prefix: "b", round: 1)
        try await Wait.progressing("every SED to be delivered", to: committed.count, interval: .milliseconds(100)) {
            Self.count(sender, "delivered")
        }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: receiver)
        try await ExchangeTests.verifyOrder(receiver, conversations: 100)
        #expect(Self.count(sender, "rejected") == 0)
        #expect(Self.count(sender, "failed") == 0)
        let logs = ["cn.log", "cn2.log"].map {
            (try? String(contentsOfFile: topology.directory + "/" + $0, encoding: .utf8)) ?? ""
        }
        #expect(logs.contains { $0.contains("did not answer") }, "a statement to the stopped primary timed out")
        #expect(logs.contains { $0.contains("the cluster database moved") }, "the processes found the new primary")
    }

    private func exchange(_ database: ReplicatedPostgres, _ random: inout FaultInjectionTests.Seeded) async throws {
        let directory = try TemporaryDirectory("e2e-cluster")
        let topology = try Topology.cluster(
            directory: directory.path, executable: try SedgateBinary.path(), database: database.urls, processes: 2)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        // `make test` sends 400 SEDs (4 kills); `make soak` 2,000 (SEDGATE_CLUSTER_SEDS).
        let total = ProcessInfo.processInfo.environment["SEDGATE_CLUSTER_SEDS"].flatMap(Int.init) ?? 400
        let batches = max(1, total / 100) - 1
        var committed: [ExchangeTests.Committed] = []
        for batch in 0..<batches {
            committed += try ExchangeTests.commit(100, to: sender, prefix: "b\(batch)", round: batch)
            let progress = ["sent", "delivered"].randomElement(using: &random)!
            let target = committed.count - 100 + Int.random(in: 1...60, using: &random)
            try await Wait.progressing("\(target) \(progress) reports", to: target, interval: .milliseconds(5)) {
                Self.count(sender, progress)
            }
            // The first kill is of the process forwarding to AP-DK (the holder of its lease), and it stays down
            // until the other process holds that lease: the other must take its work over. Later kills are random.
            let forwarder = { () async throws -> String? in
                let holder = try await database.psql(
                    "SELECT holder FROM cn_lease WHERE peer = 'AP-DK'", port: database.primaryPort)
                return ["CN", "CN2"].first { id in topology.pid(id).map { holder.contains("-\($0)-") } ?? false }
            }
            var victim = ["CN", "CN2"].randomElement(using: &random)!
            if batch == 0 {
                try await Wait.until("a CN process to hold AP-DK's lease", timeout: .seconds(60)) {
                    try await forwarder() != nil
                }
                victim = try await forwarder() ?? victim
            }
            print("batch \(batch): SIGKILL \(victim) at \(Self.count(sender, progress)) \(progress)")
            await topology.kill(victim)
            if batch == 0 {
                let other = victim == "CN" ? "CN2" : "CN"
                try await Wait.until("\(other) to take AP-DK's lease over", timeout: .seconds(60)) {
                    try await forwarder() == other
                }
            }
            try await topology.start(victim)
        }

        // The database's primary is lost mid-traffic; an operator promotes the standby. What the CN acknowledged
        // (a `sent` report at the AP) before the loss is on the standby.
        committed += try ExchangeTests.commit(100, to: sender, prefix: "last", round: batches)
        let target = committed.count - 100 + Int.random(in: 10...50, using: &random)
        try await Wait.progressing("\(target) sent reports", to: target, interval: .milliseconds(5)) {
            Self.count(sender, "sent")
        }
        try await database.killPrimary()
        let acknowledged = Self.count(sender, "sent")
        print("primary killed with \(acknowledged) SEDs acknowledged by the CN")
        try await database.promote()
        let kept = Int(try await database.psql("SELECT count(*) FROM cn_message", port: database.standbyPort)) ?? 0
        #expect(kept >= acknowledged, "every SED the CN acknowledged is on the promoted standby")

        try await Wait.progressing("every SED to be delivered", to: committed.count, interval: .milliseconds(100)) {
            Self.count(sender, "delivered")
        }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: receiver)
        try await ExchangeTests.verifyOrder(receiver, conversations: 100)
        #expect(Self.count(sender, "rejected") == 0)
        #expect(Self.count(sender, "failed") == 0)
        // Both processes forwarded to AP-DK in turn.
        for log in ["cn.log", "cn2.log"] {
            let text = (try? String(contentsOfFile: topology.directory + "/" + log, encoding: .utf8)) ?? ""
            #expect(text.contains("took over forwarding to a destination"), "\(log) shows its process forwarding")
        }
    }
}
