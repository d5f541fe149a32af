// OperationsTests: what an operator reads off a running topology: each node's Prometheus `/metrics` and `/health`
// on its operator port, with counts matching the reports; `sedgate stats` at the CN after traffic; log lines that a
// file name holding a line feed cannot forge, in both log formats.

import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import NIOHTTP1
import Operations
import SedgateCore
import SedgateTesting
import Spool
import Store
import Synchronization
import Testing

@Suite("Operations: metrics, statistics, logs, real processes", .serialized)
struct OperationsTests {
    /// One sample of the Prometheus text format: a metric name, its labels, its value.
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    /// Parses the Prometheus text exposition format; records an issue for any line that is not a comment, blank,
    /// or `name{label="value",...} number`, and for a sample whose family has no `# TYPE` line.
    static func parse(_ text: String) -> [Sample] {
        var samples: [Sample] = []
        var typed: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# TYPE ") {
                typed.insert(String(line.split(separator: " ")[2]))
                continue
            }
            if line.hasPrefix("#") || line.isEmpty { continue }
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            let head = line[..<space]
            var name = String(head)
            var labels: [String: String] = [:]
            if let brace = head.firstIndex(of: "{") {
                name = String(head[..<brace])
                guard head.hasSuffix("}") else {
                    Issue.record("unclosed labels: \(line)")
                    continue
                }
                for pair in head[head.index(after: brace)..<head.index(before: head.endIndex)].split(separator: ",") {
                    let parts = pair.split(separator: "=", maxSplits: 1)
                    guard parts.count == 2, parts[1].hasPrefix("\""), parts[1].hasSuffix("\"") else {
                        Issue.record("bad label \(pair) in \(line)")
                        continue
                    }
                    labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
                }
            }
            let family = ["_bucket", "_sum", "_count"].reduce(name) { family, suffix in
                family.hasSuffix(suffix) && !typed.contains(family) ? String(family.dropLast(suffix.count)) : family
            }
            if !typed.contains(family) { Issue.record("no # TYPE for \(name)") }
            samples.append(Sample(name: name, labels: labels, value: value))
        }
        return samples
    }

    /// The value of the sample named `name` with `labels` (a subset), or nil.
    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double? {
        samples.first { sample in
            sample.name == name && labels.allSatisfy { key, value in sample.labels[key] == value }
        }?.value
    }

    /// GETs `http://127.0.0.1:port/path`: the status and body.
    static func get(_ port: Int, _ path: String) async throws -> (status: UInt, body: String) {
        let response = try await HTTPClient.shared.execute(
            HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 16 << 20)
        return (response.status.code, String(buffer: body))
    }

    /// Appends `[operator] listen` on a free port (and `extra` TOML) to a node's configuration; returns the port.
    static func addOperatorPort(_ node: Topology.Node, port: Int? = nil, extra: String = "") throws -> Int {
        let port = try port ?? Topology.freePort()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: node.config))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data("\n[operator]\nlisten = \"127.0.0.1:\(port)\"\n\(extra)\n".utf8))
        try handle.close()
        return port
    }

    /// Commits a SED to `outbound/` the documented way (written hidden, then renamed).
    static func commit(_ bytes: [UInt8], as name: String, to node: Topology.Node) throws {
        let hidden = "\(node.spool.outbound)/.\(UUID().uuidString)"
        try Data(bytes).write(to: URL(fileURLWithPath: hidden))
        #expect(rename(hidden, "\(node.spool.outbound)/\(name)") == 0)
    }

    static func sedgate(_ arguments: [String]) async throws -> (status: Int32, output: String) {
        let outcome = try await ChildProcess.run(try SedgateBinary.path(), arguments)
        return (outcome.status, outcome.output)
    }

    @Test("each node's /metrics parses and counts what the reports say; /health answers; stats at the CN match")
    func metricsAndStatistics() async throws {
        let directory = try TemporaryDirectory("e2e-metrics")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        var ports: [String: Int] = [:]
        for node in topology.nodes { ports[node.id] = try Topology.freePort() }
        for node in topology.nodes {
            // The sender can ask the CN and the receiver for their part of a SED's history.
            let peers =
                node.id == "AP-BE"
                ? "[operator-peers]\nCN = \"http://127.0.0.1:\(ports["CN"]!)\"\nAP-DK = \"http://127.0.0.1:\(ports["AP-DK"]!)\""
                : ""
            _ = try Self.addOperatorPort(node, port: ports[node.id], extra: "[statistics]\nharvest-s = 1\n\(peers)")
        }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let cn = topology.node("CN")

        let ids = (0..<3).map { _ in SEDID.random() }
        for (index, id) in ids.enumerated() {
            try Self.commit(SampleSED.make(sedId: id, index: index), as: "m-\(index).xml", to: sender)
        }
        try await Wait.until("the three SEDs to be delivered", timeout: .seconds(90)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count == 3
        }
        try await Wait.until("the receiver to place them in inbound/", timeout: .seconds(60)) {
            ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").count == 3
        }

        let accepted = ExchangeTests.files(sender.spool.reports, suffix: ".accepted.json").count
        let delivered = ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count
        let landed = ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").count
        let atSender = Self.parse(try await Self.get(ports["AP-BE"]!, "/metrics").body)
        #expect(
            Self.value(atSender, "sedgate_seds_total", ["direction": "out", "state": "accepted"]) == Double(accepted))
        #expect(
            Self.value(atSender, "sedgate_seds_total", ["direction": "out", "state": "delivered"]) == Double(delivered))
        #expect((Self.value(atSender, "sedgate_disk_free_bytes") ?? 0) > 0)
        #expect((Self.value(atSender, "sedgate_certificate_expiry_days") ?? 0) > 1)
        #expect(Self.value(atSender, "sedgate_queue_depth", ["direction": "out"]) ?? 0 == 0, "nothing waits")

        let atReceiver = Self.parse(try await Self.get(ports["AP-DK"]!, "/metrics").body)
        #expect(Self.value(atReceiver, "sedgate_seds_total", ["direction": "in", "state": "landed"]) == Double(landed))

        // The CN's hop histogram fills from the statistics harvest (every second here).
        let cnPort = ports["CN"]!
        try await Wait.until("the CN's forward hop to be measured", timeout: .seconds(30)) {
            let samples = Self.parse(try await Self.get(cnPort, "/metrics").body)
            return Self.value(samples, "sedgate_hop_latency_seconds_count", ["hop": "cn-forward"]) == 3
        }
        let atCN = Self.parse(try await Self.get(cnPort, "/metrics").body)
        #expect(Self.value(atCN, "sedgate_seds_total", ["direction": "relay", "state": "stored"]) == 3)
        #expect(Self.value(atCN, "sedgate_seds_total", ["direction": "relay", "state": "forwarded"]) == 3)
        #expect(Self.value(atCN, "sedgate_journal_seds", ["direction": "relay", "state": "forwarded"]) == 3)

        let health = try await Self.get(ports["CN"]!, "/health")
        #expect(health.status == 200 && health.body.contains("\"status\":\"ok\""), "\(health.body)")

        // Statistics at the CN: the whole network's traffic, from envelopes.
        let journal = try Journal(path: cn.spool.varDirectory + "/journal.sqlite")
        var bytes = 0
        for id in ids { bytes += try await journal.record(id, .relay)?.size ?? 0 }
        let csv = try await Self.sedgate([
            "stats", "--config", cn.config, "--by", "country,sector,sed-type,state", "--format", "csv",
        ])
        #expect(csv.status == 0, "\(csv.output)")
        let lines = csv.output.split(separator: "\n").map(String.init)
        #expect(
            lines.first
                == "sending-country,receiving-country,sector,sed-type,state,seds,bytes,cn-forward-p50-ms,cn-forward-p95-ms",
            "\(csv.output)")
        #expect(lines.count == 2, "one group: \(csv.output)")
        #expect(lines.dropFirst().first?.hasPrefix("BE,DK,PE,P001,forwarded,3,\(bytes),") == true, "\(csv.output)")

        let today = String(Timestamp.now().prefix(10))
        let table = try await Self.sedgate([
            "stats", "--config", cn.config, "--from", today, "--to", today, "--by", "day,receiving-ap",
        ])
        #expect(table.status == 0, "\(table.output)")
        let rows = table.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(rows.first?.prefix(4) == ["day", "receiving-ap", "seds", "bytes"], "\(table.output)")
        #expect(rows.count == 3 && rows[2].prefix(4) == [today, "AP-DK", "3", "\(bytes)"], "\(table.output)")
        // One SED across the network, asked at its sender.
        let trace = try await Self.sedgate(["trace", ids[0].rawValue, "--network", "--config", sender.config])
        #expect(trace.status == 0, "\(trace.output)")
        #expect(trace.output.contains("on 3 nodes: AP-BE, AP-DK, CN"), "\(trace.output)")
        let facts = trace.output.split(separator: "\n").dropFirst().map { $0.split(separator: " ").map(String.init) }
        for (node, state) in [
            ("AP-BE", "accepted"), ("CN", "stored"), ("CN", "forwarded"), ("AP-DK", "received"), ("AP-DK", "landed"),
            ("AP-BE", "delivered"),
        ] {
            #expect(facts.contains { $0.count >= 4 && $0[1] == node && $0[3] == state }, "\(node) \(state)")
        }
        let times = facts.map { $0[0] }
        #expect(times == times.sorted(), "in time order: \(trace.output)")

        // A support bundle from the CN: its files, and no secret in its copy of the configuration.
        let archive = directory.path + "/bundle.tar.gz"
        let bundle = try await Self.sedgate([
            "report-bundle", "--config", cn.config, "--log", directory.path + "/cn.log", "--output", archive,
        ])
        #expect(bundle.status == 0, "\(bundle.output)")
        let listed = try await ChildProcess.run("/bin/tar", ["-tzf", archive]).output
        for file in [
            "configuration.toml", "versions.txt", "queue-shape.txt", "journal-counts.tsv", "journal-integrity.txt",
            "statistics-7-days.csv", "logs/cn.log",
        ] {
            #expect(listed.contains("/\(file)"), "\(file) in \(listed)")
        }
        let unpacked = directory.path + "/unpacked"
        try FileManager.default.createDirectory(atPath: unpacked, withIntermediateDirectories: true)
        _ = try await ChildProcess.run("/bin/tar", ["-xzf", archive, "-C", unpacked])
        let folder = try FileManager.default.contentsOfDirectory(atPath: unpacked).first ?? ""
        let copied = try String(contentsOfFile: "\(unpacked)/\(folder)/configuration.toml", encoding: .utf8)
        #expect(copied.contains("private-key = \"<removed>\"") && !copied.contains("CN.key"), "\(copied)")
        let integrity = try String(contentsOfFile: "\(unpacked)/\(folder)/journal-integrity.txt", encoding: .utf8)
        #expect(integrity.contains("integrity_check: ok"), "\(integrity)")

        let none = try await Self.sedgate(["stats", "--config", cn.config, "--to", "2000-01-01", "--format", "json"])
        #expect(none.output.trimmingCharacters(in: .whitespacesAndNewlines) == "[\n\n]", "\(none.output)")
    }

    @Test("with a destination down, queue shape, /metrics and the queue-age alert show what waits for it at the CN")
    func queueShapeAndDepth() async throws {
        let directory = try TemporaryDirectory("e2e-shape")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        let cn = topology.node("CN")
        let hook = directory.path + "/hook.jsonl"
        // A certificate rule no certificate passes (expiring within 100,000 days) fires at once, beside the queue's.
        let port = try Self.addOperatorPort(
            cn,
            extra: """
                [alerts]
                interval-s = 1
                queue-older-than-s = 1
                certificate-days = 100000
                command = ["/bin/sh", "-c", "cat >> '\(hook)'"]
                """)
        try await topology.startAll()
        await topology.kill("AP-DK")
        let sender = topology.node("AP-BE")
        for index in 0..<2 {
            try Self.commit(SampleSED.make(sedId: .random(), index: index), as: "q-\(index).xml", to: sender)
        }
        try await Wait.until("both to wait at the CN", timeout: .seconds(60)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".sent.json").count == 2
        }
        let shape = try await Self.sedgate(["queue", "shape", "--config", cn.config])
        #expect(shape.status == 0, "\(shape.output)")
        let rows = shape.output.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(
            rows.first == ["T", "5", "10", "20", "40", "80", "160", "320", "640", "1280", "1280+"], "\(shape.output)")
        #expect(rows.dropFirst().first == ["TOTAL", "2", "2"] + Array(repeating: "0", count: 9), "\(shape.output)")
        #expect(
            rows.dropFirst(2).first == ["relay/AP-DK", "2", "2"] + Array(repeating: "0", count: 9), "\(shape.output)")
        let samples = Self.parse(try await Self.get(port, "/metrics").body)
        #expect(Self.value(samples, "sedgate_queue_depth", ["direction": "relay", "destination": "AP-DK"]) == 2)
        #expect(
            Self.value(samples, "sedgate_queue_oldest_seconds", ["direction": "relay", "destination": "AP-DK"]) ?? -1
                >= 0)
        try await Wait.until("the queue-age alert", timeout: .seconds(60)) {
            AlertTests.notices(hook).contains { $0.contains("\"queue-older-than\"") }
        }
        let notices = AlertTests.notices(hook)
        #expect(notices.contains { $0.contains("\"subject\":\"relay/AP-DK\"") }, "\(notices)")
        #expect(notices.filter { $0.contains("\"certificate-expiring\"") }.count == 1, "\(notices)")
    }

    @Test("statistics outlive the journal's keep-days purge, with their hop latency")
    func statisticsOutliveThePurge() async throws {
        let directory = try TemporaryDirectory("stats-purge")
        // A SED relayed by a CN two years ago: stored, then forwarded 1.5 s later.
        let stored = Date(timeIntervalSince1970: 1_700_000_000)
        let clock = Mutex(stored)
        let journal = try Journal(path: directory.path + "/journal.sqlite") { clock.withLock { $0 } }
        let id = SEDID.random()
        let envelope = try Envelope(fields: [
            .sedType: "P001", .sedVersion: "1.0", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: "c0ffee00-0000-4000-8000-000000000001", .sender: "BE:0001", .receiver: "DK:0002",
        ])
        let record = MessageRecord(
            sedId: id, direction: .relay, state: .stored, file: nil, peer: NodeID("AP-DK")!,
            origin: NodeID("AP-BE")!, envelope: envelope, payloadPath: "var/store/\(id)", size: 4_321)
        #expect(try await journal.insert(record, ticket: nil, detail: nil))
        clock.withLock { $0 = stored.addingTimeInterval(1.5) }
        #expect(try await journal.transition(id, .relay, to: .forwarded, onlyFrom: [.stored], file: nil, detail: nil))

        // And four to Sweden the same day, forwarded after 1, 2, 3 and 10 s: p50 is the 2nd, p95 the 4th.
        for (index, seconds) in [1.0, 2, 3, 10].enumerated() {
            clock.withLock { $0 = stored.addingTimeInterval(Double(index) * 60) }
            var swedish = envelope
            swedish.receiver = Address("SE:0003")!
            let other = SEDID.random()
            let row = MessageRecord(
                sedId: other, direction: .relay, state: .stored, file: nil, peer: NodeID("AP-SE")!,
                origin: NodeID("AP-BE")!, envelope: swedish, payloadPath: "var/store/\(other)", size: 1_000)
            #expect(try await journal.insert(row, ticket: nil, detail: nil))
            clock.withLock { $0 = stored.addingTimeInterval(Double(index) * 60 + seconds) }
            #expect(
                try await journal.transition(other, .relay, to: .forwarded, onlyFrom: [.stored], file: nil, detail: nil)
            )
        }

        let statistics = try StatisticsStore(path: directory.path + "/statistics.sqlite")
        #expect(try await statistics.harvest(journal) == 5)
        #expect(try await journal.expire(finishedBefore: Timestamp.now()) == 5, "the journal forgets them")
        #expect(try await journal.record(id, .relay) == nil)
        #expect(try await statistics.harvest(journal) == 0)

        let table = try await statistics.query(
            from: nil, to: nil,
            by: ["day", "country", "state"].flatMap {
                try StatisticsStore.dimensions([$0])
            })
        #expect(
            table.columns == [
                "day", "sending-country", "receiving-country", "state", "seds", "bytes", "cn-forward-p50-ms",
                "cn-forward-p95-ms",
            ])
        #expect(
            table.rows == [
                ["2023-11-14", "BE", "DK", "forwarded", "1", "4321", "1500", "1500"],
                ["2023-11-14", "BE", "SE", "forwarded", "4", "4000", "2000", "10000"],
            ])
        #expect(table.render("xml").contains("<row day=\"2023-11-14\" sending-country=\"BE\""))
    }

    @Test("queue shape buckets by minutes waited, doubling from 5")
    func queueShapeBuckets() {
        let now = Date(timeIntervalSince1970: 1_000_000)
        let shape = QueueShape(
            waiting: [
                ("relay/AP-DK", now.addingTimeInterval(-60)), ("relay/AP-DK", now.addingTimeInterval(-7 * 60)),
                ("out/CN", now.addingTimeInterval(-2_000 * 60)),
            ], now: now)
        #expect(shape.rows.map(\.destination) == ["out/CN", "relay/AP-DK"])
        #expect(shape.rows[0].counts == [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
        #expect(shape.rows[1].counts == [2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test("SIGHUP reloads the validation rules of a running access point, which goes on running")
    func hangupReloadsRules() async throws {
        let directory = try TemporaryDirectory("e2e-hangup")
        let rules = directory.path + "/rules"
        try FileManager.default.createDirectory(atPath: rules + "/default", withIntermediateDirectories: true)
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[validation]\nrules = \"\(rules)\"")
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let first = SEDID.random()
        try Self.commit(SampleSED.make(sedId: first), as: "before.xml", to: sender)
        try await Wait.until("the first SED to be accepted", timeout: .seconds(60)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(first).accepted.json").isEmpty
        }
        // An administrator adds a rule every SED breaks, and asks the node to reload.
        try Data(
            """
            <sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
              <sch:ns prefix="sed" uri="urn:eessi:sedgate:sed:1"/>
              <sch:pattern id="closed">
                <sch:rule context="/sed:SED">
                  <sch:assert id="OPS-01" test="false()">Closed for maintenance by the reloaded rule.</sch:assert>
                </sch:rule>
              </sch:pattern>
            </sch:schema>
            """.utf8
        ).write(to: URL(fileURLWithPath: rules + "/default/closed.sch"))
        let log = directory.path + "/ap-be.log"
        #expect(kill(topology.pid("AP-BE") ?? 0, SIGHUP) == 0)
        try await Wait.until("AP-BE to reload", timeout: .seconds(30)) {
            ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("reloaded on SIGHUP")
        }
        let second = SEDID.random()
        try Self.commit(SampleSED.make(sedId: second, index: 1), as: "after.xml", to: sender)
        try await Wait.until("the second SED to be refused", timeout: .seconds(60)) {
            !ExchangeTests.files(sender.spool.rejected, suffix: ".error").isEmpty
        }
        let error = try String(
            contentsOfFile: sender.spool.rejected + "/"
                + ExchangeTests.files(sender.spool.rejected, suffix: ".error")[0],
            encoding: .utf8)
        #expect(error.contains("OPS-01"), "\(error)")
        #expect(topology.pid("AP-BE").map { kill($0, 0) == 0 } == true, "still running")
    }

    /// The log of an access point that refused a file whose name holds a line feed and what would follow it on a
    /// forged line (the intake logs the name as it found it), and that name.
    static func logOfForgery(format: String) async throws -> (lines: [String], name: String) {
        let directory = try TemporaryDirectory("e2e-log-\(format)")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[log]\nformat = \"\(format)\"")
        defer { topology.abandon() }
        let port = try Self.addOperatorPort(topology.node("AP-BE"))
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let name = "claim\n\(forged).xml"
        try Self.commit(SampleSED.make(sedId: .random()), as: name, to: sender)
        try await Wait.until("the file to be refused", timeout: .seconds(60)) {
            ExchangeTests.files(sender.spool.rejected, suffix: ".error").count == 1
        }
        let samples = Self.parse(try await Self.get(port, "/metrics").body)
        #expect(Self.value(samples, "sedgate_seds_total", ["direction": "out", "state": "rejected"]) == 1)
        await topology.stopAll()
        let log = try String(contentsOfFile: directory.path + "/ap-be.log", encoding: .utf8)
        return (log.split(separator: "\n").map(String.init), name)
    }

    /// What the forged line would say: a time, a level, a node and a stage, as a real line does.
    static let forged = "2026-01-01T00:00:00.000Z critical AP-BE intake: forged"

    @Test("a file name holding a line feed stays on its log line in the human format")
    func humanLogEscapes() async throws {
        let (lines, _) = try await Self.logOfForgery(format: "human")
        let log = lines.joined(separator: "\n")
        #expect(!lines.contains { $0.hasPrefix("2026-01-01T00:00:00.000Z") }, "a forged line: \(log)")
        let rejected = lines.filter { $0.contains(" rejected ") && $0.contains("forged") }
        #expect(rejected.count == 1, "\(log)")
        #expect(rejected.first?.contains("file=\"claim\\n\(Self.forged).xml\"") == true, "\(log)")
    }

    @Test("with [log] format = \"json\" every line is one JSON object with node and stage; the name comes back whole")
    func jsonLogEscapes() async throws {
        let (lines, name) = try await Self.logOfForgery(format: "json")
        var files: [String] = []
        for line in lines {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                Issue.record("not one JSON object: \(line)")
                continue
            }
            #expect(object["node"] as? String == "AP-BE")
            #expect(object["stage"] is String)
            if object["message"] as? String == "rejected", let file = object["file"] as? String { files.append(file) }
        }
        #expect(files == [name], "\(lines.joined(separator: "\n"))")
    }
}

