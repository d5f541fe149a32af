// BenchCommand: `sedgate bench`: drives N SEDs of about 5 KB through a fresh three-node topology on
// loopback and prints throughput and commit-to-inbound latency percentiles. A measurement, not a test.

import ArgumentParser
import CommandSupport
import Conversion
import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Synchronization

/// `sedgate bench [exchange|convert]`.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: the exchange through a topology, and conversion.",
        subcommands: [
            ExchangeBench.self, ConvertBench.self, CapacityBench.self, PackBench.self, SealBench.self, LargeBench.self,
            IdleBench.self, DirectoryBench.self, SyncBench.self, FailoverBench.self,
        ],
        defaultSubcommand: ExchangeBench.self)
}

/// `sedgate bench convert`: flat → XML and XML → flat MB/s on a generated file, and peak memory.
struct ConvertBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert", abstract: "MB/s for flat → XML and XML → flat on a generated file, and peak RSS.")
    @Option(help: "Size of the generated flat file in MB.")
    var megabytes: Int = 100
    @Option(help: "The mapping.")
    var mapping: String = "mappings/ae-claims-1.yaml"
    @Option(help: "A sample flat file whose SEDs are repeated to build the big file.")
    var sample: String = "mappings/examples/ae-claims-small.mtf"
    @Option(
        help: """
            Instead: a flat file of this many units → one SED file each (convert --to xml) → one flat file, from the \
            folder and from a list (convert --to flat); seconds per step, and whether the bytes came back.
            """)
    var seds: Int?

    func run() async throws {
        let (loaded, library) = try loadMapping(mapping)
        let directory = NSTemporaryDirectory() + "sedgate-bench-convert-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        if let seds {
            let result = try exitOnError { () throws(SedgateError) in
                try ConversionBenchmark.runFiles(mapping: loaded, sample: sample, count: seds, directory: directory)
            }
            print("sedgate bench convert: \(seds) SEDs with \(loaded.name) \(loaded.version), one file each")
            print(
                String(
                    format: "flat → %d files: %.1f s   folder → flat: %.1f s   list → flat: %.1f s   "
                        + "byte-identical: %@   peak RSS: %d MiB",
                    seds, result.toFolderSeconds, result.fromFolderSeconds, result.fromListSeconds,
                    result.identical ? "yes" : "NO", result.peakRSSBytes >> 20))
            if !result.identical { throw ExitCode(1) }
            return
        }
        let result = try exitOnError { () throws(SedgateError) in
            try ConversionBenchmark.measure(
                mapping: loaded, library: library, sample: sample, megabytes: megabytes, directory: directory)
        }
        print("sedgate bench convert: \(megabytes) MB flat file with \(loaded.name) \(loaded.version)")
        print(
            String(
                format: "flat → XML: %.1f MB/s   XML → flat: %.1f MB/s   peak RSS: %d MiB",
                result.flatToXMLMBps, result.xmlToFlatMBps, result.peakRSSBytes >> 20))
        print(
            String(
                format:
                    "per CPU second (one core, whatever shares the machine): flat → XML %.1f MB/s   XML → flat %.1f MB/s",
                result.flatToXMLMBpsPerCPU, result.xmlToFlatMBpsPerCPU))
    }
}

