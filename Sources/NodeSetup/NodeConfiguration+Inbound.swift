// NodeConfiguration+Inbound: the tables that say where an access point hands received SEDs to the national
// side: inbound routes and their channels, inbound batches, and the web-service and database queues.

import AccessPoint
import ConfigurationFile
import Foundation
import SedgateCore

extension NodeConfiguration {
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
}
