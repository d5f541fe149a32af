// AccessPoint: the composition root of an access point: opens the journal and spool, recovers what a
// crash interrupted, and returns the node's services for one ServiceGroup.

import Foundation
public import Logging
public import SedgateCore
public import ServiceLifecycle
import Spool
import Store
import Transport

/// One access point: intake from `outbound/`, sending to the CN, receiving into `inbound/`.
public struct AccessPoint: Sendable {
    public let configuration: AccessPointConfiguration
    let journal: Journal
    let logger: Logger

    /// Opens the node's spool and journal (creating them if needed).
    public init(configuration: AccessPointConfiguration, logger: Logger) throws(SedgateError) {
        self.configuration = configuration
        try configuration.spool.create()
        // The sub-folders of inbound/ the routing rules name, so a poller can watch them before the first SED.
        for channel in configuration.inboundRouting.channels {
            do {
                try FileManager.default.createDirectory(
                    atPath: configuration.spool.root + "/" + channel.folder, withIntermediateDirectories: true)
            } catch {
                throw SedgateError(
                    .io, "cannot create \(channel.folder) for the inbound routes: \(error)", cause: error)
            }
        }
        self.journal = try Journal(path: configuration.spool.varDirectory + "/journal.sqlite")
        self.logger = logger
    }

    /// The journal, for the offline tools (`queue`, `trace`).
    public var store: any MessageStore { journal }

    /// Finishes interrupted work, then returns the services to run: protocol server, intake, sender, take-up.
    public func services() async throws(SedgateError) -> [any Service] {
        // In pull mode the protocol server still runs (the CN may reach it on another path), but nothing
        // depends on it: SEDs and receipts arrive through the Puller.
        // SYNC SEDs have their own sender beside the batches; it hears every ring of theirs.
        let syncBell = Doorbell()
        let bell = Doorbell(alsoRinging: [syncBell])
        let intake = IntakeQueue(configuration: configuration, journal: journal, logger: logger, sender: bell)
        // The node's TLS identity also signs and opens compound messages (WS-Security, end-to-end encryption).
        let codec = try CompoundCodec(tls: configuration.tls, temporaryDirectory: configuration.spool.tmp)
        var receiver = InboundReceiver(configuration: configuration, journal: journal, codec: codec, logger: logger)
        let tracker = try SyncTracker(configuration: configuration, journal: journal, logger: logger)
        receiver.replies = tracker
        configuration.spool.sweepTemporaryFiles()
        try await configuration.spool.sweepPayloads(journal, .outbound, done: [.sent, .delivered, .routed])
        try await intake.recover()
        try await receiver.recover()
        let batcher = InboundBatcher(configuration: configuration, journal: journal, logger: logger)
        try await batcher.recover()
        let client = try ProtocolClient(
            tls: configuration.tls, compound: codec, alternatives: [configuration.coordinationNodeURLs], logger: logger)
        let server = try ProtocolServer(
            host: configuration.host, port: configuration.port, tls: configuration.tls, handler: receiver,
            logger: logger, limits: configuration.serverLimits, compound: codec,
            extensions: configuration.protocolExtensions)
        var services: [any Service] = [
            server,
            IntakeService(queue: intake, settle: configuration.settle, rescan: configuration.rescan, logger: logger),
            OutboundSender(
                configuration: configuration, journal: journal, client: client, codec: codec, bell: bell,
                logger: logger),
            OutboundSender(
                configuration: configuration, journal: journal, client: client, codec: codec, bell: syncBell,
                logger: logger, lane: .sync),
            tracker,
            TakeUpWatcher(configuration: configuration, journal: journal, sender: bell, logger: logger),
            ResequencerService(resequencer: receiver.resequencer, logger: logger),
            SeenSetExpiry(journal: journal, retention: configuration.retention, logger: logger),
            batcher,
            BatchReporter(configuration: configuration, journal: journal, interval: .milliseconds(500), logger: logger),
        ]
        // The national side's other interfaces, when configured: the web-service and the database queues.
        if let settings = configuration.webQueue {
            let queue = WebQueue(
                configuration: configuration, journal: journal, sender: bell, leaseDuration: settings.lease)
            services.append(NationalWebService(queue: queue, settings: settings, logger: logger))
        }
        if let settings = configuration.databaseQueue {
            services.append(
                DatabaseQueue(
                    configuration: configuration, journal: journal, sender: bell, settings: settings, logger: logger))
        }
        if let interval = configuration.pullInterval {
            services.append(
                Puller(
                    configuration: configuration, receiver: receiver, client: client, interval: interval,
                    logger: logger))
        }
        return services
    }
}

/// Runs the outbound watcher and hands its events to the intake queue, a burst at a time.
struct IntakeService: Service {
    /// The most files taken as one group.
    static let groupLimit = 256

    let queue: IntakeQueue
    let settle: Duration
    let rescan: Duration
    let logger: Logger

    func run() async throws {
        let watcher = OutboundWatcher(
            directory: queue.configuration.spool.outbound, settle: settle, rescan: rescan,
            allowedProfiles: Set(queue.configuration.profiles.keys), logger: logger)
        // A burst of committed files is taken as one group (one commit, one sync per folder), in commit order.
        for try await events in watcher.batches(limit: Self.groupLimit).cancelOnGracefulShutdown() {
            var files: [CommittedFile] = []
            for event in events {
                switch event {
                case .committed(let file):
                    files.append(file)
                case .refused(let path, let relativePath, let reason):
                    await queue.take(all: files)
                    files = []
                    await queue.refuse(path: path, relativePath: relativePath, reason: reason)
                }
            }
            await queue.take(all: files)
        }
    }
}
