// OperationsCommands: `sedgate stats` (statistics from envelopes, kept beyond the journal's purge) and `sedgate
// alerts list | ack | history | maintenance`, beside a running node or without one.

import AccessPoint
import ArgumentParser
import ClusterStore
import CommandSupport
import CoordinationNode
import Foundation
import Logging
import NodeSetup
import Operations
import SedgateCore
import Spool
import Store
import Transport

extension NodeRunner {
    /// What the operations services need of a node's configuration.
    static func context(_ configuration: NodeConfiguration) -> NodeContext {
        let peers: [NodeID: String]
        let capacity: Capacity
        let role: String
        switch configuration {
        case .accessPoint(let settings):
            peers = [settings.coordinationNode: settings.coordinationNodeURL]
            capacity = settings.capacity
            role = "ap"
        case .coordinationNode(let settings):
            // Access points in pull mode ("pull") connect to the CN; there is nothing to probe.
            peers = settings.peers.filter { $0.value.hasPrefix("http") }
            capacity = settings.capacity
            role = "cn"
        }
        return NodeContext(
            node: configuration.node, role: role, spoolRoot: configuration.spool.root,
            varDirectory: configuration.spool.varDirectory, certificatePath: configuration.tls.certificatePath,
            peers: peers, capacity: capacity)
    }
}

/// A clustered CN's shared journal, for a command run beside its processes (close it when done), else nil. It
/// has a holder of its own: closing gives back the holder's leases, and a configured `holder` names a running
/// process's.
func openClusterJournal(_ configuration: NodeConfiguration) -> ClusterJournal? {
    guard case .coordinationNode(let settings) = configuration, var shared = settings.cluster else { return nil }
    shared.holder = "tool-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString.prefix(8).lowercased())"
    return ClusterJournal(settings: shared, spoolRoot: settings.spool.root, logger: Logger(label: "sedgate.tool"))
}

extension QueueCommand {
    /// `sedgate queue shape`: waiting SEDs per destination by age, like Postfix's qshape.
    struct Shape: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "SEDs waiting per destination by age in minutes (T: total), like Postfix's qshape.")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let (configuration, journal) = try openJournal(options.config)
            let cluster = openClusterJournal(configuration)
            let shape: Result<QueueShape, any Error>
            do {
                shape = .success(try await QueueShape.read(cluster.map { $0 as any QueueSource } ?? journal))
            } catch { shape = .failure(error) }
            await cluster?.close()
            print(try shape.get().render(), terminator: "")
        }
    }
}

/// `sedgate report-bundle`: one archive for a support ticket.
struct ReportBundleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report-bundle",
        abstract: "Pack configuration (secrets removed), versions, log tails, queue shape, journal integrity, alerts "
            + "and statistics into one .tar.gz for a support ticket.")
    @OptionGroup var options: ConfigOption
    @Option(name: .customLong("log"), help: "A log file whose last lines to include (repeatable).") var logs: [String] =
        []
    @Option(help: "The archive to write.") var output: String = "sedgate-report.tar.gz"

    func run() async throws {
        let (configuration, journal) = try openJournal(options.config)
        let files = try await ReportBundle.make(
            config: options.config, context: NodeRunner.context(configuration), journal: journal, logs: logs,
            output: output)
        print("wrote \(output):")
        for file in files { print("  \(file)") }
    }
}

