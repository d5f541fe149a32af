// ProtocolServer: the HTTPS (mutual TLS) endpoint of a node. Receives posted SOAP messages, identifies the peer
// by its client certificate, hands each message to a MessageHandler and writes its reply.

import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
public import Logging
import Metrics
import NIOCore
import NIOSSL
public import SedgateCore
public import ServiceLifecycle

/// The protocol's HTTPS server, a `Service`: `POST /sedgate/v1/messages` and `GET /sedgate/v1/health`.
///
/// Every connection must present a client certificate signed by the network CA (`TLSFiles.trustRootsPath`);
/// a message whose `wsa:From` is not the certificate's CN is refused (`.unauthorized`, HTTP 403).
/// Replies: 200 with the handler's receipt; faults with 400 (sender's fault), 403 (unauthorized),
/// 413 (body over the limit), 415 (not SOAP), 503 + `Retry-After` (back-pressure) or 500 (other receiver faults).
///
/// Connections are bounded by `ServerLimits`: a handshake deadline, an idle timeout, caps per remote address and in
/// all, and a budget of request bytes held at once. A refusal that leaves a body unread (413, 503 before reading)
/// closes the connection instead of reading the rest.
public final class ProtocolServer: Service, Sendable {
    /// The default limit on a request body: 64 MiB.
    public static let defaultMaximumBodySize = ServerLimits().maximumBodyBytes

    private let host: String
    private let port: Int
    private let tlsConfiguration: TLSConfiguration
    private let exchange: MessageExchange
    let limits: ServerLimits
    private let census: ConnectionCensus
    private let budget: BodyBudget
    private let logger: Logger
    private let listening = ListeningPort()
    private let extensions: [any ProtocolExtension]

    /// The node this server speaks for: its certificate's subject CN.
    public var node: NodeID { exchange.node }

    /// Prepares a server on `host`:`port` (0 picks a free port; see `listeningPort()`).
    ///
    /// Throws `.configuration` when a TLS file cannot be read or the certificate's CN is not a node id.
    public init(
        host: String, port: Int, tls: TLSFiles, handler: any MessageHandler, logger: Logger,
        limits: ServerLimits = ServerLimits(), compound: CompoundCodec? = nil,
        extensions: [any ProtocolExtension] = []
    ) throws(SedgateError) {
        self.extensions = extensions
        let configuration = try tls.serverConfiguration()
        let commonName = try tls.commonName()
        guard let node = commonName.flatMap(NodeID.init) else {
            throw SedgateError(
                .configuration,
                "the server certificate '\(tls.certificatePath)' names CN '\(commonName ?? "")', which is not a node "
                    + "id; issue the node's certificate with CN=<node id> (letters, digits, . _ -)",
                location: .init(file: tls.certificatePath))
        }
        self.host = host
        self.port = port
        self.tlsConfiguration = configuration
        self.exchange = MessageExchange(
            node: node, handler: handler, maximumBytes: limits.maximumBodyBytes, compound: compound)
        self.limits = limits
        self.census = ConnectionCensus(limits: limits, logger: logger)
        self.budget = BodyBudget(capacity: max(limits.maximumBufferedBytes, limits.maximumBodyBytes))
        self.logger = logger
    }

    /// The port the server listens on, once it does; nil if it stopped or failed to start first.
    public func listeningPort() async -> Int? {
        await listening.wait()
    }

    /// Runs the server until cancelled or gracefully shut down.
    public func run() async throws {
        let router = Router(context: ProtocolRequestContext.self)
        router.get(RouterPath(SOAPNamespace.healthPath)) { _, _ in "ok" }
        router.post(RouterPath(SOAPNamespace.messagesPath)) { request, context in
            await self.respond(to: request, context: context)
        }
        for handler in extensions { register(handler, on: router) }
        let listening = self.listening
        let census = self.census
        let http = HTTP1Channel.Configuration(
            additionalChannelHandlers: [ConnectionGuard(census: census)], idleTimeout: TimeAmount(limits.idleTimeout))
        let application = Application(
            router: router,
            server: try .tls(.http1(configuration: http), tlsConfiguration: tlsConfiguration),
            configuration: .init(
                address: .hostname(host, port: port), serverName: nil,
                availableConnectionsDelegate: ConnectionCap(census: census)),
            onServerRunning: { channel in listening.bound(channel.localAddress?.port ?? 0) },
            logger: logger)
        defer { listening.stopped() }
        logger.info("protocol server starting", metadata: ["node": "\(node)", "address": "\(host):\(port)"])
        do {
            try await application.run()
        } catch {
            guard !listening.isListening else { throw error }
            throw SedgateError(
                .configuration,
                "the protocol server cannot listen on \(host):\(port); check that the address is this host's and the "
                    + "port is free", cause: error)
        }
    }