/// `sedgate bench exchange [--count N] [--size BYTES]`.
struct ExchangeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exchange", abstract: "Measure SEDs per second and latency AP → CN → AP on loopback.")
    @Option(help: "How many SEDs to send.")
    var count: Int = 1000
    @Option(help: "Approximate size of each SED in bytes.")
    var size: Int = 5_000
    @Option(help: "Where to build the topology (default: a fresh temporary folder, removed afterwards).")
    var directory: String?
    @Option(
        help: """
            Offer the SEDs at this many per second (light load: what latency a SED sees when the network is not             busy) instead of committing them all at once (throughput).
            """)
    var rate: Double?

    func run() async throws {
        if let rate, !(rate > 0) { throw ValidationError("--rate is SEDs per second, more than 0") }
        try await withBenchTopology(directory: directory, label: "exchange") { topology in try await measure(topology) }
    }

    /// Commits the SEDs at AP-BE and times each one's arrival in AP-DK's inbound/.
    func measure(_ topology: Topology) async throws {
        let root = topology.directory
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        // Prepare every document first (as dot-files, which are never taken), then commit by rename.
        var pending: [(id: SEDID, hidden: String, final: String)] = []
        for index in 0..<count {
            let id = SEDID.random()
            let name = String(format: "bench-%06d.xml", index)
            let hidden = "\(sender.spool.outbound)/.\(name)"
            try Data(SampleSED.make(sedId: id, size: size, index: index)).write(to: URL(fileURLWithPath: hidden))
            pending.append((id, hidden, "\(sender.spool.outbound)/\(name)"))
        }
        let commits = Mutex<[String: ContinuousClock.Instant]>([:])
        let nodes = ["AP-BE", "CN", "AP-DK"]
        let before = Dictionary(uniqueKeysWithValues: nodes.map { ($0, topology.pid($0).flatMap(ProcessSample.read)) })
        let start = ContinuousClock.now
        // At a rate, each SED is committed at its own instant while arrivals are watched; else all at once.
        let interval = rate.map { Duration.nanoseconds(Int64(1e9 / $0)) }
        let committer = Task {
            for (index, item) in pending.enumerated() {
                if let interval { try await Task.sleep(until: start + interval * index) }
                guard rename(item.hidden, item.final) == 0 else { throw ValidationError("cannot commit \(item.final)") }
                commits.withLock { $0[item.id.rawValue] = .now }
            }
        }
        if interval == nil { try await committer.value }
        var arrived: [String: ContinuousClock.Instant] = [:]
        let offered = interval.map { $0 * count } ?? .zero
        let deadline = ContinuousClock.now + offered + .seconds(max(120, count / 10))
        defer { committer.cancel() }
        while arrived.count < count {
            let committed = commits.withLock { $0 }
            guard ContinuousClock.now < deadline else {
                throw ValidationError(
                    "only \(arrived.count) of \(count) SEDs arrived before the deadline; logs in \(root)")
            }
            for name in (try? FileManager.default.contentsOfDirectory(atPath: receiver.spool.inbound)) ?? [] {
                // The default template ends with `{sedId}.xml`.
                let id = String(name.dropLast(4).suffix(36))
                if arrived[id] == nil, committed[id] != nil { arrived[id] = .now }
            }
            try await Task.sleep(for: .milliseconds(interval == nil ? 25 : 2))
        }
        try await committer.value
        let committed = commits.withLock { $0 }
        let elapsed = (arrived.values.max()! - start)
        let after = Dictionary(uniqueKeysWithValues: nodes.map { ($0, topology.pid($0).flatMap(ProcessSample.read)) })
        // Stopped gracefully, each node leaves the durable operations it counted.
        await topology.stopAll()
        let latencies = arrived.map { id, at in at - committed[id]! }.sorted()
        func percentile(_ p: Double) -> Duration {
            latencies[min(latencies.count - 1, Int(Double(latencies.count) * p))]
        }
        func ms(_ duration: Duration) -> String {
            let value = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
            return String(format: "%.1f ms", value)
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(
            "sedgate bench: \(count) SEDs of ~\(size) bytes, AP-BE → CN → AP-DK over mutual TLS on loopback"
                + (rate.map { String(format: ", offered at %.0f/s", $0) } ?? ", committed at once"))
        print(
            String(
                format: "throughput: %.1f SEDs/s (%.2f MB/s), %.2f s in all", Double(count) / seconds,
                Double(count * size) / seconds / 1e6, seconds))
        print(
            "latency commit → inbound: p50 \(ms(percentile(0.50)))  p90 \(ms(percentile(0.90)))  p99 \(ms(percentile(0.99)))  max \(ms(latencies.last!))"
        )
        print("per SED, per node (CPU and writes over the run; fsyncs and commits over the node's whole life):")
        for node in nodes {
            guard let first = before[node] ?? nil, let last = after[node] ?? nil else { continue }
            let spent = last.since(first)
            let counts = DurableCounts.read(varDirectory: topology.node(node).spool.varDirectory)
            let perSED = { (value: Int) in String(format: "%.2f", Double(value) / Double(count)) }
            print(
                "  \(node.padding(toLength: 6, withPad: " ", startingAt: 0)) "
                    + String(format: "CPU %.2f ms", spent.cpuSeconds * 1_000 / Double(count))
                    + "  written \(spent.writeBytes / count) B in \(perSED(spent.writeCalls)) writes"
                    + "  fsyncs \(counts.map { perSED($0.fsyncs) } ?? "?")"
                    + " + journal commits (one WAL sync each) \(counts.map { perSED($0.journalCommits) } ?? "?")")
        }
    }
}

/// Builds a fresh topology for a benchmark (in `directory`, or a temporary folder removed afterwards), starts
/// it, runs `body`, and stops every node whatever happens.
func withBenchTopology(
    directory: String?, label: String, coordinationNodeSettings: String = "",
    _ body: (Topology) async throws -> Void
) async throws {
    let root = directory ?? NSTemporaryDirectory() + "sedgate-\(label)-\(UUID().uuidString.prefix(8))"
    let topology = try Topology(
        directory: root, executable: try nodeExecutable(), coordinationNodeSettings: coordinationNodeSettings)
    defer {
        topology.abandon()
        if directory == nil { try? FileManager.default.removeItem(atPath: root) }
    }
    try await topology.startAll()
    try await body(topology)
    await topology.stopAll()
}
