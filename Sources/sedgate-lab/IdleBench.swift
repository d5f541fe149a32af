// IdleBench: `sedgate bench idle`: what an access point costs while the national side leaves landed files
// waiting in inbound/ (a nightly collector): CPU over a quiet minute with N files waiting, and the cost of one
// take-up reconcile pass over them. A measurement, not a test. Writes a temporary topology.

import ArgumentParser
import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Store

/// `sedgate bench idle [--files N] [--seconds S]`.
struct IdleBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "idle", abstract: "CPU of an idle access point with N landed files waiting in inbound/.")
    @Option(help: "How many landed files wait in inbound/.")
    var files: Int = 250_000
    @Option(help: "How long to measure the idle node, in seconds.")
    var seconds: Int = 60
    @Option(help: "Where to build the topology (default: a fresh temporary folder, removed afterwards).")
    var directory: String?

    func run() async throws {
        let root = directory ?? NSTemporaryDirectory() + "sedgate-idle-\(UUID().uuidString.prefix(8))"
        let topology = try Topology(directory: root, executable: try nodeExecutable())
        defer {
            topology.abandon()
            if directory == nil { try? FileManager.default.removeItem(atPath: root) }
        }
        let node = topology.node("AP-DK")
        try node.spool.create()
        try await prepare(node)
        print("sedgate bench idle: AP-DK with \(files) landed files waiting in inbound/")
        let started = ContinuousClock.now
        try await topology.start("AP-DK")
        guard let pid = topology.pid("AP-DK"), let base = ProcessSample.read(pid: pid) else {
            throw ValidationError("AP-DK did not start; see \(root)")
        }
        // Start-up includes one reconcile over every waiting file; wait until the CPU stays flat for 2 s.
        var last = base
        while true {
            try await Task.sleep(for: .seconds(2))
            guard let now = ProcessSample.read(pid: pid) else { throw ValidationError("AP-DK exited; see \(root)") }
            defer { last = now }
            if now.cpuSeconds - last.cpuSeconds < 0.02 { break }
        }
        let startup = ContinuousClock.now - started
        let quiet = last
        try await Task.sleep(for: .seconds(seconds))
        guard let end = ProcessSample.read(pid: pid) else { throw ValidationError("AP-DK exited; see \(root)") }
        let spent = end.since(quiet)
        print(
            String(
                format: "start-up, with one take-up reconcile over every waiting file: %.2f s CPU in %.1f s",
                last.cpuSeconds, startup.timeInterval))
        print(
            String(
                format: "idle: %.3f s CPU over %d s = %.2f %% of a core; with a reconcile every 300 s (the default "
                    + "takeup-scan-s) at most %.2f %%", spent.cpuSeconds, seconds,
                spent.cpuSeconds / Double(seconds) * 100,
                (spent.cpuSeconds / Double(seconds) + last.cpuSeconds / 300) * 100))
        await topology.stopAll()
    }

    /// Journals `files` SEDs as landed in AP-DK's inbound/, with their files there (small, written unsynced).
    private func prepare(_ node: Topology.Node) async throws {
        let journal = try Journal(path: node.spool.varDirectory + "/journal.sqlite")
        let envelope = try Envelope(fields: [
            .sedType: "P001", .sedVersion: "1.0", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: "c0ffee00-0000-4000-8000-000000000001", .sender: "BE:0001", .receiver: "DK:0002",
        ])
        var batch: [MessageRecord] = []
        for index in 0..<files {
            let id = SEDID.random()
            let name = "inbound/idle-\(index)-\(id).xml"
            _ = FileManager.default.createFile(atPath: node.spool.root + "/" + name, contents: Data("<x/>".utf8))
            var sedEnvelope = envelope
            sedEnvelope.sedId = id
            batch.append(
                MessageRecord(
                    sedId: id, direction: .inbound, state: .landed, file: name, peer: NodeID("CN")!,
                    origin: NodeID("AP-BE")!, envelope: sedEnvelope, payloadPath: "var/store/in-\(id).xml", size: 4))
            if batch.count == 10_000 || index == files - 1 {
                try await journal.insertAll(batch, detail: "prepared by sedgate bench idle")
                batch.removeAll(keepingCapacity: true)
            }
        }
    }
}
