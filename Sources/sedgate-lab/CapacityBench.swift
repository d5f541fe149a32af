// CapacityBench: `sedgate bench capacity`: the CN holds N SEDs for an access point that is offline, then
// delivers them all when it returns. Prints the enqueue and drain rates per tenth of the run (so growth with
// queue depth shows), the time to drain, and the disk the queue used. A measurement, not a test.

import ArgumentParser
import Foundation
import SedgateCore
import SedgateTesting
import Spool

/// `sedgate bench capacity [--count N]`.
struct CapacityBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Queue N SEDs at the CN for an offline AP, then drain them; rates per tenth and disk used.")
    @Option(help: "How many SEDs to queue (the tender asks for 250,000).")
    var count: Int = 10_000
    @Option(help: "Approximate size of each SED in bytes.")
    var size: Int = 5_000
    @Option(help: "Where to build the topology (default: a fresh temporary folder, removed afterwards).")
    var directory: String?

    func run() async throws {
        try await withBenchTopology(
            directory: directory, label: "capacity",
            coordinationNodeSettings: "[limits]\nmax-queued = \(count + 1)\n"
        ) { topology in try await measure(topology) }
    }

    /// Queues the SEDs with AP-DK offline, then lets it return and times the drain.
    func measure(_ topology: Topology) async throws {
        let sender = topology.node("AP-BE")
        let cn = topology.node("CN")
        await topology.kill("AP-DK")

        // Commit in slices of 1,000 (as batch jobs do), so outbound/ never holds the whole run at once.
        let start = ContinuousClock.now
        var committed = 0
        while committed < count {
            let slice = min(1_000, count - committed)
            for index in committed..<(committed + slice) {
                let name = String(format: "cap-%07d.xml", index)
                let hidden = "\(sender.spool.outbound)/.\(name)"
                try Data(SampleSED.make(sedId: .random(), size: size, index: index)).write(
                    to: URL(fileURLWithPath: hidden))
                rename(hidden, "\(sender.spool.outbound)/\(name)")
            }
            committed += slice
            try await Wait.until("the slice to be taken", timeout: .seconds(600), interval: .milliseconds(50)) {
                (try? FileManager.default.contentsOfDirectory(atPath: sender.spool.outbound))?.count ?? 0 < 500
            }
        }
        _ = try await Self.progress("stored at the CN", count: count, node: sender, state: "sent", since: start)
        let disk = Self.diskUsage(cn.spool.root)

        try await topology.start("AP-DK")
        _ = try await Self.progress(
            "delivered after AP-DK returned", count: count, node: sender, state: "delivered", since: .now)
        // Rates per tenth from the reports' own timestamps: how the cost moves as the queue fills and empties.
        let enqueue = try Self.tenths(node: sender, state: "sent")
        let drain = try Self.tenths(node: sender, state: "delivered")

        print("sedgate bench capacity: \(count) SEDs of ~\(size) bytes queued at the CN for an offline AP")
        print(
            String(
                format: "enqueue: %.1f s in all, %.1f SEDs/s; per tenth: %@", enqueue.total,
                Double(count) / enqueue.total,
                enqueue.rates.map { String(format: "%.0f", $0) }.joined(separator: " ")))
        print(
            String(
                format: "CN disk used by the queue: %.1f MB (%.1f KB per SED)", Double(disk) / 1e6,
                Double(disk) / Double(count) / 1e3))
        print(
            String(
                format: "drain: %.1f s in all, %.1f SEDs/s; per tenth: %@", drain.total, Double(count) / drain.total,
                drain.rates.map { String(format: "%.0f", $0) }.joined(separator: " ")))
    }

    /// Waits until `count` reports of `state` exist; returns the total time and the rate within each tenth.
    static func progress(
        _ what: String, count: Int, node: Topology.Node, state: String, since start: ContinuousClock.Instant
    ) async throws -> (total: Double, rates: [Double]) {
        var marks: [ContinuousClock.Instant] = []
        let step = max(1, count / 10)
        var next = step
        while marks.count < 10 {
            let done = ((try? FileManager.default.contentsOfDirectory(atPath: node.spool.reports)) ?? [])
                .filter { $0.hasSuffix(".\(state).json") }.count
            while done >= next && marks.count < 10 {
                marks.append(.now)
                next += step
            }
            if marks.count < 10 { try await Task.sleep(for: .milliseconds(500)) }
            guard ContinuousClock.now - start < .seconds(7_200) else {
                throw ValidationError("\(what): only \(done) of \(count) after two hours")
            }
        }
        func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
        var rates: [Double] = []
        var previous = start
        for mark in marks {
            rates.append(Double(step) / max(0.001, seconds(mark - previous)))
            previous = mark
        }
        return (seconds(marks.last! - start), rates)
    }

    /// The time from the first to the last report of `state`, and the rate within each tenth of them.
    static func tenths(node: Topology.Node, state: String) throws -> (total: Double, rates: [Double]) {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: node.spool.reports)) ?? [])
            .filter { $0.hasSuffix(".\(state).json") }
        var times: [Date] = []
        for name in names {
            let data = try Data(contentsOf: URL(fileURLWithPath: node.spool.reports + "/" + name))
            let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
            if let at = (object?["at"] as? String).flatMap(Timestamp.parse) { times.append(at) }
        }
        times.sort()
        guard let first = times.first, let last = times.last, times.count >= 10 else { return (0, []) }
        let step = times.count / 10
        var rates: [Double] = []
        for tenth in 0..<10 {
            let from = times[tenth * step]
            let to = times[min(times.count - 1, (tenth + 1) * step)]
            rates.append(Double(step) / max(0.001, to.timeIntervalSince(from)))
        }
        return (last.timeIntervalSince(first), rates)
    }

    /// Bytes used under `path` (files only).
    static func diskUsage(_ path: String) -> Int {
        var total = 0
        let enumerator = FileManager.default.enumerator(atPath: path)
        while let file = enumerator?.nextObject() as? String {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + "/" + file)
            if attributes?[.type] as? FileAttributeType == .typeRegular { total += attributes?[.size] as? Int ?? 0 }
        }
        return total
    }
}