    /// Reads the body (bounded), lets the exchange answer it, and writes the reply.
    private func respond(to request: Request, context: ProtocolRequestContext) async -> Response {
        let peer = await context.peer()
        let contentType = request.headers[.contentType] ?? ""
        let isCompound = contentType.lowercased().hasPrefix(SOAPNamespace.multipartPrefix)
        guard contentType.lowercased().hasPrefix("application/soap+xml") || isCompound else {
            let fault = Fault(
                code: .protocolViolation,
                reason: "the request has Content-Type '\(contentType)'; "
                    + "post SOAP 1.2 messages as \(SOAPNamespace.contentType), or compound deliveries as MTOM "
                    + "(multipart/related)", isSenderFault: true)
            return response(exchange.reply(fault, to: nil, peer: peer), status: 415)
        }
        let maximumBodySize = limits.maximumBodyBytes
        let tooLarge = Fault(
            code: .hostileInput,
            reason: "the message is larger than this node's limit of "
                + "\(maximumBodySize) bytes; send large SEDs in fragments", isSenderFault: true)
        let declared = request.headers[.contentLength].flatMap { Int($0) }
        if let declared, declared > maximumBodySize {
            // Refused on its declared length: not a byte of the body is read, and the connection ends.
            return closing(response(exchange.reply(tooLarge, to: nil, peer: peer), status: 413))
        }
        let reserved = declared ?? maximumBodySize
        guard budget.reserve(reserved) else {
            census.notice(
                "memory",
                "answered 503 to \(peer.commonName ?? "a peer"): the request bodies being read already hold the "
                    + "node's budget of \(max(limits.maximumBufferedBytes, maximumBodySize)) bytes "
                    + "([server] max-buffered-mb)")
            let fault = Fault(
                code: .backPressure,
                reason: "this node is reading as many request bytes as it holds at once; send the message again later",
                retryAfterSeconds: 1, isSenderFault: false)
            return closing(response(exchange.reply(fault, to: nil, peer: peer)))
        }
        defer { budget.release(reserved) }
        // Read straight into one array sized by the declared length: the body is held once, not in a growing
        // buffer and then a copy of it.
        var body: [UInt8] = []
        body.reserveCapacity(min(declared ?? (64 << 10), maximumBodySize))
        do {
            for try await chunk in request.body {
                guard body.count + chunk.readableBytes <= maximumBodySize else {
                    return closing(response(exchange.reply(tooLarge, to: nil, peer: peer), status: 413))
                }
                body.append(contentsOf: chunk.readableBytesView)
            }
        } catch {
            let fault = Fault(
                code: .protocolViolation,
                reason: "the request body could not be read (\(error)); "
                    + "send the message again", isSenderFault: true)
            return response(exchange.reply(fault, to: nil, peer: peer), status: 400)
        }
        let answer = await exchange.answer(body, contentType: contentType, peer: peer, logger: context.logger)
        return response(answer)
    }

    /// `response`, ending its connection: sent when the request's body is left unread.
    private func closing(_ response: Response) -> Response {
        var response = response
        response.headers[.connection] = "close"
        return response
    }

    /// The HTTP response carrying `reply`, with `Retry-After` for back-pressure.
    private func response(_ answer: (status: Int, reply: ProtocolMessage), status: Int? = nil) -> Response {
        if answer.reply.compound != nil || answer.reply.fragment != nil {
            // A pull answered with SEDs (a compound message signed by this node) or with a fragment: MTOM.
            do throws(SedgateError) {
                guard let codec = exchange.compound else {
                    throw SedgateError(.configuration, "this node has no keys to sign a compound message")
                }
                let encoded =
                    if let fragment = answer.reply.fragment { try codec.encode(fragment) } else {
                        try codec.encode(answer.reply.compound!)
                    }
                return Response(
                    status: .ok, headers: [.contentType: encoded.contentType],
                    body: .init(byteBuffer: ByteBuffer(bytes: encoded.body)))
            } catch {
                let fault = Fault(
                    code: error.code, reason: "cannot write the MTOM reply: \(error.message)", isSenderFault: false)
                // The reply it could not write names the request already: the fault keeps its addressing (P-FAULT-2).
                let reply = ProtocolMessage(
                    action: .fault, from: answer.reply.from, to: answer.reply.to, relatesTo: answer.reply.relatesTo,
                    fault: fault)
                return response((MessageExchange.status(fault), reply))
            }
        }
        var headers: HTTPFields = [.contentType: SOAPNamespace.contentType]
        if let seconds = answer.reply.fault?.retryAfterSeconds {
            Counter(label: "sedgate_backpressure_refusals_total").increment()
            headers[.retryAfter] = String(seconds)
        }
        return Response(
            status: .init(code: status ?? answer.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: SOAPCodec.encode(answer.reply))))
    }
}
