// FaultInjectionTests: 1,000 SEDs cross AP-BE → CN → AP-DK while nodes are killed with SIGKILL at random
// moments and restarted, and the network between the CN and AP-DK is cut for a while: at the end every SED has arrived exactly once,
// byte-identical in content, in the order of its conversation, and every report tells the truth. The seed is printed; SEDGATE_SEED replays it.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Fault injection, real processes", .serialized)
struct FaultInjectionTests {
    /// A small, seedable random generator (SplitMix64), so a failing run can be replayed.
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func count(_ node: Topology.Node, _ state: String) -> Int {
        ExchangeTests.files(node.spool.reports, suffix: ".\(state).json").count
    }

    @Test("1,050 SEDs through 6 random SIGKILLs of every node and a network cut: none lost, none twice, all in order")
    func randomKills() async throws {
        let seed =
            ProcessInfo.processInfo.environment["SEDGATE_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...1_000_000)
        print("fault injection seed: \(seed) (replay with SEDGATE_SEED=\(seed))")
        var random = Seeded(state: seed)
        let directory = try TemporaryDirectory("e2e-faults")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(), relayedAccessPoints: ["AP-DK"])
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        // The short form runs in `make test`; `make soak` sets a long one (SEDGATE_FAULT_BATCHES, _KILLS).
        let batches = ProcessInfo.processInfo.environment["SEDGATE_FAULT_BATCHES"].flatMap(Int.init) ?? 10
        let kills = ProcessInfo.processInfo.environment["SEDGATE_FAULT_KILLS"].flatMap(Int.init) ?? 6
        let total = batches * 100
        var committed: [ExchangeTests.Committed] = []

        // Ten batches of 100; after each of the first six, one node dies at a random point of the traffic
        // that follows and comes straight back. Files committed while AP-BE is down wait in outbound/.
        for batch in 0..<batches {
            committed += try ExchangeTests.commit(100, to: sender, prefix: "b\(batch)", round: batch)
            // Kills spread over the run: after every `every`-th batch, `kills` times in all.
            let every = max(1, batches / max(1, kills))
            if batch % every == 0 && batch / every < kills {
                let victim = ["CN", "AP-BE", "AP-DK"].randomElement(using: &random)!
                let progress = ["accepted", "sent", "delivered"].randomElement(using: &random)!
                let target = committed.count - 100 + Int.random(in: 1...60, using: &random)
                try await Wait.progressing("\(target) \(progress) reports", to: target, interval: .milliseconds(5)) {
                    Self.count(sender, progress)
                }
                print("batch \(batch): SIGKILL \(victim) at \(Self.count(sender, progress)) \(progress)")
                await topology.kill(victim)
                try await topology.start(victim)
            }
        }

        // A network cut: the link between the CN and AP-DK breaks (both keep running) while SEDs keep arriving at
        // the CN; they wait there and flow when the link is mended.
        topology.cut("AP-DK")
        committed += try ExchangeTests.commit(50, to: sender, prefix: "cut", round: batches)
        try await Wait.progressing("the SEDs sent during the cut to reach the CN", to: total + 50) {
            Self.count(sender, "sent")
        }
        #expect(Self.count(sender, "delivered") < total + 50, "nothing crosses a cut link")
        topology.restore("AP-DK")

        try await Wait.progressing("every SED to be delivered", to: total + 50, interval: .milliseconds(100)) {
            Self.count(sender, "delivered")
        }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: receiver)
        // Every case's SEDs landed in the order they were committed, through every kill, retry and the cut.
        try await ExchangeTests.verifyOrder(receiver, conversations: 100)
        // Every report tells the truth: each file was accepted, sent and delivered; nothing rejected or failed.
        let reports = (try? FileManager.default.contentsOfDirectory(atPath: sender.spool.reports)) ?? []
        for state in ["accepted", "sent", "delivered"] {
            let missing = committed.map(\.name).filter { name in
                !reports.contains { $0.hasPrefix(name + ".") && $0.hasSuffix(".\(state).json") }
            }
            #expect(missing.isEmpty, "no \(state) report for \(missing)")
        }
        #expect(Self.count(sender, "rejected") == 0)
        #expect(Self.count(sender, "failed") == 0)
    }
}
