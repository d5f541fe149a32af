// NodeConfiguration: turns an `etc/<node>.toml` into an access point's or a coordination node's
// configuration. The file's `[node] role` says which.

import AccessPoint
import Batches
import ConfigurationFile
import Console
import Conversion
import ConversionFunctions
import CoordinationNode
import Documents
import Foundation
import Operations
import PublicSite
import SedgateCore
import Spool
import Transport

/// A node's configuration, by role.
enum NodeConfiguration {
    case accessPoint(AccessPointConfiguration)
    case coordinationNode(CoordinationNodeConfiguration)

    var spool: SpoolLayout {
        switch self {
        case .accessPoint(let configuration): return configuration.spool
        case .coordinationNode(let configuration): return configuration.spool
        }
    }

    var tls: TLSFiles {
        switch self {
        case .accessPoint(let configuration): return configuration.tls
        case .coordinationNode(let configuration): return configuration.tls
        }
    }

    var node: NodeID {
        switch self {
        case .accessPoint(let configuration): return configuration.node
        case .coordinationNode(let configuration): return configuration.node
        }
    }

    /// `[inbound-routes.<name>]` and `[inbound] default-route`: which channel each received SED lands in.
    static func inboundRouting(
        _ file: ConfigFile, profiles: Set<String>, batches: Set<String>
    ) throws(SedgateError) -> InboundRouting {
        func channel(_ table: String, _ key: String, _ text: String) throws(SedgateError) -> InboundChannel {
            guard let channel = InboundChannel(text) else {
                throw file.fail(
                    table, key,
                    "is '\(text)'; a channel is inbound, inbound/<folder>, profile:<name>, batch:<name> or manual")
            }
            if case .profile(let name) = channel, !profiles.contains(name) {
                throw file.fail(table, key, "names profile '\(name)', which is not configured in [profiles]")
            }
            if case .batch(let name) = channel, !batches.contains(name) {
                throw file.fail(table, key, "names batch '\(name)', which is not configured in [inbound-batches]")
            }
            return channel
        }
        func list(_ text: String?) -> [String] {
            (text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let keys = ["receiver", "sector", "sed-type", "buc", "to"]
        var rules: [InboundRule] = []
        for (name, values) in try file.subtables("inbound-routes") {
            let table = "inbound-routes.\(name)"
            for key in values.keys where !keys.contains(key) {
                throw file.fail(table, key, "is not a known setting (\(keys.joined(separator: ", ")))")
            }
            guard let to = values["to"] else { throw file.fail(table, "to", "is missing: say which channel") }
            rules.append(
                InboundRule(
                    name: name, receivers: list(values["receiver"]), sectors: Set(list(values["sector"])),
                    sedTypes: Set(list(values["sed-type"])), bucTypes: Set(list(values["buc"])),
                    channel: try channel(table, "to", to)))
        }
        let fallback = try file.string("inbound", "default-route", default: "")
        return InboundRouting(
            rules: rules, defaultChannel: fallback.isEmpty ? nil : try channel("inbound", "default-route", fallback))
    }

    /// `[npap.database]`: the PostgreSQL queue (nil when the table is absent).
    static func databaseQueue(_ file: ConfigFile) throws(SedgateError) -> DatabaseQueueSettings? {
        guard let values = try file.subtables("npap")["database"] else { return nil }
        let table = "npap.database"
        let keys = ["host", "port", "user", "password", "database", "poll-ms"]
        for key in values.keys where !keys.contains(key) {
            throw file.fail(table, key, "is not a known setting (\(keys.joined(separator: ", ")))")
        }
        guard let port = Int(values["port"] ?? "5432"), (1...65_535).contains(port) else {
            throw file.fail(table, "port", "must be the PostgreSQL server's TCP port")
        }
        guard let user = values["user"], let database = values["database"] else {
            throw file.fail(table, values["user"] == nil ? "user" : "database", "is missing")
        }
        guard let poll = Int(values["poll-ms"] ?? "1000"), poll >= 10 else {
            throw file.fail(table, "poll-ms", "must be a whole number of milliseconds, 10 or more")
        }
        return DatabaseQueueSettings(
            host: values["host"] ?? "127.0.0.1", port: port, user: user, password: values["password"],
            database: database, poll: .milliseconds(poll))
    }

    /// `[npap.web]`: the web-service queue (nil when the table is absent).
    static func webQueue(_ file: ConfigFile) throws(SedgateError) -> WebQueueSettings? {
        guard let values = try file.subtables("npap")["web"] else { return nil }
        let table = "npap.web"
        let keys = ["host", "port", "tokens", "lease-s"]
        for key in values.keys where !keys.contains(key) {
            throw file.fail(table, key, "is not a known setting (\(keys.joined(separator: ", ")))")
        }
        guard let portText = values["port"], let port = Int(portText), (1...65_535).contains(port) else {
            throw file.fail(table, "port", "must be the TCP port the web-service queue listens on")
        }
        var tokens: [String: String] = [:]
        for pair in (values["tokens"] ?? "").split(separator: ",") {
            let parts = pair.split(separator: ":", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 16 else {
                throw file.fail(
                    table, "tokens",
                    "must list \"<application>:<token>\" pairs separated by commas, each token 16 characters or more")
            }
            tokens[parts[1]] = parts[0]
        }
        guard !tokens.isEmpty else { throw file.fail(table, "tokens", "must name at least one application") }
        guard let lease = Int(values["lease-s"] ?? "300"), lease >= 1 else {
            throw file.fail(table, "lease-s", "must be a whole number of seconds, 1 or more")
        }
        return WebQueueSettings(
            host: values["host"] ?? "127.0.0.1", port: port, tokens: tokens, lease: .seconds(lease))
    }

    /// `[inbound-batches.<name>]`: received SEDs collected into one flat file per count or period.
    static func inboundBatches(
        _ file: ConfigFile, profiles: Set<String>
    ) throws(SedgateError) -> [String: InboundBatchProfile] {
        var batches: [String: InboundBatchProfile] = [:]
        for (name, values) in try file.subtables("inbound-batches") {
            let table = "inbound-batches.\(name)"
            let keys = ["profile", "max-count", "period-s"]
            for key in values.keys where !keys.contains(key) {
                throw file.fail(table, key, "is not a known setting (\(keys.joined(separator: ", ")))")
            }
            guard InboundChannel("batch:\(name)") != nil else {
                throw file.fail(table, nil, "'\(name)' is not a plain name; use letters, digits, - and _")
            }
            guard let profile = values["profile"], profiles.contains(profile) else {
                throw file.fail(table, "profile", "must name a flat-file profile configured in [profiles]")
            }
            func count(_ key: String, _ fallback: Int) throws(SedgateError) -> Int {
                guard let text = values[key] else { return fallback }
                guard let value = Int(text), value >= 1 else {
                    throw file.fail(table, key, "is '\(text)'; it must be a whole number, 1 or more")
                }
                return value
            }
            batches[name] = InboundBatchProfile(
                profile: profile, maxCount: try count("max-count", 1_000),
                period: .seconds(try count("period-s", 86_400)))
        }
        return batches
    }

    /// `[batch]`: what an archive committed to `outbound/` may unpack to.
    static func archiveLimits(_ file: ConfigFile) throws(SedgateError) -> ArchiveLimits {
        var limits = ArchiveLimits()
        limits.maxEntries = try file.int("batch", "max-entries", default: limits.maxEntries)
        limits.maxTotalBytes = try file.int("batch", "max-total-mb", default: limits.maxTotalBytes >> 20) << 20
        limits.maxRatio = try file.int("batch", "max-ratio", default: limits.maxRatio)
        for (key, value) in [
            ("max-entries", limits.maxEntries), ("max-total-mb", limits.maxTotalBytes), ("max-ratio", limits.maxRatio),
        ]
        where value < 1 {
            throw file.fail("batch", key, "is \(value); it must be 1 or more")
        }
        return limits
    }

    /// Reads and checks `path`; with `expected`, a file for the other role is refused first, by name.
    static func load(_ path: String, expecting expected: String? = nil) throws(SedgateError) -> NodeConfiguration {
        try loadWithDirectory(path, expecting: expected).configuration
    }

    /// `load`, and the node's `[directory]` settings.
    static func loadWithDirectory(
        _ path: String, expecting expected: String? = nil
    ) throws(SedgateError) -> (configuration: NodeConfiguration, directory: DirectorySettings) {
        let file = try ConfigFile(path: path)
        let role = try file.string("node", "role")
        if let expected, role != expected, ["ap", "cn"].contains(role) {
            let what = role == "cn" ? "a coordination node" : "an access point"
            throw file.fail(
                "node", "role",
                "is \"\(role)\": this file configures \(what); start it with `sedgate \(role) --config \(path)`")
        }
        let node = try file.node("node", "id")
        let spool = SpoolLayout(root: try file.string("node", "spool"))
        let host = try file.string("server", "host", default: "127.0.0.1")
        let port = try file.int("server", "port")
        let serverLimits = try Self.serverLimits(file)
        let tls = TLSFiles(
            certificatePath: try file.string("tls", "certificate"),
            privateKeyPath: try file.string("tls", "private-key"),
            trustRootsPath: try file.string("tls", "ca"))
        let retryInitial = try file.milliseconds("retry", "initial-ms", default: 250)
        let retryMaximum = try file.milliseconds("retry", "maximum-ms", default: 30_000)
        let lifetime = Duration.seconds(try file.int("retry", "lifetime-hours", default: 720) * 3_600)
        let keepDays = try file.int("journal", "keep-days", default: 90)
        guard keepDays * 24 > lifetime.components.seconds / 3_600 else {
            throw file.fail(
                "journal", "keep-days",
                "is \(keepDays) days, not more than the SED lifetime ([retry] lifetime-hours); a duplicate could then "
                    + "arrive after its SED was forgotten. Keep finished SEDs longer than they can live")
        }
        let retention = Duration.seconds(keepDays * 86_400)
        let minFreeMB = try file.int("limits", "min-free-mb", default: 64)
        let retryAfter = try file.int("limits", "retry-after-s", default: 30)
        let packing = PackingLimits(
            maxSEDs: max(1, try file.int("pack", "max-seds", default: 50)),
            maxBytes: max(1, try file.int("pack", "max-kb", default: 8_192)) << 10,
            wait: try file.milliseconds("pack", "wait-ms", default: 0),
            fragmentAbove: max(1, try file.int("pack", "fragment-above-kb", default: 8_192)) << 10,
            fragmentSize: min(64 << 10, max(64, try file.int("pack", "fragment-kb", default: 2_048))) << 10)
        var capacity = Capacity(minFreeBytes: Int64(minFreeMB) << 20, retryAfter: .seconds(retryAfter))
        let result: NodeConfiguration
        switch role {
        case "ap":
            let template: FileNameTemplate
            do {
                template = try FileNameTemplate(
                    try file.string("inbound", "template", default: "{receiver}_{sedType}_{sedId}.xml"))
            } catch {
                throw file.fail("inbound", "template", error.message)
            }
            let rules = try file.string("validation", "rules", default: "")
            let policyText = try file.string("validation", "outbound", default: "reject")
            guard let policy = ValidationPolicy(rawValue: policyText) else {
                throw file.fail(
                    "validation", "outbound", "is '\(policyText)'; it must be \"reject\", \"flag\" or \"off\"")
            }
            let validator: SEDValidator?
            do {
                validator = rules.isEmpty ? nil : try SEDValidator(rulesDirectory: rules)
            } catch {
                throw file.fail("validation", "rules", error.message)
            }
            let mode = try file.string("cn", "mode", default: "push")
            guard ["push", "pull"].contains(mode) else {
                throw file.fail(
                    "cn", "mode", "is '\(mode)'; it must be \"push\" (the CN delivers) or \"pull\" (this AP polls)")
            }
            let pollInterval = try file.milliseconds("cn", "poll-ms", default: 1_000)
            let pullInterval: Duration? = mode == "pull" ? pollInterval : nil
            var profiles: [String: ConversionProfile] = [:]
            let profileTables = try file.subtables("profiles")
            let conversions = try file.string("conversions", "directory", default: "")
            var library: FunctionLibrary?
            if !profileTables.isEmpty {
                do {
                    library = try FunctionLibrary.standard(
                        configured: conversions.isEmpty ? nil : conversions, configurationFile: path)
                } catch {
                    if conversions.isEmpty { throw error }
                    throw file.fail("conversions", "directory", error.message)
                }
            }
            for (name, values) in profileTables {
                let table = "profiles.\(name)"
                let plain =
                    !name.isEmpty && name.utf8.count <= 64
                    && name.unicodeScalars.allSatisfy {
                        $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
                    }
                guard plain else {
                    throw file.fail(
                        table, nil, "'\(name)' cannot be a folder name in outbound/; use letters, digits, - and _")
                }
                for key in values.keys where !["mapping", "format", "inbound-types", "validation"].contains(key) {
                    throw file.fail(table, key, "is not a known setting (mapping, format, inbound-types, validation)")
                }
                var profilePolicy: ValidationPolicy?
                if let text = values["validation"] {
                    guard let parsed = ValidationPolicy(rawValue: text) else {
                        throw file.fail(table, "validation", "is '\(text)'; it must be \"reject\", \"flag\" or \"off\"")
                    }
                    profilePolicy = parsed
                }
                let inboundTypes = Set(
                    (values["inbound-types"] ?? "").split(separator: ",").map {
                        $0.trimmingCharacters(in: .whitespaces)
                    }
                    .filter { !$0.isEmpty })
                guard let path = values["mapping"] else { throw file.fail(table, "mapping", "is missing") }
                guard let format = FlatProfile(rawValue: values["format"] ?? "mtf") else {
                    throw file.fail(table, "format", "must be \"mtf\" or \"cff\"")
                }
                do {
                    profiles[name] = ConversionProfile(
                        mapping: try Mapping.load(path, library: library!), format: format, inboundTypes: inboundTypes,
                        validation: profilePolicy)
                } catch {
                    throw file.fail(table, "mapping", error.description)
                }
            }
            var apRoutes: [String: NodeID] = [:]
            for (key, value) in try file.stringTable("routes") {
                guard let id = NodeID(value) else { throw file.fail("routes", key, "names '\(value)', not a node id") }
                apRoutes[key] = id
            }
            let routeTable: RoutingTable
            do { routeTable = try RoutingTable(apRoutes) } catch { throw file.fail("routes", nil, error.message) }
            let orderWaitSeconds = try file.int("inbound", "order-wait-s", default: 600)
            guard orderWaitSeconds >= 0 else {
                throw file.fail("inbound", "order-wait-s", "is \(orderWaitSeconds); it must be 0 (no ordering) or more")
            }
            let orderWait = Duration.seconds(orderWaitSeconds)
            let rescanSeconds = try file.int("intake", "rescan-s", default: 30)
            guard rescanSeconds >= 0 else {
                throw file.fail("intake", "rescan-s", "is \(rescanSeconds); it must be 0 (no rescan) or more")
            }
            let takeUpScanSeconds = try file.int("inbound", "takeup-scan-s", default: 300)
            guard takeUpScanSeconds >= 1 else {
                throw file.fail("inbound", "takeup-scan-s", "is \(takeUpScanSeconds); it must be 1 or more")
            }
            let certificates = try file.string(
                "directory", "certificates",
                default: (tls.trustRootsPath as NSString).deletingLastPathComponent)
            var accessPoint =
                AccessPointConfiguration(
                    node: node, spool: spool, host: host, port: port, tls: tls,
                    coordinationNode: try file.node("cn", "id"),
                    coordinationNodeURL: try Self.coordinationNodeURLs(file)[0],
                    settle: try file.milliseconds("intake", "settle-ms", default: 500),
                    maxDocumentBytes: try file.int("intake", "max-document-bytes", default: 16 << 20),
                    inboundTemplate: template, retryInitial: retryInitial, retryMaximum: retryMaximum,
                    capacity: capacity, validator: validator, outboundValidation: policy, lifetime: lifetime,
                    profiles: profiles, pullInterval: pullInterval, routes: routeTable, certificates: certificates,
                    packing: packing, retention: retention, orderWait: orderWait,
                    takeUpScan: .seconds(takeUpScanSeconds), rescan: .seconds(rescanSeconds))
            accessPoint.coordinationNodeURLs = try Self.coordinationNodeURLs(file)
            accessPoint.archiveLimits = try Self.archiveLimits(file)
            accessPoint.inboundBatches = try Self.inboundBatches(file, profiles: Set(profiles.keys))
            accessPoint.webQueue = try Self.webQueue(file)
            accessPoint.databaseQueue = try Self.databaseQueue(file)
            accessPoint.syncTimeout = try SyncSettings.timeout(file)
            accessPoint.inboundRouting = try Self.inboundRouting(
                file, profiles: Set(profiles.keys), batches: Set(accessPoint.inboundBatches.keys))
            result = .accessPoint(accessPoint)
        case "cn":
            var peers: [NodeID: String] = [:]
            for (key, url) in try file.stringTable("peers") {
                guard let id = NodeID(key) else { throw file.fail("peers", key, "is not a node id") }
                peers[id] = url
            }
            var routes: [String: NodeID] = [:]
            for (key, value) in try file.stringTable("routes") {
                guard let id = NodeID(value), peers[id] != nil else {
                    throw file.fail("routes", key, "names '\(value)', which is not listed in [peers]")
                }
                routes[key] = id
            }
            let maxQueued = try file.int("limits", "max-queued", default: 1_000_000)
            capacity.maxQueued = maxQueued
            let table: RoutingTable
            do { table = try RoutingTable(routes) } catch { throw file.fail("routes", nil, error.message) }
            result = .coordinationNode(
                CoordinationNodeConfiguration(
                    node: node, spool: spool, host: host, port: port, tls: tls, peers: peers, routes: table,
                    retryInitial: retryInitial, retryMaximum: retryMaximum, capacity: capacity, lifetime: lifetime,
                    packing: packing, retention: retention))
        default:
            throw file.fail(
                "node", "role", "is '\(role)'; it must be \"ap\" (access point) or \"cn\" (coordination node)")
        }
        let directory = try DirectorySettings(
            file, configurationFile: path, role: role, node: node, spool: spool, tls: tls)
        _ = try OperationsSettings.load(file)
        _ = try ConsoleSettings.load(file)
        _ = try PublicSiteSettings.load(file)
        let cluster = role == "cn" ? try Self.cluster(file) : nil
        try file.checkUnknownKeys()
        switch result {
        case .accessPoint(var configuration):
            configuration.serverLimits = serverLimits
            configuration.directoryCertificates = directory.sealingCertificates
            return (.accessPoint(configuration), directory)
        case .coordinationNode(var configuration):
            configuration.serverLimits = serverLimits
            configuration.cluster = cluster
            return (.coordinationNode(configuration), directory)
        }
    }

    /// `[server]`'s bounds on connections and request bodies; each must be 1 or more.
    private static func serverLimits(_ file: ConfigFile) throws(SedgateError) -> ServerLimits {
        let defaults = ServerLimits()
        func positive(_ key: String, _ fallback: Int) throws(SedgateError) -> Int {
            let value = try file.int("server", key, default: fallback)
            guard value >= 1 else { throw file.fail("server", key, "is \(value); it must be 1 or more") }
            return value
        }
        return ServerLimits(
            maximumBodyBytes: try positive("max-body-mb", defaults.maximumBodyBytes >> 20) << 20,
            maximumBufferedBytes: try positive("max-buffered-mb", defaults.maximumBufferedBytes >> 20) << 20,
            maximumConnections: try positive("max-connections", defaults.maximumConnections),
            maximumConnectionsPerPeer: try positive("max-connections-per-peer", defaults.maximumConnectionsPerPeer),
            handshakeTimeout: .seconds(try positive("handshake-timeout-s", 10)),
            idleTimeout: .seconds(try positive("idle-timeout-s", 60)))
    }
}