/// Alerts at the CN when an access point goes down: one notice through the command hook and one e-mail through a
/// real SMTP server (Postfix's smtp-sink, started here on loopback), a reset when it comes back, and silence
/// during a maintenance window.
@Suite("Operations: alerts, real processes and a real SMTP server", .serialized)
struct AlertTests {
    /// Postfix's smtp-sink on a free loopback port, dumping each message into its own file under `folder`.
    final class SMTPSink {
        let process: SpawnedProcess
        let port: Int
        let folder: String

        init(folder: String) async throws {
            port = try Topology.freePort()
            self.folder = folder
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            // It runs as an unprivileged user when started as root, and writes its dumps as that user.
            #expect(chmod(folder, 0o777) == 0)
            let user = getuid() == 0 ? ["-u", "nobody"] : []
            process = try SpawnedProcess(
                executable: "/usr/sbin/smtp-sink",
                arguments: user + ["-d", folder + "/mail.", "127.0.0.1:\(port)", "10"],
                environment: nil, logPath: "/dev/null")
            let port = port
            try await Wait.until("smtp-sink to listen", timeout: .seconds(30)) { Topology.isListening(port: port) }
        }

        /// The messages received so far, as text.
        func messages() -> [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted().compactMap {
                try? String(contentsOfFile: folder + "/" + $0, encoding: .utf8)
            }
        }

