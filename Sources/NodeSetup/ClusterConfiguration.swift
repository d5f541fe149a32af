// ClusterConfiguration: the configuration of a CN cluster and of the access points that use it. A CN's
// `[cluster]` names the PostgreSQL database its processes share; an AP's `[cn] url` may list several CN processes
// (`url = ["https://cn1:8443", "https://cn2:8443"]`), which it fails over between.

import ClusterStore
import ConfigurationFile
import SedgateCore

extension NodeConfiguration {
    /// A CN's `[cluster]`: `database` (one `postgres://` URL, or a list: the primary, then its standbys), `lease-ms`,
    /// `holder`, `connections`, and the database's timeouts `statement-timeout-ms`, `connect-timeout-ms` and
    /// `connection-wait-ms`. Nil without a `database`: the CN keeps its journal in SQLite.
    static func cluster(_ file: ConfigFile) throws(SedgateError) -> ClusterSettings? {
        let urls = try Self.stringOrList(file, "cluster", "database")
        let leaseMilliseconds = try file.int("cluster", "lease-ms", default: 5_000)
        let holder = try file.string("cluster", "holder", default: "")
        let connections = try file.int("cluster", "connections", default: 4)
        var timeouts: [Duration] = []
        for (key, fallback) in [
            ("statement-timeout-ms", 30_000), ("connect-timeout-ms", 3_000), ("connection-wait-ms", 60_000),
        ] {
            let milliseconds = try file.int("cluster", key, default: fallback)
            guard milliseconds >= 100 else {
                throw file.fail("cluster", key, "is \(milliseconds); it must be 100 or more")
            }
            timeouts.append(.milliseconds(milliseconds))
        }
        guard !urls.isEmpty else { return nil }
        var endpoints: [ClusterSettings.Endpoint] = []
        for url in urls {
            guard let endpoint = ClusterSettings.Endpoint(url: url) else {
                throw file.fail(
                    "cluster", "database", "holds '\(url)', not a postgres://user[:password]@host[:port]/database URL")
            }
            endpoints.append(endpoint)
        }
        guard leaseMilliseconds >= 500 else {
            throw file.fail("cluster", "lease-ms", "is \(leaseMilliseconds); it must be 500 or more")
        }
        guard connections >= 1 else {
            throw file.fail("cluster", "connections", "is \(connections); it must be 1 or more")
        }
        return ClusterSettings(
            endpoints: endpoints, holder: holder.isEmpty ? nil : holder, lease: .milliseconds(leaseMilliseconds),
            connections: connections, statementTimeout: timeouts[0], connectTimeout: timeouts[1],
            connectionWait: timeouts[2])
    }

    /// An AP's `[cn] url`: one URL, or the URLs of a CN cluster's processes in the order to try them.
    static func coordinationNodeURLs(_ file: ConfigFile) throws(SedgateError) -> [String] {
        let urls = try Self.stringOrList(file, "cn", "url")
        guard !urls.isEmpty else { throw file.fail("cn", "url", "is missing") }
        return urls
    }

    /// `[table] key` as a list: a string is a list of one, a missing key an empty list.
    private static func stringOrList(
        _ file: ConfigFile, _ table: String, _ key: String
    ) throws(SedgateError)
        -> [String]
    {
        if let list = try? file.strings(table, key) { return list }
        return [try file.string(table, key)]
    }
}