/// `sedgate stats`: counts, volumes and hop latencies from envelopes, grouped as asked.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Statistics of the SEDs this node handled (the CN: the whole network), from envelopes only.",
        discussion: """
            Dimensions for --by: day, hour, direction, country (sending-country and receiving-country), \
            sending-country, receiving-country, sector, buc, sed-type, ap (sending-ap and receiving-ap), \
            sending-ap, receiving-ap, state. Each row gives the SEDs, their bytes, and the 50th and 95th \
            percentile of each hop's latency in milliseconds.
            """)
    @OptionGroup var options: ConfigOption
    @Option(help: "The first day (YYYY-MM-DD) or time (ISO 8601) counted.") var from: String?
    @Option(help: "The last day (YYYY-MM-DD, included) or the time (ISO 8601) counting stops at.") var to: String?
    @Option(help: "Comma-separated dimensions to group by.") var by: String = "day"
    @Option(help: "table, csv, json or xml.") var format: String = "table"

    func run() async throws {
        guard ["table", "csv", "json", "xml"].contains(format) else {
            throw ValidationError("--format must be table, csv, json or xml")
        }
        let (configuration, journal) = try openJournal(options.config)
        let context = NodeRunner.context(configuration)
        let dimensions = try exitOnError { () throws(SedgateError) in
            try StatisticsStore.dimensions(by.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        let statistics = try exitOnError { () throws(SedgateError) in
            try StatisticsStore(path: context.statisticsPath)
        }
        let end = to.map { $0.count == 10 ? Self.nextDay($0) : $0 }
        // A CN cluster's process harvests from the database its processes share.
        let cluster = openClusterJournal(configuration)
        do {
            let source: any StatisticsSource = if let cluster { cluster } else { journal }
            let harvest: Result<Int, SedgateError>
            do { harvest = .success(try await statistics.harvest(source)) } catch { harvest = .failure(error) }
            await cluster?.close()
            _ = try harvest.get()
            let table = try await statistics.query(from: from, to: end, by: dimensions)
            print(table.render(format), terminator: "")
        } catch {
            printError("sedgate: \(error)")
            throw ExitCode(1)
        }
    }

    /// The day after `day` (YYYY-MM-DD), so `--to` includes its whole day.
    static func nextDay(_ day: String) -> String {
        guard let date = Timestamp.parse(day + "T00:00:00Z") else { return day }
        return String(Timestamp.iso8601(date.addingTimeInterval(86_400)).prefix(10))
    }
}

/// `sedgate alerts`: the node's alerts, acknowledgements and maintenance windows.
struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "List, acknowledge and silence a node's alerts.",
        subcommands: [List.self, Ack.self, History.self, Maintenance.self])

    static func store(_ options: ConfigOption) throws -> AlertStore {
        let configuration = try exitOnError { () throws(SedgateError) in try NodeConfiguration.load(options.config) }
        let context = NodeRunner.context(configuration)
        return try exitOnError { () throws(SedgateError) in try AlertStore(path: context.alertsPath) }
    }

    static func show(_ alerts: [AlertRecord]) {
        for alert in alerts {
            var line = "#\(alert.id) \(alert.rule) \(SedgateLogHandler.escape(alert.subject)) opened \(alert.openedAt)"
            if let at = alert.escalatedAt { line += ", escalated \(at)" }
            if let at = alert.ackedAt { line += ", acknowledged \(at)" }
            if let at = alert.closedAt { line += ", reset \(at) (\(alert.closedBy ?? ""))" }
            print(line + ": " + SedgateLogHandler.escape(alert.detail))
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The open alerts.")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let store = try AlertsCommand.store(options)
            let open = try await store.alerts(open: true)
            if let until = try await store.maintenanceUntil() { print("maintenance until \(until)") }
            if open.isEmpty { print("no open alerts") }
            AlertsCommand.show(open)
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Acknowledge an open alert: it is not escalated, and resets when its condition clears.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The alert's number (from `sedgate alerts list`).") var id: Int64
        func run() async throws {
            let store = try AlertsCommand.store(options)
            guard try await store.acknowledge(id, at: Timestamp.now()) else {
                printError("sedgate: no open, unacknowledged alert #\(id)")
                throw ExitCode(1)
            }
            print("acknowledged #\(id)")
        }
    }

    struct History: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every alert, newest first, with its notices.")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let store = try AlertsCommand.store(options)
            for alert in try await store.alerts(open: false) {
                AlertsCommand.show([alert])
                for notice in try await store.notifications(alert.id) {
                    print("    \(notice.kind) by \(notice.channel): \(notice.outcome)")
                }
            }
        }
    }

    struct Maintenance: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Silence alerts until a time (ISO 8601 UTC, or +MINUTES), or end the window with --end.")
        @OptionGroup var options: ConfigOption
        @Option(help: "When the window ends: 2026-12-07T06:00:00Z, or +30 (minutes from now).") var until: String?
        @Flag(help: "End the maintenance window now.") var end = false
        func run() async throws {
            let store = try AlertsCommand.store(options)
            if end {
                try await store.setMaintenance(until: nil)
                print("maintenance ended")
                return
            }
            guard let until else { throw ValidationError("give --until TIME or --end") }
            let date: Date
            if until.hasPrefix("+"), let minutes = Double(until.dropFirst()) {
                date = Date().addingTimeInterval(minutes * 60)
            } else if let parsed = Timestamp.parse(until) {
                date = parsed
            } else {
                throw ValidationError("--until '\(until)' is neither an ISO 8601 UTC time nor +MINUTES")
            }
            try await store.setMaintenance(until: Timestamp.iso8601(date))
            print("alerts silenced until \(Timestamp.iso8601(date))")
        }
    }
}
