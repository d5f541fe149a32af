// NodeConsole: wires the operator console into a starting node (`[console] listen`): its database, the node's
// journal and directory, and the queue and directory actions the CLI verbs run, so both have the same effect.

import AccessPoint
import ConfigurationFile
import Console
import CoordinationNode
import Directory
import Foundation
import Logging
import NodeSetup
import Operations
import SedgateCore
import ServiceLifecycle
import Store
import Transport

enum NodeConsole {
    /// The console service, or none when `[console] listen` is not set.
    static func services(
        _ configuration: NodeConfiguration, config: String, directory: DirectorySettings,
        operatorPeers: [String: String], logger: Logger
    ) throws(SedgateError) -> [any Service] {
        let settings = try ConsoleSettings.load(ConfigFile(path: config))
        guard settings.listen != nil else { return [] }
        let context = NodeRunner.context(configuration)
        let journal = try Journal(path: context.journalPath)
        let users = try ConsoleStore(path: ConsoleNode.databasePath(varDirectory: context.varDirectory))
        let operations = QueueOperations(configuration: configuration, journal: journal)
        var queue = QueueActions(
            hold: { id throws(SedgateError) in try await operations.hold(id) },
            release: { id throws(SedgateError) in try await operations.release(id) },
            expire: { id throws(SedgateError) in try await operations.expire(id) },
            retry: { () throws(SedgateError) in try operations.retryNow() })
        if case .accessPoint(let accessPoint) = configuration {
            let manual = ManualQueue(configuration: accessPoint, journal: journal)
            queue.forward = { id, to throws(SedgateError) in
                guard let channel = InboundChannel(to) else {
                    throw SedgateError(.configuration, "'\(to)' is not a channel; use inbound or inbound/<folder>")
                }
                return try await manual.forward(id, to: channel)
            }
            queue.reject = { id, reason throws(SedgateError) in try await manual.reject(id, reason: reason) }
            queue.returnToSender = { id, reason throws(SedgateError) in
                try await manual.returnToSender(id, reason: reason)
            }
            queue.manual = { () throws(SedgateError) in
                try await manual.list().map { ($0.sedId, $0.since, $0.file) }
            }
        }
        return [
            ConsoleServer.application(
                settings,
                node: ConsoleNode(
                    context: context, journal: journal, users: users, queue: queue,
                    directory: try directoryAccess(configuration, directory, logger: logger),
                    operatorPeers: operatorPeers),
                logger: logger)
        ].compactMap { $0 }
    }

    /// The directory as `sedgate directory set` changes it: the CN applies to its master, an AP asks the CN.
    static func directoryAccess(
        _ configuration: NodeConfiguration, _ settings: DirectorySettings, logger: Logger
    ) throws(SedgateError) -> DirectoryAccess? {
        guard settings.conversions != nil else { return nil }
        let store = try settings.open()
        switch configuration {
        case .coordinationNode(let cn):
            return DirectoryAccess(
                store: store,
                apply: { proposals, who, why throws(SedgateError) in try store.apply(proposals, who: who, why: why) },
                isMaster: true, node: cn.node.rawValue)
        case .accessPoint(let ap):
            let key = try NodeDirectory.readKey(ap.tls.privateKeyPath)
            return DirectoryAccess(
                store: store,
                apply: { proposals, who, why throws(SedgateError) in
                    // One client per change, shut down after it, as the CLI does.
                    let client = try ProtocolClient(tls: ap.tls, logger: logger)
                    let sender = DirectoryClient(
                        client: client, node: ap.node, keyPEM: key, coordinationNodeURL: ap.coordinationNodeURL)
                    do throws(SedgateError) {
                        let serial = try await sender.propose(proposals, why: "\(why) (\(who))")
                        await client.shutdown()
                        return serial
                    } catch {
                        await client.shutdown()
                        throw error
                    }
                }, isMaster: false, node: ap.node.rawValue)
        }
    }
}
