// NodeMetrics: swift-prometheus as the swift-metrics backend, and the gauges read from the node's state at each
// scrape (queue depth and oldest age per destination, SEDs per state, disk free, certificate days to expiry).
// The pipeline's own counters (`sedgate_seds_total`, retries, back-pressure refusals, fragment bytes) are
// swift-metrics calls where they happen; this file only gives them a backend and adds what is read on demand.

import CoreMetrics
import Foundation
import Glibc
import Metrics
public import Prometheus
public import SedgateCore
import Synchronization

/// What a node exposes to Prometheus.
public final class NodeMetrics: Sendable {
    /// The registry every swift-metrics call of this process ends in.
    public static let registry = PrometheusCollectorRegistry()

    /// Makes swift-prometheus the process's swift-metrics backend (once, before any metric is made).
    public static func bootstrap() {
        var factory = PrometheusMetricsFactory(registry: registry)
        let latency: [Duration] = [
            .milliseconds(5), .milliseconds(25), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .seconds(2.5), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(1_800),
            .seconds(3_600), .seconds(21_600), .seconds(86_400),
        ]
        factory.defaultDurationHistogramBuckets = latency
        MetricsSystem.bootstrap(factory)
    }

    let node: NodeID
    let journal: any OperationsJournal
    let spoolRoot: String
    let certificatePath: String
    /// Destinations seen at an earlier scrape: an emptied queue reads 0, not its last depth.
    private let seen = Mutex<Set<[String]>>([])

    public init(node: NodeID, journal: any OperationsJournal, spoolRoot: String, certificatePath: String) {
        self.node = node
        self.journal = journal
        self.spoolRoot = spoolRoot
        self.certificatePath = certificatePath
    }

    /// The Prometheus text exposition, with the on-demand gauges read first.
    public func scrape() async -> String {
        await refresh()
        return Self.registry.emitToString()
    }

    /// Reads the gauges from the journal, the file system and the certificate.
    public func refresh() async {
        let now = Date()
        if let queues = try? await Self.queues(journal) {
            var labels: Set<[String]> = []
            for queue in queues {
                let key = [queue.direction, queue.peer]
                labels.insert(key)
                let dimensions = [("direction", queue.direction), ("destination", queue.peer)]
                Gauge(label: "sedgate_queue_depth", dimensions: dimensions).record(queue.depth)
                let age = queue.oldest.flatMap(Timestamp.parse).map { now.timeIntervalSince($0) } ?? 0
                Gauge(label: "sedgate_queue_oldest_seconds", dimensions: dimensions).record(max(0, age))
            }
            let gone = seen.withLock { previous in
                let gone = previous.subtracting(labels)
                previous = labels.union(previous)
                return gone
            }
            for key in gone {
                let dimensions = [("direction", key[0]), ("destination", key[1])]
                Gauge(label: "sedgate_queue_depth", dimensions: dimensions).record(0)
                Gauge(label: "sedgate_queue_oldest_seconds", dimensions: dimensions).record(0)
            }
        }
        if let counts = try? await journal.counts() {
            for (direction, states) in counts {
                for (state, count) in states {
                    Gauge(
                        label: "sedgate_journal_seds",
                        dimensions: [("direction", direction.rawValue), ("state", state.rawValue)]
                    ).record(count)
                }
            }
        }
        if let free = Self.freeBytes(spoolRoot) { Gauge(label: "sedgate_disk_free_bytes").record(free) }
        if let expiry = Certificate.notAfter(pemFile: certificatePath) {
            Gauge(label: "sedgate_certificate_expiry_days").record(expiry.timeIntervalSince(now) / 86_400)
        }
    }

    /// One destination's queue: SEDs waiting to be sent (outbound) or forwarded (relay), and the oldest's time.
    public typealias Queue = QueueDepth

    /// The queues of SEDs waiting (accepted, stored or held) per direction and destination.
    public static func queues(_ journal: any QueueSource) async throws(SedgateError) -> [Queue] {
        try await journal.queueDepths()
    }

    /// The bytes free for an unprivileged user on the file system holding `path`.
    public static func freeBytes(_ path: String) -> Int64? {
        var stats = statvfs()
        guard statvfs(path, &stats) == 0 else { return nil }
        return Int64(stats.f_bavail) * Int64(stats.f_frsize)
    }
}
