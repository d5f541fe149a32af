// InspectCommands: `sedgate queue list`, `sedgate trace SEDID`, `sedgate validate FILE...`: read-only tools.

import AccessPoint
import ArgumentParser
import CommandSupport
import ConversionFunctions
import CoordinationNode
import Documents
import Foundation
import NodeSetup
import Operations
import SedgateCore
import Spool
import Store

/// Opens a node's journal for reading, without starting the node.
func openJournal(_ path: String) throws -> (NodeConfiguration, Journal) {
    let configuration = try exitOnError { () throws(SedgateError) in try NodeConfiguration.load(path) }
    let journal = try exitOnError { () throws(SedgateError) in
        try Journal(path: configuration.spool.varDirectory + "/journal.sqlite")
    }
    return (configuration, journal)
}

/// `sedgate queue list`: what waits where, and since when.
struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Inspect and steer a node's queues.",
        subcommands: [List.self, Hold.self, Release.self, Expire.self, Retry.self, Manual.self, Shape.self])

    /// Runs one operator action on one SED.
    static func act(
        _ options: ConfigOption, _ sedId: String,
        _ action: (QueueOperations, SEDID) async throws(SedgateError) -> String
    ) async throws {
        guard let id = SEDID(sedId) else { throw ValidationError("'\(sedId)' is not a SED id (a UUID)") }
        let (configuration, journal) = try openJournal(options.config)
        let operations = QueueOperations(configuration: configuration, journal: journal)
        do {
            print(try await action(operations, id))
        } catch {
            printError("sedgate: \(error)")
            throw ExitCode(1)
        }
    }

    struct Hold: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Keep a waiting SED from being sent or forwarded.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The SED id.") var sedId: String
        func run() async throws {
            try await QueueCommand.act(options, sedId) { (operations, id) throws(SedgateError) in
                try await operations.hold(id)
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send a held SED on, or land a received SED that waits for earlier ones of its conversation.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The SED id.") var sedId: String
        func run() async throws {
            try await QueueCommand.act(options, sedId) { (operations, id) throws(SedgateError) in
                try await operations.release(id)
            }
        }
    }

    struct Expire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give up on a waiting or held SED: it fails, and its sender is told.")
        @OptionGroup var options: ConfigOption
        @Argument(help: "The SED id.") var sedId: String
        func run() async throws {
            try await QueueCommand.act(options, sedId) { (operations, id) throws(SedgateError) in
                try await operations.expire(id)
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Retry everything that waits, now, without backoff.")
        @OptionGroup var options: ConfigOption
        func run() async throws {
            let (configuration, journal) = try openJournal(options.config)
            print(
                try exitOnError { () throws(SedgateError) in
                    try QueueOperations(configuration: configuration, journal: journal).retryNow()
                })
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "What waits where, and since when.")
        @OptionGroup var options: ConfigOption
        @Option(help: "Show at most this many waiting SEDs per state.")
        var limit: Int = 20

        func run() async throws {
            let (configuration, journal) = try openJournal(options.config)
            let counts = try await journal.counts()
            print("node \(configuration.node)  spool \(configuration.spool.root)")
            print("")
            print(pad("DIRECTION", 10) + pad("STATE", 12) + "COUNT")
            for direction in [Direction.outbound, .relay, .inbound] {
                for (state, count) in (counts[direction] ?? [:]).sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    print(pad(direction.rawValue, 10) + pad(state.rawValue, 12) + "\(count)")
                }
            }
            let intakes = try await journal.openIntakes()
            if !intakes.isEmpty { print("intake    (taking)    \(intakes.count)") }
            let waiting: [(Direction, SEDState)] = [
                (.outbound, .accepted), (.outbound, .held), (.outbound, .sent), (.relay, .stored), (.relay, .held),
                (.inbound, .received), (.inbound, .waiting),
            ]
            for (direction, state) in waiting {
                let records = try await journal.records(direction, in: state, peer: nil, limit: limit)
                guard !records.isEmpty else { continue }
                print("")
                print("waiting: \(direction.rawValue) \(state.rawValue)")
                print(pad("SINCE", 26) + pad("SED ID", 38) + pad("PEER", 10) + pad("TRIES", 7) + "FILE / LAST ERROR")
                for record in records {
                    // A SED waiting for earlier ones of its conversation says which it is.
                    let note =
                        state == .waiting
                        ? "SeqNo \(record.envelope.seqNo ?? 0) of \(record.envelope.conversation ?? "")" : nil
                    print(
                        pad(record.updatedAt, 26) + pad(record.sedId.rawValue, 38) + pad(record.peer.rawValue, 10)
                            + pad("\(record.attempts)", 7) + (note ?? record.lastError ?? record.file ?? ""))
                }
            }
        }
    }
}

