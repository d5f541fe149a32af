// CoordinationNode: the composition root of a coordination node: opens the journal, and returns the
// protocol server plus one forwarder per access point for one ServiceGroup.

import ClusterStore
import Foundation
public import Logging
public import SedgateCore
public import ServiceLifecycle
import Spool
import Store
import Transport

/// The coordination node: store and forward between access points, reading envelopes only.
public struct CoordinationNode: Sendable {
    public let configuration: CoordinationNodeConfiguration
    let journal: any MessageStore
    /// The shared PostgreSQL journal of a CN cluster (`[cluster]`), else nil: the spool's SQLite journal.
    let cluster: ClusterJournal?
    let logger: Logger

    /// Opens the node's spool and journal (creating them if needed).
    public init(configuration: CoordinationNodeConfiguration, logger: Logger) throws(SedgateError) {
        self.configuration = configuration
        try configuration.spool.create()
        if let settings = configuration.cluster {
            let cluster = ClusterJournal(settings: settings, spoolRoot: configuration.spool.root, logger: logger)
            (self.cluster, self.journal) = (cluster, cluster)
        } else {
            self.cluster = nil
            self.journal = try Journal(path: configuration.spool.varDirectory + "/journal.sqlite")
        }
        self.logger = logger
    }

    /// The journal, for the offline tools (`queue`, `trace`).
    public var store: any MessageStore { journal }

    /// The shared database's journal when the CN is a cluster's process, for the operator port and the statistics
    /// harvest; nil when the spool's SQLite journal is the node's.
    public var clusterJournal: (any OperationsJournal)? { cluster }

    /// The services to run: the protocol server and the forwarders.
    public func services() async throws(SedgateError) -> [any Service] {
        configuration.spool.sweepTemporaryFiles()
        if let cluster {
            // The database holds every stored SED's bytes with its row: var/store/ is only this process's cache.
            try await cluster.prepare()
            cluster.dropCache(in: configuration.spool.store)
        } else {
            try await configuration.spool.sweepPayloads(journal, .relay, done: [.forwarded, .failed])
            // A power cut can take back a journal row whose payload was already synced: journal it again.
            _ = try await StoreReconciliation(configuration: configuration, journal: journal, logger: logger).run()
        }
        // Each peer has a second forwarder for its SYNC SEDs, sent at once beside the batches; it hears every ring.
        let syncBells = Dictionary(uniqueKeysWithValues: configuration.peers.keys.map { ($0, Doorbell()) })
        let bells = Dictionary(
            uniqueKeysWithValues: configuration.peers.keys.map { ($0, Doorbell(alsoRinging: [syncBells[$0]!])) })
        // The CN signs the hops it sends and verifies every signature it receives; it holds no key that opens a SED.
        let codec = try CompoundCodec(tls: configuration.tls, temporaryDirectory: configuration.spool.tmp)
        let client = try ProtocolClient(tls: configuration.tls, compound: codec, logger: logger)
        let handler = RelayHandler(
            configuration: configuration, journal: journal, bells: bells, gauge: QueueGauge(journal: journal),
            logger: logger)
        let server = try ProtocolServer(
            host: configuration.host, port: configuration.port, tls: configuration.tls, handler: handler,
            logger: logger, limits: configuration.serverLimits, compound: codec,
            extensions: configuration.protocolExtensions)
        // Access points in pull mode (URL "pull") fetch their SEDs themselves: no forwarder pushes to them.
        let forwarders = configuration.peers.filter { $0.value != "pull" }.sorted { $0.key < $1.key }.flatMap {
            peer, url in
            [
                Forwarder(
                    configuration: configuration, peer: peer, url: url, journal: journal, client: client,
                    bell: bells[peer]!,
                    bells: bells, logger: logger),
                Forwarder(
                    configuration: configuration, peer: peer, url: url, journal: journal, client: client,
                    bell: syncBells[peer]!, bells: bells, logger: logger, lane: .sync),
            ]
        }
        let expiry: [any Service] =
            if let cluster {
                cluster.services(retention: configuration.retention)
            } else if let sqlite = journal as? Journal {
                [SeenSetExpiry(journal: sqlite, retention: configuration.retention, logger: logger)]
            } else { [] }
        return [server, ForwardingService(forwarders: forwarders, client: client)] + expiry
    }
}

/// Runs every forwarder side by side; shuts the shared client down at the end.
struct ForwardingService: Service {
    let forwarders: [Forwarder]
    let client: ProtocolClient

    func run() async throws {
        await withDiscardingTaskGroup { group in
            for forwarder in forwarders {
                group.addTask { await forwarder.run() }
            }
        }
        await client.shutdown()
    }
}
