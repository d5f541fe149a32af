// NodeCommands: `sedgate ap` and `sedgate cn`: run one node until SIGTERM or SIGINT.

import AccessPoint
import ArgumentParser
import CMalloc
import CommandSupport
import ConfigurationFile
import CoordinationNode
import Documents
import Glibc
import Logging
import NodeSetup
import Operations
import SedgateCore
import ServiceLifecycle
import Spool
import UnixSignals

/// `sedgate ap --config FILE`: runs an access point.
struct AccessPointCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ap", abstract: "Run an access point.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await NodeRunner.run(options, role: "ap")
    }
}

/// `sedgate cn --config FILE`: runs a coordination node.
struct CoordinationNodeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cn", abstract: "Run a coordination node.")
    @OptionGroup var options: ConfigOption

    func run() async throws {
        try await NodeRunner.run(options, role: "cn")
    }
}

/// Loads a configuration, builds the node's services and runs them in one ServiceGroup.
enum NodeRunner {
    static func run(_ options: ConfigOption, role: String) async throws {
        // glibc gives each thread that allocates its own arena and keeps what it frees there, and it raises its
        // mmap threshold after each large free, so buffers of a few megabytes (fragments) end up retained in the
        // heap. Two arenas and a fixed 1 MiB threshold keep a node's resident memory near what it actually holds.
        _ = sedgate_tune_malloc(2, 1 << 20)
        // A write to a connection the other end has closed (a peer, the cluster's database lost) is an error the
        // node handles, never a SIGPIPE that ends it: under systemd a process starts with SIGPIPE at its default.
        signal(SIGPIPE, SIG_IGN)
        var (configuration, directory) = try exitOnError { () throws(SedgateError) in
            try NodeConfiguration.loadWithDirectory(options.config, expecting: role)
        }
        let operations = try exitOnError { () throws(SedgateError) in
            try OperationsSettings.load(ConfigFile(path: options.config))
        }
        Logs.bootstrap(format: operations.logFormat)
        NodeMetrics.bootstrap()
        var logger = Logger(label: "sedgate.\(configuration.node)")
        logger.logLevel = Logger.Level(rawValue: options.logLevel) ?? .info
        let directoryServices = try exitOnError { () throws(SedgateError) in
            try NodeDirectory.attach(&configuration, settings: directory, logger: logger)
        }
        var services: [any Service]
        var cluster: (any OperationsJournal)? = nil
        switch (configuration, role) {
        case (.accessPoint(let settings), "ap"):
            let node = try exitOnError { () throws(SedgateError) in
                try AccessPoint(configuration: settings, logger: logger)
            }
            services = try await node.services()
        case (.coordinationNode(let settings), "cn"):
            let node = try exitOnError { () throws(SedgateError) in
                try CoordinationNode(configuration: settings, logger: logger)
            }
            services = try await node.services()
            cluster = node.clusterJournal
        default:
            throw ValidationError(
                "\(options.config) configures a \(role == "ap" ? "coordination node" : "access point"); use `sedgate \(role == "ap" ? "cn" : "ap")`"
            )
        }
        services += directoryServices
        services += try exitOnError { () throws(SedgateError) in
            try NodeSite.services(options.config, directory: directory, logger: logger)
        }
        let operating = try exitOnError { () throws(SedgateError) in
            try OperationsServices.make(
                operations, context: Self.context(configuration), cluster: cluster, logger: logger)
        }
        let console = try exitOnError { () throws(SedgateError) in
            try NodeConsole.services(
                configuration, config: options.config, directory: directory, operatorPeers: operations.operatorPeers,
                logger: logger)
        }
        let validator: SEDValidator? =
            if case .accessPoint(let settings) = configuration { settings.validator } else { nil }
        let reload = HangupReload { [logger] in
            do throws(SedgateError) {
                try validator?.reload()
                logger.notice("reloaded on SIGHUP", metadata: ["validation": "\(validator?.rulesDirectory ?? "none")"])
            } catch {
                logger.error("reload on SIGHUP failed; the previous rules stay", metadata: ["error": "\(error)"])
            }
        }
        logger.notice("starting", metadata: ["node": "\(configuration.node)", "spool": "\(configuration.spool.root)"])
        let group = ServiceGroup(
            configuration: .init(
                services: (services + operating + console + [reload]).map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        // What the run cost in durable operations, for `sedgate bench` and operators (not synced: informative).
        let counters = "{\"fsyncs\": \(IOCounters.fsyncs), \"journalCommits\": \(IOCounters.commits)}\n"
        try? SpoolFile.writeAtomically(
            Array(counters.utf8), to: configuration.spool.varDirectory + "/io-counters.json", durable: false)
        logger.notice(
            "stopped",
            metadata: [
                "node": "\(configuration.node)", "fsyncs": "\(IOCounters.fsyncs)",
                "journalCommits": "\(IOCounters.commits)",
            ])
    }
}

/// Logging set-up, once per process: every value escaped, in the human format or as JSON (`[log] format`).
enum Logs {
    static func bootstrap(format: OperationsSettings.LogFormat = .human) {
        LoggingSystem.bootstrap { label in SedgateLogHandler(label: label, format: format) }
    }
}
