// NodeDirectory: wires the directory into a starting node: routing from it (behind `[routes]`, which stays as a
// local override), the sealing certificates it lists, and its replication: the CN serves its master on the
// protocol server, an AP keeps its replica current.

import AccessPoint
import CoordinationNode
import Directory
import Foundation
import Logging
import NodeSetup
import SedgateCore
import ServiceLifecycle
import Transport

enum NodeDirectory {
    /// Opens the node's directory, routes `configuration` through it and returns the services that keep it current.
    static func attach(
        _ configuration: inout NodeConfiguration, settings: DirectorySettings, logger: Logger
    ) throws(SedgateError) -> [any Service] {
        guard settings.conversions != nil else {
            logger.warning("no conversions folder (conversions/directory/): routing by [routes] only, no directory")
            return []
        }
        let store = try settings.open()
        let routes = DirectoryRoutes()
        switch configuration {
        case .coordinationNode(var cn):
            let follower = DirectoryFollower(store: store, routes: routes, certificates: nil, logger: logger)
            try follower.catchUp()
            cn.routes = LayeredRoutes(override: cn.routes, fallback: routes)
            // Access points the directory lists join [peers] (which wins where both name one).
            for entry in try store.entries(kind: .accessPoint) {
                guard let id = NodeID(entry.id), cn.peers[id] == nil, let url = entry.value("url") else { continue }
                cn.peers[id] = entry.value("mode") == "pull" ? "pull" : url
            }
            let key = try readKey(settings.tls.privateKeyPath)
            cn.protocolExtensions.append(DirectoryMaster(store: store, node: cn.node, keyPEM: key, logger: logger))
            configuration = .coordinationNode(cn)
            return [follower]
        case .accessPoint(var ap):
            let follower = DirectoryFollower(
                store: store, routes: routes, certificates: settings.sealingCertificates, logger: logger)
            try follower.catchUp()
            ap.routes = LayeredRoutes(override: ap.routes, fallback: routes)
            configuration = .accessPoint(ap)
            let replica = DirectoryReplica(
                store: store, client: try ProtocolClient(tls: ap.tls, logger: logger),
                coordinationNodeURL: ap.coordinationNodeURL, signerCertificate: settings.coordinationNodeCertificate,
                wait: settings.pollWait, retryInitial: ap.retryInitial, retryMaximum: ap.retryMaximum, logger: logger)
            return [replica, follower]
        }
    }

    static func readKey(_ path: String) throws(SedgateError) -> Data {
        guard let key = FileManager.default.contents(atPath: path) else {
            throw SedgateError(.configuration, "the node's private key cannot be read", location: .init(file: path))
        }
        return key
    }
}