        deinit { if process.isRunning { process.terminate() } }
    }

    /// An HTTP server on loopback keeping the bodies POSTed to `/alerts` (Hummingbird, in this process).
    final class WebhookReceiver: Sendable {
        let bodies = Mutex<[String]>([])
        let port = Mutex(0)
        let task = Mutex<Task<Void, any Error>?>(nil)

        init() async throws {
            let router = Router()
            router.post("/alerts") { request, _ in
                let body = try await request.body.collect(upTo: 1 << 20)
                self.bodies.withLock { $0.append(String(buffer: body)) }
                return Response(status: .noContent)
            }
            let application = Application(
                router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                onServerRunning: { channel in self.port.withLock { $0 = channel.localAddress?.port ?? 0 } })
            task.withLock { $0 = Task { try await application.run() } }
            try await Wait.until("the webhook receiver to listen", timeout: .seconds(30)) {
                self.port.withLock { $0 } != 0
            }
        }

        var url: String { "http://127.0.0.1:\(port.withLock { $0 })/alerts" }

        deinit { task.withLock { $0?.cancel() } }
    }

    static func notices(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }

    /// The CN's count of alert evaluations, from its /metrics.
    static func evaluations(_ port: Int) async throws -> Double {
        let samples = OperationsTests.parse(try await OperationsTests.get(port, "/metrics").body)
        return OperationsTests.value(samples, "sedgate_alert_evaluations_total") ?? 0
    }

