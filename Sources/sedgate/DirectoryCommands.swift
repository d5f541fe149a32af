// DirectoryCommands: `sedgate directory import|export|set|delete|show|history|search|serve|refusals`. On the CN
// they read and write the master; on an AP they read its replica and send changes to the CN, signed by the AP,
// which applies them only for the institutions of the AP's countries.

import AccessPoint
import ArgumentParser
import CommandSupport
import ConversionFunctions
import Directory
import Foundation
import Logging
import NodeSetup
import SedgateCore
import Transport
import WSSecurity

/// `sedgate directory …`.
struct DirectoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory",
        abstract: "The EESSI directory: institutions, access points, certificates; bulk files, history, search.",
        subcommands: [
            DirectoryImport.self, DirectoryExport.self, DirectorySet.self, DirectoryDelete.self, DirectoryShow.self,
            DirectoryHistory.self, DirectorySearch.self, DirectoryServe.self, DirectoryRefusals.self,
        ])
}

/// Which directory a command works on: a node's (`--config`), or a database file (`--database`, e.g. the public
/// copy) with the conversions folder's schema.
struct DirectoryOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "The node's configuration file (etc/<node>.toml).")
    var config: String?
    @Option(help: "A directory database file instead (e.g. a public copy); read with --conversions' schema.")
    var database: String?
    @Option(help: "The conversions folder (schema.json, synonyms.tsv, transliteration tables) for --database.")
    var conversions: String?

    /// The node's settings, when `--config` was given.
    func settings() throws -> DirectorySettings? {
        guard let config else { return nil }
        return try exitOnError { () throws(SedgateError) in try NodeConfiguration.loadWithDirectory(config).directory }
    }

    func open() throws -> DirectoryStore {
        if let settings = try settings() { return try exitOnError { () throws(SedgateError) in try settings.open() } }
        guard let database else { throw ValidationError("give --config <node.toml> or --database <file>") }
        return try exitOnError { () throws(SedgateError) in
            let folder = try ConversionsDirectoryLookup.find(conversions)
            return try DirectoryStore(
                path: database, schema: try DirectorySchema.load(folder + "/directory/schema.json"),
                text: try SearchText(conversions: folder))
        }
    }

    /// Applies proposals: on the CN (or a database) directly; on an AP, by asking the CN.
    func apply(_ proposals: [DirectoryProposal], who: String?, why: String) async throws -> Int64 {
        if let settings = try settings(), settings.role == "ap" {
            guard
                case .accessPoint(let ap) = try exitOnError({ () throws(SedgateError) in
                    try NodeConfiguration.load(config ?? "")
                })
            else { throw ExitCode(2) }
            let client = try exitOnError { () throws(SedgateError) in
                try ProtocolClient(tls: ap.tls, logger: Logger(label: "sedgate.directory"))
            }
            defer { Task { await client.shutdown() } }
            let key = try exitOnError { () throws(SedgateError) in try NodeDirectory.readKey(ap.tls.privateKeyPath) }
            let sender = DirectoryClient(
                client: client, node: ap.node, keyPEM: key, coordinationNodeURL: ap.coordinationNodeURL)
            do {
                let serial = try await sender.propose(proposals, why: why)
                await client.shutdown()
                return serial
            } catch {
                await client.shutdown()
                printError("sedgate: \(error)")
                throw ExitCode(1)
            }
        }
        let store = try open()
        return try exitOnError { () throws(SedgateError) in
            try store.apply(proposals, who: who ?? ProcessInfo.processInfo.userName, why: why)
        }
    }
}

/// Finds the conversions folder as the node does.
enum ConversionsDirectoryLookup {
    static func find(_ configured: String?) throws(SedgateError) -> String {
        try ConversionsDirectory.find(configured: configured)
    }
}

/// Dates as `--as-of` takes them.
enum DirectoryDates {
    static func parse(_ text: String) -> Date? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withFullDate]
        // A day means its end: "as of 2026-01-31" includes what changed that day.
        return formatter.date(from: text).map { $0.addingTimeInterval(86_399.999) }
    }
}