/// `sedgate trace SEDID`: one SED's history on this node.
struct TraceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trace", abstract: "One SED's history on this node.")
    @OptionGroup var options: ConfigOption
    @Argument(help: "The SED id (a UUID).")
    var sedId: String
    @Flag(help: "Ask every node of [operator-peers] too, and merge their facts in time order with hop latencies.")
    var network = false

    func run() async throws {
        guard let id = SEDID(sedId) else { throw ValidationError("'\(sedId)' is not a SED id (a UUID)") }
        let (configuration, journal) = try openJournal(options.config)
        let history = try await journal.history(id)
        if network {
            try await NetworkTrace.run(id, node: configuration.node, history: history, config: options.config)
            return
        }
        guard !history.isEmpty else {
            printError("sedgate: node \(configuration.node) has no record of SED \(id)")
            throw ExitCode(1)
        }
        for direction in [Direction.outbound, .relay, .inbound] {
            if let record = try await journal.record(id, direction) {
                let envelope = record.envelope
                var line = "SED \(id) (\(direction.rawValue)) now \(record.state): \(envelope.sedType) "
                line += "\(envelope.sender) -> \(envelope.receiver), peer \(record.peer), \(record.size) bytes"
                if let file = record.file { line += ", \(file)" }
                print(line)
            }
        }
        for event in history {
            print(
                pad(event.at, 26) + pad(event.direction.rawValue, 6) + pad(event.state.rawValue, 11)
                    + (event.detail ?? ""))
        }
    }
}

/// `sedgate validate FILE... [--rules DIR]`: checks SED documents: safe parse, the envelope schema and rules,
/// and the content rules (XSD + Schematron) for each SED's type and version.
struct ValidateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Validate SED documents against the envelope schema and the content rules.")
    @Option(help: "The content rules folder (<SedType>/<SedVersion>/*.xsd|*.sch); empty for the envelope only.")
    var rules: String = "etc/validation"
    @Flag(help: "Print warnings and notes too, not only errors.")
    var verbose = false
    @Argument(help: "SED files to check.")
    var files: [String]

    func run() async throws {
        let validator: SEDValidator?
        if rules.isEmpty {
            validator = nil
        } else {
            validator = try exitOnError { () throws(SedgateError) in try SEDValidator(rulesDirectory: rules) }
        }
        var failures = 0
        for file in files {
            do {
                let bytes = try SpoolFile.read(file, maxBytes: 64 << 20)
                let document = try SEDReader.read(bytes, source: file)
                let envelope = document.envelope
                guard let report = validator?.validate(document) else {
                    print("\(file): valid envelope, \(envelope.sedType) \(envelope.sender) -> \(envelope.receiver)")
                    continue
                }
                if !report.isValid { failures += 1 }
                let verdict = report.isValid ? "valid" : "INVALID"
                print(
                    "\(file): \(verdict) \(envelope.sedType) \(envelope.sedVersion), \(report.errors.count) errors, "
                        + "\(report.warnings.count) warnings (rules: \(report.rulesApplied.joined(separator: ", ")))")
                for finding in report.findings where verbose || finding.severity == .error {
                    let line = finding.line.map { " line \($0)" } ?? ""
                    print("  \(finding.severity) \(finding.path ?? "/")\(line): \(finding.message)")
                }
            } catch {
                failures += 1
                print("\(file): \(error)")
            }
        }
        if failures > 0 { throw ExitCode(1) }
    }
}

/// `sedgate migrate --stylesheet XSL FILE...`: XML ⇄ XML version migration with libxslt and the function library.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Transform SEDs with an XSLT stylesheet (e.g. conversions/xslt/*.xsl).")
    @Option(help: "The stylesheet.")
    var stylesheet: String
    @Option(help: "Where to write the results (same file names); default: standard output.")
    var out: String?
    @Option(name: .customLong("param"), help: "A stylesheet parameter, name=value (repeatable).")
    var parameters: [String] = []
    @Argument(help: "SED files to transform.")
    var files: [String]

    func run() async throws {
        let library = try exitOnError { () throws(SedgateError) in try FunctionLibrary.standard() }
        let sheet = try exitOnError { () throws(SedgateError) in try XSLTStylesheet(path: stylesheet, library: library)
        }
        var values: [String: String] = [:]
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2 else { throw ValidationError("--param takes name=value, not '\(parameter)'") }
            values[parts[0]] = parts[1]
        }
        for file in files {
            let result = try exitOnError { () throws(SedgateError) in
                let bytes = try SpoolFile.read(file, maxBytes: 64 << 20)
                return try sheet.transform(bytes, source: file, parameters: values)
            }
            if let out {
                let target = out + "/" + URL(fileURLWithPath: file).lastPathComponent
                try exitOnError { () throws(SedgateError) in try SpoolFile.writeAtomically(result, to: target) }
                print("\(file) -> \(target)")
            } else {
                FileHandleStandardOutput.write(result)
            }
        }
    }
}