    /// Waits until the CN has evaluated its rules `count` more times.
    static func waitForEvaluations(_ count: Double, port: Int) async throws {
        let start = try await evaluations(port)
        try await Wait.until("\(Int(count)) more alert evaluations", timeout: .seconds(60)) {
            try await evaluations(port) >= start + count
        }
    }

    @Test("an AP taken down raises one alert (hook and e-mail), a reset when it is back, and none in maintenance")
    func peerDownAlertsOnce() async throws {
        let directory = try TemporaryDirectory("e2e-alerts")
        // A folder of its own, which the sink's unprivileged user can reach (a test folder is private).
        let mail = try TemporaryDirectory("e2e-mail")
        #expect(chmod(mail.path, 0o755) == 0)
        let sink = try await SMTPSink(folder: mail.path + "/dump")
        let hook = directory.path + "/hook.jsonl"
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        let cn = topology.node("CN")
        let port = try OperationsTests.addOperatorPort(
            cn,
            extra: """
                [alerts]
                interval-s = 1
                peer-unreachable-s = 2
                command = ["/bin/sh", "-c", "cat >> '\(hook)'"]
                smtp = "127.0.0.1:\(sink.port)"
                mail-from = "sedgate@cn.example.org"
                mail-to = ["ops@example.org"]
                """)
        // The access points first, so the CN never finds one missing at its start.
        try await topology.start("AP-BE")
        try await topology.start("AP-DK")
        try await topology.start("CN")
        try await Self.waitForEvaluations(3, port: port)
        #expect(Self.notices(hook).isEmpty, "no alert while every peer answers")

        await topology.kill("AP-DK")
        try await Wait.until("the hook to be told AP-DK is unreachable", timeout: .seconds(60)) {
            Self.notices(hook).contains { $0.contains("\"firing\"") }
        }
        // smtp-sink writes a message's file as the message arrives: wait for its subject, not for the file.
        try await Wait.until("the alert e-mail", timeout: .seconds(60)) {
            sink.messages().contains { $0.contains("[sedgate CN] firing: peer-unreachable AP-DK") }
        }
        let list = try await OperationsTests.sedgate(["alerts", "list", "--config", cn.config])
        #expect(list.status == 0 && list.output.contains("peer-unreachable AP-DK"), "\(list.output)")
        try await Self.waitForEvaluations(3, port: port)

        try await topology.start("AP-DK")
        try await Wait.until("the reset to reach the hook", timeout: .seconds(60)) {
            Self.notices(hook).contains { $0.contains("\"resolved\"") }
        }
        try await Wait.until("the reset e-mail", timeout: .seconds(60)) {
            sink.messages().contains { $0.contains("[sedgate CN] resolved: peer-unreachable AP-DK") }
        }
        let notices = Self.notices(hook)
        #expect(notices.count == 2, "one alert, one reset: \(notices)")
        let fired = try JSONSerialization.jsonObject(with: Data(notices[0].utf8)) as? [String: Any]
        #expect(fired?["rule"] as? String == "peer-unreachable")
        #expect(fired?["subject"] as? String == "AP-DK")
        #expect(fired?["node"] as? String == "CN")
        let mails = sink.messages()
        #expect(mails.filter { $0.contains("[sedgate CN] firing: peer-unreachable AP-DK") }.count == 1, "\(mails)")
        #expect(mails.filter { $0.contains("[sedgate CN] resolved: peer-unreachable AP-DK") }.count == 1, "\(mails)")

        // A maintenance window: the same outage, longer than the rule's delay, says nothing.
        let quiet = try await OperationsTests.sedgate([
            "alerts", "maintenance", "--until", "+30", "--config", cn.config,
        ])
        #expect(quiet.status == 0, "\(quiet.output)")
        await topology.kill("AP-DK")
        try await Self.waitForEvaluations(5, port: port)
        try await topology.start("AP-DK")
        try await Self.waitForEvaluations(2, port: port)
        #expect(Self.notices(hook).count == 2, "nothing during maintenance: \(Self.notices(hook))")
        #expect(sink.messages().count == 2)
        let history = try await OperationsTests.sedgate(["alerts", "history", "--config", cn.config])
        #expect(history.output.components(separatedBy: "peer-unreachable AP-DK").count == 2, "\(history.output)")
        #expect(history.output.contains("firing by mail: sent"), "\(history.output)")
    }