/// An entry as text for a reader: field labels and codes in the reader's language, names with their Latin form.
enum DirectoryText {
    static func describe(_ entry: DirectoryEntry, store: DirectoryStore, language: String) -> String {
        let schema = store.schema
        var lines = ["\(entry.id) (\(schema.kinds[entry.kind.rawValue]?.label[language] ?? entry.kind.rawValue))"]
        for (key, values) in entry.fields.sorted(by: { $0.key < $1.key }) {
            let field = schema.fields[DirectorySchema.base(key)]
            for value in values {
                var shown = value
                if field?.type == "code", let list = field?.codes {
                    shown = "\(value) (\(schema.label(code: value, list: list, language: language)))"
                } else if field?.type == "certificate" {
                    let facts = CertificateFacts(pem: Data(value.utf8))
                    shown = facts.map { "\($0.commonName), valid \($0.notBefore) to \($0.notAfter)" } ?? "(unreadable)"
                } else if field?.localized == true {
                    let latin = store.text.latin(value)
                    if latin != value { shown = "\(value) (\(latin))" }
                }
                lines.append("  \(schema.label(field: key, language: language)): \(shown)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// `sedgate directory import FILE`: all lines or none.
struct DirectoryImport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import a CSV or XML file of entries: every bad line is reported, and then nothing is applied.")
    @OptionGroup var directory: DirectoryOptions
    @Argument(help: "The file (.csv or .xml).")
    var file: String
    @Option(help: "csv or xml (default: by the file's extension).")
    var format: String?
    @Option(help: "Every entry must be of this country (an upload per country).")
    var country: String?
    @Option(help: "Every entry must be of this sector.")
    var sector: String?
    @Option(help: "Why (kept in the history).")
    var why: String
    @Option(help: "Who (default: your user name; on an AP the CN records the AP).")
    var who: String?

    func run() async throws {
        let started = Date()
        guard let bytes = FileManager.default.contents(atPath: file) else {
            printError("sedgate: \(file) cannot be read")
            throw ExitCode(1)
        }
        let name = format ?? (file as NSString).pathExtension.lowercased()
        guard let kind = DirectoryFileFormat(rawValue: name), kind == .csv || kind == .xml else {
            throw ValidationError("--format must be csv or xml")
        }
        let contents = DirectoryFile.read(
            Array(bytes), format: kind, source: file, country: country, sector: sector)
        var problems = contents.problems
        let proposals = contents.entries.map { DirectoryProposal.set($0.entry) }
        if problems.isEmpty {
            let store = try directory.open()
            let checked = try exitOnError { () throws(SedgateError) in try store.problems(proposals) }
            problems = checked.map { (contents.entries[$0.index].line, $0.problem) }
        }
        if !problems.isEmpty {
            for (line, message) in problems.sorted(by: { $0.line < $1.line }) {
                printError("\(file):\(line): \(message)")
            }
            printError("sedgate: \(problems.count) problem(s) in \(file); nothing was imported")
            throw ExitCode(1)
        }
        let serial = try await directory.apply(proposals, who: who, why: why)
        let seconds = Date().timeIntervalSince(started)
        print(
            "imported \(proposals.count) entries from \(file) in \(String(format: "%.1f", seconds)) s; directory "
                + "serial \(serial)")
    }
}

/// `sedgate directory export`.
struct DirectoryExport: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export", abstract: "Export entries as CSV, XML, LDIF or JSON, or a public copy database.")
    @OptionGroup var directory: DirectoryOptions
    @Option(help: "csv, xml, ldif or json.")
    var format: String = "csv"
    @Flag(help: "LDIF for an LDAP server (same as --format ldif).")
    var ldif = false
    @Option(help: "The LDAP base of the LDIF.")
    var base = "dc=eessi,dc=eu"
    @Option(help: "Only entries of this country.")
    var country: String?
    @Option(help: "Only entries of this sector.")
    var sector: String?
    @Option(help: "Only entries of this kind (ap or ci).")
    var kind: String?
    @Flag(help: "Leave out operational fields (AP URLs, certificates).")
    var `public` = false
    @Option(help: "Write a public copy: a new directory database without operational fields (FS-11).")
    var publicDatabase: String?
    @Option(help: "Write here instead of standard output.")
    var output: String?

    func run() async throws {
        let store = try directory.open()
        var entries = try exitOnError { () throws(SedgateError) in
            try store.entries(kind: kind.flatMap(EntryKind.init), country: country, sector: sector)
        }
        if `public` || publicDatabase != nil {
            entries = entries.map { entry in
                var copy = entry
                copy.fields = entry.fields.filter { !store.schema.isOperational($0.key) }
                return copy
            }
        }
        if let publicDatabase {
            try? FileManager.default.removeItem(atPath: publicDatabase)
            let copy = try exitOnError { () throws(SedgateError) in
                try DirectoryStore(path: publicDatabase, schema: store.schema, text: store.text)
            }
            try exitOnError { () throws(SedgateError) in
                try copy.replace(with: entries, serial: max(1, try store.serial()))
            }
            print("wrote \(entries.count) entries without operational data to \(publicDatabase)")
            return
        }
        let text: String
        switch ldif ? .ldif : DirectoryFileFormat(rawValue: format) {
        case .csv: text = DirectoryFile.csv(entries)
        case .xml: text = DirectoryFile.xml(entries)
        case .ldif: text = DirectoryFile.ldif(entries, base: base, latin: store.text.latin)
        case .json:
            let data = try JSONEncoder().encode(entries)
            text = String(decoding: data, as: UTF8.self) + "\n"
        case nil: throw ValidationError("--format must be csv, xml, ldif or json")
        }
        if let output {
            try text.write(toFile: output, atomically: true, encoding: .utf8)
        } else {
            print(text, terminator: "")
        }
    }
}

/// `sedgate directory set`.
struct DirectorySet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set", abstract: "Insert or change one entry; fields not named keep their values.")
    @OptionGroup var directory: DirectoryOptions
    @Option(help: "ap or ci.")
    var kind: String = "ci"
    @Option(help: "The entry: an AP's node id, or an institution's address CC:INSTITUTION[:OFFICE[:EXTRA]].")
    var id: String
    @Option(
        name: .customLong("field"), help: "name=value (repeat a name for several values; value @file reads a file).")
    var fields: [String] = []
    @Option(name: .customLong("remove"), help: "A field to remove.")
    var removals: [String] = []
    @Option(help: "Why (kept in the history).")
    var why: String
    @Option(help: "Who (default: your user name).")
    var who: String?

    func run() async throws {
        guard let kind = EntryKind(rawValue: kind) else { throw ValidationError("--kind must be ap or ci") }
        let store = try directory.open()
        var entry = (try? store.entry(id)) ?? nil ?? DirectoryEntry(kind: kind, id: id)
        var given: [String: [String]] = [:]
        for field in fields {
            guard let equals = field.firstIndex(of: "=") else {
                throw ValidationError("--field \(field): write name=value")
            }
            var value = String(field[field.index(after: equals)...])
            if value.hasPrefix("@") {
                guard let text = try? String(contentsOfFile: String(value.dropFirst()), encoding: .utf8) else {
                    throw ValidationError("--field \(field): the file cannot be read")
                }
                value = text
            }
            given[String(field[..<equals]), default: []].append(value)
        }
        for (name, values) in given { entry.fields[name] = values }
        for name in removals { entry.fields[name] = nil }
        let serial = try await directory.apply([.set(entry)], who: who, why: why)
        print("\(id) set; directory serial \(serial)")
    }
}

/// `sedgate directory delete`.
struct DirectoryDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete", abstract: "Delete (close) an entry; a merged institution names its successor.")
    @OptionGroup var directory: DirectoryOptions
    @Option(help: "The entry's id.")
    var id: String
    @Option(help: "ap or ci.")
    var kind: String = "ci"
    @Option(help: "The institution that takes over (its address).")
    var successor: String?
    @Option(help: "Why (kept in the history).")
    var why: String
    @Option(help: "Who (default: your user name).")
    var who: String?

    func run() async throws {
        guard let kind = EntryKind(rawValue: kind) else { throw ValidationError("--kind must be ap or ci") }
        let serial = try await directory.apply([.delete(kind: kind, id: id, successor: successor)], who: who, why: why)
        print("\(id) deleted; directory serial \(serial)")
    }
}

/// `sedgate directory show ID`.
struct DirectoryShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "show", abstract: "Show an entry, now or as of a past date, in the reader's language.")
    @OptionGroup var directory: DirectoryOptions
    @Argument(help: "The entry's id.")
    var id: String
    @Option(help: "A past date or time (2026-01-31 or 2026-01-31T12:00:00Z).")
    var asOf: String?
    @Option(help: "The language of labels (en, fr, de).")
    var lang = "en"

    func run() async throws {
        let store = try directory.open()
        var date: Date?
        if let asOf {
            guard let parsed = DirectoryDates.parse(asOf) else { throw ValidationError("--as-of \(asOf): not a date") }
            date = parsed
        }
        let entry = try exitOnError { () throws(SedgateError) in
            if let date { return try store.entry(id, asOf: date) }
            return try store.entry(id)
        }
        guard let entry else {
            if let last = try? store.lastChange(id), last.operation == .delete {
                let successor = last.entry?.value("successor").map { "; its successor is \($0)" } ?? ""
                print("\(id) was closed on \(last.at) by \(last.who) (\(last.why))\(successor)")
            } else {
                printError("sedgate: the directory has no entry \(id)\(asOf.map { " as of \($0)" } ?? "")")
            }
            throw ExitCode(1)
        }
        print(DirectoryText.describe(entry, store: store, language: lang))
    }
}

