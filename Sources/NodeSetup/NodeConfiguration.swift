// NodeConfiguration: turns an `etc/<node>.toml` into an access point's or a coordination node's
// configuration. The file's `[node] role` says which. Reads the file and, for an access point, the mappings,
// validation rules and conversions it names; writes nothing. Every error names the file, the table and the key.

public import AccessPoint
import ConfigurationFile
import Console
public import CoordinationNode
import Foundation
import Operations
import PublicSite
public import SedgateCore
public import Spool
public import Transport

/// A node's configuration, by role.
public enum NodeConfiguration: Sendable {
    /// `[node] role = "ap"`: an access point.
    case accessPoint(AccessPointConfiguration)
    /// `[node] role = "cn"`: a coordination node.
    case coordinationNode(CoordinationNodeConfiguration)

    /// The node's spool tree.
    public var spool: SpoolLayout {
        switch self {
        case .accessPoint(let configuration): return configuration.spool
        case .coordinationNode(let configuration): return configuration.spool
        }
    }

    /// The node's certificate, key and trusted roots.
    public var tls: TLSFiles {
        switch self {
        case .accessPoint(let configuration): return configuration.tls
        case .coordinationNode(let configuration): return configuration.tls
        }
    }

    /// The node's id (`[node] id`).
    public var node: NodeID {
        switch self {
        case .accessPoint(let configuration): return configuration.node
        case .coordinationNode(let configuration): return configuration.node
        }
    }

    /// Reads and checks `path`; with `expected`, a file for the other role is refused first, by name.
    public static func load(_ path: String, expecting expected: String? = nil) throws(SedgateError) -> NodeConfiguration
    {
        try loadWithDirectory(path, expecting: expected).configuration
    }

    /// `load`, and the node's `[directory]` settings.
    public static func loadWithDirectory(
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
        let common = try CommonSettings(file)
        let result: NodeConfiguration
        switch role {
        case "ap": result = .accessPoint(try Self.accessPoint(file, path: path, common))
        case "cn": result = .coordinationNode(try Self.coordinationNode(file, common))
        default:
            throw file.fail(
                "node", "role", "is '\(role)'; it must be \"ap\" (access point) or \"cn\" (coordination node)")
        }
        let directory = try DirectorySettings(
            file, configurationFile: path, role: role, node: common.node, spool: common.spool, tls: common.tls)
        _ = try OperationsSettings.load(file)
        _ = try ConsoleSettings.load(file)
        _ = try PublicSiteSettings.load(file)
        let cluster = role == "cn" ? try Self.cluster(file) : nil
        try file.checkUnknownKeys()
        switch result {
        case .accessPoint(var configuration):
            configuration.serverLimits = common.serverLimits
            configuration.directoryCertificates = directory.sealingCertificates
            return (.accessPoint(configuration), directory)
        case .coordinationNode(var configuration):
            configuration.serverLimits = common.serverLimits
            configuration.cluster = cluster
            return (.coordinationNode(configuration), directory)
        }
    }

    /// A coordination node's own tables: `[peers]`, `[routes]` (each to a peer) and `[limits] max-queued`.
    private static func coordinationNode(
        _ file: ConfigFile, _ common: CommonSettings
    ) throws(SedgateError) -> CoordinationNodeConfiguration {
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
        var capacity = common.capacity
        capacity.maxQueued = try file.int("limits", "max-queued", default: 1_000_000)
        let table: RoutingTable
        do { table = try RoutingTable(routes) } catch { throw file.fail("routes", nil, error.message) }
        return CoordinationNodeConfiguration(
            node: common.node, spool: common.spool, host: common.host, port: common.port, tls: common.tls,
            peers: peers, routes: table, retryInitial: common.retryInitial, retryMaximum: common.retryMaximum,
            capacity: capacity, lifetime: common.lifetime, packing: common.packing, retention: common.retention)
    }
}