    @Test("an alert still open after escalate-after-s is sent once more, marked escalated; ack takes it once")
    func escalationAndAck() async throws {
        let directory = try TemporaryDirectory("e2e-escalate")
        let webhook = try await WebhookReceiver()
        let hook = directory.path + "/hook.jsonl"
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        let cn = topology.node("CN")
        // No file system has a petabyte free: the disk rule holds from the first evaluation.
        let port = try OperationsTests.addOperatorPort(
            cn,
            extra: """
                [alerts]
                interval-s = 1
                disk-free-mb = 1000000000
                escalate-after-s = 2
                command = ["/bin/sh", "-c", "cat >> '\(hook)'"]
                webhook = "\(webhook.url)"
                """)
        try await topology.start("CN")
        try await Wait.until("the alert to escalate", timeout: .seconds(60)) {
            Self.notices(hook).contains { $0.contains("\"escalated\"") }
        }
        try await Self.waitForEvaluations(3, port: port)
        let notices = Self.notices(hook)
        #expect(notices.count == 2, "one firing, one escalation: \(notices)")
        #expect(notices.first?.contains("\"disk-free\"") == true && notices.first?.contains("\"firing\"") == true)
        let list = try await OperationsTests.sedgate(["alerts", "list", "--config", cn.config])
        let id = list.output.split(separator: "\n").first { $0.hasPrefix("#") }.map {
            String($0.dropFirst().prefix { $0.isNumber })
        }
        #expect(id != nil, "\(list.output)")
        let ack = try await OperationsTests.sedgate(["alerts", "ack", id ?? "0", "--config", cn.config])
        #expect(ack.status == 0, "\(ack.output)")
        let again = try await OperationsTests.sedgate(["alerts", "ack", id ?? "0", "--config", cn.config])
        #expect(again.status == 1, "an alert is acknowledged once: \(again.output)")
        let after = try await OperationsTests.sedgate(["alerts", "list", "--config", cn.config])
        #expect(after.output.contains("acknowledged"), "\(after.output)")
        try await Self.waitForEvaluations(2, port: port)
        #expect(Self.notices(hook).count == 2, "an acknowledged alert stays quiet")
        let posted = webhook.bodies.withLock { $0 }
        #expect(posted.count == 2 && posted.last?.contains("\"escalated\"") == true, "the webhook got both: \(posted)")
    }

