// ProtocolServer+Extensions: hands requests to a ProtocolExtension's routes and writes its replies.

import HTTPTypes
import Hummingbird
import NIOCore

extension ProtocolServer {
    /// Registers every route of `handler` on `router`.
    func register(_ handler: any ProtocolExtension, on router: Router<ProtocolRequestContext>) {
        let limit = limits.maximumBodyBytes
        for route in handler.routes {
            let method = HTTPRequest.Method(route.method) ?? .get
            router.on(RouterPath(route.path), method: method) { request, context in
                let peer = await context.peer()
                let body: [UInt8]
                if method == .post {
                    guard let buffer = try? await request.body.collect(upTo: limit) else {
                        return Response(status: .contentTooLarge)
                    }
                    body = Array(buffer: buffer)
                } else {
                    body = []
                }
                var query: [String: String] = [:]
                for (name, value) in request.uri.queryParameters { query[String(name)] = String(value) }
                let reply = await handler.answer(
                    ExtensionRequest(
                        method: route.method, path: route.path, query: query, body: body, peer: peer))
                var headers = HTTPFields()
                headers[.contentType] = reply.contentType
                return Response(
                    status: .init(code: reply.status), headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(bytes: reply.body)))
            }
        }
    }
}
