// NationalWebService: the web-service queue over HTTP (Hummingbird), for national applications: the routes of
// `etc/openapi/npap-v1.yaml`, each behind a bearer token per application. Reads requests; the WebQueue does the work.

import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import SedgateCore
import ServiceLifecycle

/// The `[npap.web]` settings: where the API listens, who may call it, how long a lock lasts.
public struct WebQueueSettings: Sendable {
    public var host: String
    public var port: Int
    /// Bearer token → the national application it identifies.
    public var tokens: [String: String]
    public var lease: Duration

    public init(host: String = "127.0.0.1", port: Int, tokens: [String: String], lease: Duration = .seconds(300)) {
        self.host = host
        self.port = port
        self.tokens = tokens
        self.lease = lease
    }
}

/// Serves the web-service queue until the node stops.
struct NationalWebService: Service {
    let queue: WebQueue
    let settings: WebQueueSettings
    let logger: Logger

    func run() async throws {
        try? FileManager.default.createDirectory(atPath: queue.folder, withIntermediateDirectories: true)
        let router = Router()
        let base = "/npap/v1"
        router.post("\(base)/outbound") { request, context in
            try await handle(request) { () async throws -> Response in
                let body = try await request.body.collect(upTo: queue.configuration.maxDocumentBytes)
                let (status, answer) = try await queue.submit(Array(buffer: body))
                return try json(answer, status: status)
            }
        }
        router.get("\(base)/outbound/:sedId") { request, context in
            try await handle(request) { () async throws -> Response in
                try json(try await queue.status(try sedId(context)))
            }
        }
        router.get("\(base)/inbound") { request, context in
            try await handle(request) { () async throws -> Response in
                var filters: [String: String] = [:]
                for key in ["sender", "receiver", "sedType", "sector", "bucType", "caseId", "since"] {
                    if let value = request.uri.queryParameters.get(key) { filters[key] = value }
                }
                let limit = request.uri.queryParameters.get("limit").flatMap(Int.init) ?? 100
                return try json(try await queue.list(filters, limit: max(1, min(limit, 10_000))))
            }
        }
        router.post("\(base)/inbound/:sedId/lock") { request, context in
            try await handle(request) { () async throws -> Response in
                try json(try await queue.lock(try sedId(context)))
            }
        }
        router.get("\(base)/inbound/:sedId") { request, context in
            try await handle(request) { () async throws -> Response in
                let bytes = try await queue.fetch(try sedId(context), token: request.headers[lockToken])
                return Response(
                    status: .ok, headers: [.contentType: "application/xml"],
                    body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
            }
        }
        router.post("\(base)/inbound/:sedId/ack") { request, context in
            try await handle(request) { () async throws -> Response in
                try await queue.acknowledge(try sedId(context), token: request.headers[lockToken])
                return Response(status: .noContent)
            }
        }
        router.post("\(base)/inbound/:sedId/release") { request, context in
            try await handle(request) { () async throws -> Response in
                try queue.release(try sedId(context), token: request.headers[lockToken])
                return Response(status: .noContent)
            }
        }
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: nil),
            logger: logger)
        logger.info("web-service queue listening", metadata: ["address": "\(settings.host):\(settings.port)"])
        try await application.run()
    }

    private var lockToken: HTTPField.Name { HTTPField.Name("Lock-Token")! }

    /// Checks the bearer token, runs `body`, and turns a refusal into its status with a JSON `message`.
    private func handle(_ request: Request, _ body: () async throws -> Response) async throws -> Response {
        let authorization = request.headers[.authorization] ?? ""
        guard authorization.hasPrefix("Bearer "), settings.tokens[String(authorization.dropFirst(7))] != nil else {
            return try json(["message": "a bearer token of a national application is required"], status: 401)
        }
        do {
            return try await body()
        } catch let failure as WebQueue.Failure {
            return try json(["message": failure.message], status: failure.status)
        } catch let error as SedgateError {
            logger.error("web-service queue request failed", metadata: ["error": "\(error)"])
            return try json(["message": error.message], status: 503)
        }
    }

    private func sedId(_ context: BasicRequestContext) throws -> SEDID {
        guard let text = context.parameters.get("sedId"), let id = SEDID(text) else {
            throw WebQueue.Failure(status: 400, message: "the path does not name a SED id (a UUID)")
        }
        return id
    }

    private func json(_ value: some Encodable, status: Int = 200) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Response(
            status: .init(code: status), headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: Array(try encoder.encode(value)))))
    }
}
