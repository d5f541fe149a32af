// CommonSettings: the tables both roles read the same way: who the node is (`[node]`), where it listens (`[server]`),
// its certificates (`[tls]`), retries and lifetime (`[retry]`), how long the journal remembers (`[journal]`), disk
// back-pressure (`[limits]`) and packing (`[pack]`).

import ConfigurationFile
import Foundation
import SedgateCore
import Spool
import Transport

/// The settings an access point and a coordination node share, read and checked.
struct CommonSettings {
    var node: NodeID
    var spool: SpoolLayout
    var host: String
    var port: Int
    var serverLimits: ServerLimits
    var tls: TLSFiles
    var retryInitial: Duration
    var retryMaximum: Duration
    /// How long a SED may live before it fails (`[retry] lifetime-hours`).
    var lifetime: Duration
    /// How long the journal keeps a finished SED (`[journal] keep-days`); always longer than `lifetime`.
    var retention: Duration
    var capacity: Capacity
    var packing: PackingLimits

    init(_ file: ConfigFile) throws(SedgateError) {
        node = try file.node("node", "id")
        spool = SpoolLayout(root: try file.string("node", "spool"))
        host = try file.string("server", "host", default: "127.0.0.1")
        port = try file.int("server", "port")
        serverLimits = try Self.serverLimits(file)
        tls = TLSFiles(
            certificatePath: try file.string("tls", "certificate"),
            privateKeyPath: try file.string("tls", "private-key"),
            trustRootsPath: try file.string("tls", "ca"))
        retryInitial = try file.milliseconds("retry", "initial-ms", default: 250)
        retryMaximum = try file.milliseconds("retry", "maximum-ms", default: 30_000)
        lifetime = Duration.seconds(try file.int("retry", "lifetime-hours", default: 720) * 3_600)
        let keepDays = try file.int("journal", "keep-days", default: 90)
        guard keepDays * 24 > lifetime.components.seconds / 3_600 else {
            throw file.fail(
                "journal", "keep-days",
                "is \(keepDays) days, not more than the SED lifetime ([retry] lifetime-hours); a duplicate could then "
                    + "arrive after its SED was forgotten. Keep finished SEDs longer than they can live")
        }
        retention = Duration.seconds(keepDays * 86_400)
        let minFreeMB = try file.int("limits", "min-free-mb", default: 64)
        let retryAfter = try file.int("limits", "retry-after-s", default: 30)
        packing = PackingLimits(
            maxSEDs: max(1, try file.int("pack", "max-seds", default: 50)),
            maxBytes: max(1, try file.int("pack", "max-kb", default: 8_192)) << 10,
            wait: try file.milliseconds("pack", "wait-ms", default: 0),
            fragmentAbove: max(1, try file.int("pack", "fragment-above-kb", default: 8_192)) << 10,
            fragmentSize: min(64 << 10, max(64, try file.int("pack", "fragment-kb", default: 2_048))) << 10)
        capacity = Capacity(minFreeBytes: Int64(minFreeMB) << 20, retryAfter: .seconds(retryAfter))
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