/// `sedgate directory history ID`.
struct DirectoryHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "Every change of an entry: serial, when, who, why, what.")
    @OptionGroup var directory: DirectoryOptions
    @Argument(help: "The entry's id.")
    var id: String

    func run() async throws {
        let store = try directory.open()
        let changes = try exitOnError { () throws(SedgateError) in try store.history(id) }
        guard !changes.isEmpty else {
            printError("sedgate: the directory has no history of \(id)")
            throw ExitCode(1)
        }
        for change in changes {
            let successor = change.operation == .delete ? change.entry?.value("successor").map { " → \($0)" } ?? "" : ""
            print(
                "\(change.serial)\t\(change.at)\t\(change.operation.rawValue)\(successor)\t\(change.who)\t\(change.why)"
            )
        }
    }
}

/// `sedgate directory search TEXT`.
struct DirectorySearch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Search names (any language and script), addresses and attributes; EHIC issuers first.")
    @OptionGroup var directory: DirectoryOptions
    @Argument(help: "Words (partial words match; synonyms and transliteration apply).")
    var words: [String] = []
    @Option(help: "Only this country.")
    var country: String?
    @Option(help: "ap or ci.")
    var kind: String?
    @Option(help: "Only institutions with this function code.")
    var function: String?
    @Option(help: "Only this sector code.")
    var sector: String?
    @Option(help: "Only this benefit type code.")
    var benefit: String?
    @Option(help: "The language of labels.")
    var lang = "en"
    @Option(help: "At most this many results.")
    var limit = 20

    func run() async throws {
        let store = try directory.open()
        var attributes: [String: String] = [:]
        if let function { attributes["function"] = function }
        if let sector { attributes["sector"] = sector }
        if let benefit { attributes["benefit"] = benefit }
        let results = try exitOnError { () throws(SedgateError) in
            try store.search(
                DirectoryQuery(
                    text: words.joined(separator: " "), kind: kind.flatMap(EntryKind.init), country: country,
                    attributes: attributes, limit: limit))
        }
        let api = DirectorySearchAPI(store: store, public: false)
        for entry in results {
            let name = api.name(of: entry, language: lang)
            let latin = store.text.latin(name)
            print("\(entry.id)\t\(name)\(latin != name ? " (\(latin))" : "")\(entry.isEHICIssuer ? "\tEHIC" : "")")
        }
    }
}

