// OperatorServer: the node's operator port (plain HTTP, loopback by default, `[operator] listen`), apart from the
// protocol port: `/metrics` (Prometheus text), `/health` (for probes: 200 when the journal answers, else 503),
// and `/trace/<sedId>` (this node's history of one SED, as JSON, for `sedgate trace --network`).

import Foundation
public import Hummingbird
public import Logging
import NIOCore
public import SedgateCore

/// Builds the operator port's application (a Service for the node's ServiceGroup).
public enum OperatorServer {
    public static func application(
        host: String, port: Int, node: NodeID, journal: any OperationsJournal, metrics: NodeMetrics, logger: Logger
    ) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            let text = await metrics.scrape()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/health") { _, _ in
            let healthy = (try? await journal.counts()) != nil
            let body = "{\"node\":\"\(node)\",\"status\":\"\(healthy ? "ok" : "journal unreadable")\"}\n"
            return Response(
                status: healthy ? .ok : .serviceUnavailable, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: body)))
        }
        router.get("/trace/{sedId}") { _, context in
            guard let text = context.parameters.get("sedId"), let sedId = SEDID(text) else {
                return Response(status: .badRequest)
            }
            let events = (try? await journal.history(sedId)) ?? []
            let lines = events.map { event in
                TraceLine(
                    node: node.rawValue, at: event.at, direction: event.direction.rawValue,
                    state: event.state.rawValue, detail: event.detail)
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            let data = (try? encoder.encode(lines)) ?? Data("[]".utf8)
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: data)))
        }
        return Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: nil),
            logger: logger)
    }
}

/// One fact of a SED's history on one node, as `/trace/<sedId>` and `sedgate trace --network` show it.
public struct TraceLine: Codable, Sendable {
    public var node: String
    public var at: String
    public var direction: String
    public var state: String
    public var detail: String?

    public init(node: String, at: String, direction: String, state: String, detail: String?) {
        self.node = node
        self.at = at
        self.direction = direction
        self.state = state
        self.detail = detail
    }
}
