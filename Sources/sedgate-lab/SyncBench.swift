// SyncBench: `sedgate bench sync`: synchronous request → reply round trips (FS-46) through a fresh three-node topology
// on loopback, with an automatic responder at the destination; prints the round trip's percentiles. A measurement.

import ArgumentParser
import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Synchronization

/// `sedgate bench sync`: AP-BE asks, AP-DK's national side (a loop in the bench) answers each request at once.
struct SyncBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Measure SYNC request → reply round trips AP-BE → CN → AP-DK → CN → AP-BE at light load.")
    @Option(help: "How many requests to send.")
    var count: Int = 100
    @Option(help: "Requests offered per second.")
    var rate: Double = 5
    @Option(help: "Approximate size of each request and reply in bytes.")
    var size: Int = 2_000
    @Option(help: "Where to build the topology (default: a fresh temporary folder, removed afterwards).")
    var directory: String?

    func run() async throws {
        guard rate > 0, count > 0 else { throw ValidationError("--rate and --count must be more than 0") }
        try await withBenchTopology(directory: directory, label: "sync") { topology in try await measure(topology) }
    }

    /// Commits each request at its instant at AP-BE, and times it to its reply's landing in AP-BE's inbound/.
    func measure(_ topology: Topology) async throws {
        let requester = topology.node("AP-BE")
        let destination = topology.node("AP-DK")
        let responder = SyncResponder(inbound: destination.spool.inbound, outbound: destination.spool.outbound)
        // Request id → (committed, landed at AP-DK); reply id → request id.
        let commits = Mutex<[SEDID: ContinuousClock.Instant]>([:])
        let arrivals = Mutex<[SEDID: ContinuousClock.Instant]>([:])
        let replies = Mutex<[SEDID: SEDID]>([:])
        let answering = Task {
            while !Task.isCancelled {
                if let answered = try? responder.answerWaiting() {
                    let now = ContinuousClock.now
                    for pair in answered {
                        arrivals.withLock { $0[pair.request] = now }
                        replies.withLock { $0[pair.reply] = pair.request }
                    }
                }
                try? await Task.sleep(for: .milliseconds(2))
            }
        }
        defer { answering.cancel() }
        var prepared: [(id: SEDID, hidden: String, final: String)] = []
        for index in 0..<count {
            let id = SEDID.random()
            let name = String(format: "ask-%06d.xml", index)
            let hidden = "\(requester.spool.outbound)/.\(name)"
            try Data(SampleSED.syncRequest(sedId: id, size: size, index: index)).write(to: URL(fileURLWithPath: hidden))
            prepared.append((id, hidden, "\(requester.spool.outbound)/\(name)"))
        }
        let start = ContinuousClock.now
        let interval = Duration.nanoseconds(Int64(1e9 / rate))
        let committer = Task {
            for (index, item) in prepared.enumerated() {
                try await Task.sleep(until: start + interval * index)
                guard rename(item.hidden, item.final) == 0 else { throw ValidationError("cannot commit \(item.final)") }
                commits.withLock { $0[item.id] = .now }
            }
        }
        defer { committer.cancel() }
        var answered: [SEDID: ContinuousClock.Instant] = [:]
        var stall = ContinuousClock.now
        while answered.count < count {
            guard ContinuousClock.now - stall < .seconds(120) else {
                throw ValidationError(
                    "only \(answered.count) of \(count) replies arrived; logs in \(topology.directory)")
            }
            let known = replies.withLock { $0 }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: requester.spool.inbound)) ?? [] {
                guard let reply = SEDID(String(name.dropLast(4).suffix(36))), let request = known[reply],
                    answered[request] == nil
                else { continue }
                answered[request] = .now
                stall = .now
            }
            try await Task.sleep(for: .milliseconds(2))
        }
        try await committer.value
        let timeouts = ((try? FileManager.default.contentsOfDirectory(atPath: requester.spool.reports)) ?? [])
            .filter { $0.hasSuffix(".timeout.json") }.count
        await topology.stopAll()
        let committed = commits.withLock { $0 }
        let landed = arrivals.withLock { $0 }
        func percentiles(_ values: [Duration]) -> String {
            let sorted = values.sorted()
            func at(_ p: Double) -> String { ms(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) }
            return "p50 \(at(0.50))  p90 \(at(0.90))  p99 \(at(0.99))  max \(ms(sorted.last!))"
        }
        func ms(_ duration: Duration) -> String { String(format: "%.1f ms", duration.timeInterval * 1_000) }
        print(
            "sedgate bench sync: \(count) SYNC requests of ~\(size) bytes offered at "
                + String(format: "%.1f/s", rate)
                + ", AP-BE → CN → AP-DK, answered at once by a responder loop, reply AP-DK → CN → AP-BE")
        print("round trip commit → reply in inbound/: " + percentiles(answered.map { $0.value - committed[$0.key]! }))
        let oneWay = landed.map { $0.value - committed[$0.key]! }
        print("one way commit → request in AP-DK's inbound/: " + percentiles(oneWay))
        print("timeout reports: \(timeouts)")
    }
}