/// `sedgate directory refusals`.
struct DirectoryRefusals: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refusals", abstract: "Changes the CN refused (an AP outside its countries): when, who, why.")
    @OptionGroup var directory: DirectoryOptions

    func run() async throws {
        let store = try directory.open()
        for refusal in try exitOnError({ () throws(SedgateError) in try store.refusals() }) {
            print("\(refusal.at)\t\(refusal.who)\t\(refusal.id)\t\(refusal.reason)")
        }
    }
}

/// `sedgate directory serve`.
struct DirectoryServe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the read-only JSON search (GET /directory/search?q=…) of a node's directory or a public copy.")
    @OptionGroup var directory: DirectoryOptions
    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"
    @Option(help: "The port.")
    var port: Int
    @Flag(help: "Show no operational fields even if the database has them.")
    var `public` = false
    @Flag(help: "Serve the public directory site (HTML in every language of conversions/site/) and the JSON search.")
    var site = false
    @Option(help: "With --site: its public address for sitemap.xml and canonical links (default: the Host header).")
    var baseURL: String?

    func run() async throws {
        Logs.bootstrap()
        let store = try directory.open()
        if site {
            return try await NodeSite.serve(store, directory, baseURL: baseURL, host: host, port: port)
        }
        let server = DirectoryHTTPServer(
            api: DirectorySearchAPI(store: store, public: `public` || directory.database != nil), host: host,
            port: port, logger: Logger(label: "sedgate.directory"))
        try await server.run()
    }
}
