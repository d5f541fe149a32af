// DirectoryHTTPServer: the read-only HTTP JSON search of the directory for clerks and citizens (`sedgate directory
// serve`): over the CN's master, or over a public copy that holds no operational data (FS-11). No writes, no TLS
// (put it behind the organisation's HTTPS front end).

import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
import Transport

/// `GET /directory/search?q=…` (see DirectorySearchAPI) and `GET /directory/health`.
public struct DirectoryHTTPServer: Service {
    public let api: DirectorySearchAPI
    public let host: String
    public let port: Int
    public let logger: Logger

    /// Serves `api` on `host`:`port`.
    public init(api: DirectorySearchAPI, host: String, port: Int, logger: Logger) {
        self.api = api
        self.host = host
        self.port = port
        self.logger = logger
    }

    public func run() async throws {
        let router = Router()
        let api = self.api
        router.get("/directory/health") { _, _ in "ok" }
        router.get("/directory/search") { request, _ -> Response in
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            let reply = api.answer(query: query)
            var headers = HTTPFields()
            headers[.contentType] = reply.contentType
            return Response(
                status: .init(code: reply.status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
        }
        let application = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        try await application.runService()
    }
}
