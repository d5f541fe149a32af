// OperationsServices: what a running node adds for its operators, as Services for its ServiceGroup: the operator
// port (when `[operator] listen` is set), the statistics harvester (unless `[statistics] harvest-s = 0`: statistics
// must outlive the journal's purge), and the alert engine (when `[alerts]` sets a rule).

import Foundation
public import Logging
public import SedgateCore
public import ServiceLifecycle
import Store

/// What the operations services need to know of their node.
public struct NodeContext: Sendable {
    public var node: NodeID
    public var role: String
    public var spoolRoot: String
    /// `<spool>/var`: the journal, and the statistics and alert databases beside it.
    public var varDirectory: String
    public var certificatePath: String
    /// The peers this node connects to (id → URL), for the peer-unreachable rule.
    public var peers: [NodeID: String]
    /// The node's back-pressure limits, for the back-pressure rule.
    public var capacity: Capacity

    public init(
        node: NodeID, role: String, spoolRoot: String, varDirectory: String, certificatePath: String,
        peers: [NodeID: String], capacity: Capacity
    ) {
        self.node = node
        self.role = role
        self.spoolRoot = spoolRoot
        self.varDirectory = varDirectory
        self.certificatePath = certificatePath
        self.peers = peers
        self.capacity = capacity
    }

    public var journalPath: String { varDirectory + "/journal.sqlite" }
    public var statisticsPath: String { varDirectory + "/statistics.sqlite" }
    public var alertsPath: String { varDirectory + "/alerts.sqlite" }
}

/// Builds the operations services of one node.
public enum OperationsServices {
    /// `cluster` is a clustered CN's shared journal: the operator port (queue gauges, SEDs per state, traces) and
    /// the statistics harvest read it instead of the spool's SQLite journal.
    public static func make(
        _ settings: OperationsSettings, context: NodeContext, cluster: (any OperationsJournal)? = nil, logger: Logger
    )
        throws(SedgateError) -> [any Service]
    {
        let journal = try Journal(path: context.journalPath)
        let shared: any OperationsJournal = cluster ?? journal
        let metrics = NodeMetrics(
            node: context.node, journal: shared, spoolRoot: context.spoolRoot,
            certificatePath: context.certificatePath)
        var services: [any Service] = []
        if let listen = settings.listen {
            services.append(
                OperatorServer.application(
                    host: listen.host, port: listen.port, node: context.node, journal: shared, metrics: metrics,
                    logger: logger))
        }
        if let interval = settings.harvestInterval {
            let statistics = try StatisticsStore(path: context.statisticsPath)
            services.append(
                StatisticsHarvester(
                    statistics: statistics, journal: shared, interval: interval, logger: logger))
        }
        if !settings.alerts.isEmpty {
            let store = try AlertStore(path: context.alertsPath)
            services.append(
                AlertEngine(
                    rules: settings.alerts, context: context, store: store, journal: journal, logger: logger))
        }
        return services
    }
}