    @Test("a SED landed without an earlier one of its conversation raises an order-gaps alert at the receiver")
    func orderGapAlert() async throws {
        let directory = try TemporaryDirectory("e2e-gap-alert")
        let hook = directory.path + "/hook.jsonl"
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: """
                [alerts]
                interval-s = 1
                order-gaps = true
                command = ["/bin/sh", "-c", "cat >> '\(hook)'"]
                """,
            orderWaitSeconds: 1)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        try OperationsTests.commit(SampleSED.make(sedId: .random(), index: 7, seqNo: 2), as: "second.xml", to: sender)
        try await Wait.until("the gap to be reported", timeout: .seconds(60)) {
            Self.notices(hook).contains { $0.contains("\"order-gaps\"") }
        }
        let notice = try JSONSerialization.jsonObject(with: Data(Self.notices(hook)[0].utf8)) as? [String: Any]
        #expect(notice?["node"] as? String == "AP-DK" && notice?["state"] as? String == "firing", "\(notice ?? [:])")
    }

    @Test("a CN at its queue limit counts its refusals on /metrics and raises the back-pressure alert")
    func backPressureAlert() async throws {
        let directory = try TemporaryDirectory("e2e-bp-alert")
        let hook = directory.path + "/hook.jsonl"
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            coordinationNodeSettings: "[limits]\nmax-queued = 1\nretry-after-s = 1\n")
        defer { topology.abandon() }
        let cn = topology.node("CN")
        let port = try OperationsTests.addOperatorPort(
            cn,
            extra: """
                [alerts]
                interval-s = 1
                back-pressure = true
                command = ["/bin/sh", "-c", "cat >> '\(hook)'"]
                """)
        try await topology.startAll()
        await topology.kill("AP-DK")
        let sender = topology.node("AP-BE")
        for index in 0..<2 {
            try OperationsTests.commit(
                SampleSED.make(sedId: .random(), index: index), as: "bp-\(index).xml", to: sender)
        }
        try await Wait.until("the CN to refuse the second SED", timeout: .seconds(60)) {
            let samples = OperationsTests.parse(try await OperationsTests.get(port, "/metrics").body)
            return (OperationsTests.value(samples, "sedgate_backpressure_refusals_total") ?? 0) >= 1
        }
        try await Wait.until("the back-pressure alert", timeout: .seconds(60)) {
            Self.notices(hook).contains { $0.contains("\"back-pressure\"") && $0.contains("\"firing\"") }
        }
    }

    @Test("SEDs failing at the CN over failures-per-hour raise one alert")
    func failuresAlert() async throws {
        let directory = try TemporaryDirectory("e2e-fail-alert")
        let hook = directory.path + "/hook.jsonl"
        // A lifetime of 0 hours: every SED expires at the CN, and fails there.
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(), coordinationNodeLifetimeHours: 0)
        defer { topology.abandon() }
        _ = try OperationsTests.addOperatorPort(
            topology.node("CN"),
            extra: """
                [alerts]
                interval-s = 1
                failures-per-hour = 1
                command = ["/bin/sh", "-c", "cat >> '\(hook)'"]
                """)
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        for index in 0..<2 {
            try OperationsTests.commit(
                SampleSED.make(sedId: .random(), index: index), as: "old-\(index).xml", to: sender)
        }
        try await Wait.until("both to fail", timeout: .seconds(60)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".failed.json").count == 2
        }
        try await Wait.until("the failures alert", timeout: .seconds(60)) {
            Self.notices(hook).contains { $0.contains("\"failures-per-hour\"") }
        }
        #expect(Self.notices(hook).count == 1, "\(Self.notices(hook))")
    }
}
