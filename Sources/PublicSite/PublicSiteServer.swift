// PublicSiteServer: serves a PublicSite over plain HTTP with Hummingbird (`sedgate directory serve --site`, or a
// node's `[site]` table). Read-only; no TLS: put it behind the organisation's HTTPS front end, and give that front
// end's address as the base URL so sitemaps and canonical links name it.

import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle

/// The public site on `host`:`port`.
public struct PublicSiteServer: Service {
    public let site: PublicSite
    public let host: String
    public let port: Int
    public let logger: Logger

    /// Serves `site` on `host`:`port`.
    public init(site: PublicSite, host: String, port: Int, logger: Logger) {
        self.site = site
        self.host = host
        self.port = port
        self.logger = logger
    }

    public func run() async throws {
        let site = self.site
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var query: [String: String] = [:]
            for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
            let answer = site.respond(
                SiteRequest(
                    method: request.method.rawValue, path: request.uri.path, query: query,
                    acceptLanguage: request.headers[.acceptLanguage], host: request.head.authority))
            var headers = HTTPFields()
            for (name, value) in answer.headers {
                if let field = HTTPField.Name(name) { headers[field] = value }
            }
            let body = request.method == .head ? [] : answer.body
            headers[.contentLength] = "\(answer.body.count)"
            return Response(
                status: .init(code: answer.status), headers: headers,
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let application = Application(
            responder: responder, configuration: .init(address: .hostname(host, port: port)), logger: logger)
        logger.notice("public directory site", metadata: ["listen": "\(host):\(port)"])
        try await application.runService()
    }
}
