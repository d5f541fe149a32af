// ProtocolClient: posts protocol messages to a peer node over HTTPS with mutual TLS and reads its reply.

import AsyncHTTPClient
public import Logging
import NIOCore
import NIOHTTP1
public import SedgateCore

/// Sends messages to other nodes: `POST <baseURL>/sedgate/v1/messages`, presenting this node's certificate and
/// verifying the peer's fully (CA chain and host name). One client serves every destination; share it.
///
/// `send` returns the peer's reply (a receipt or a fault, for the caller to act on) and throws only when no
/// reply could be had: the peer unreachable, the TLS handshake refused, a timeout (`.peerUnavailable`), or a
/// reply that breaks the protocol (`.protocolViolation`).
public final class ProtocolClient: Sendable {
    /// The largest reply accepted: replies are small, but a reply may one day carry a SED (synchronous path).
    public static let maximumReplySize = 64 << 20

    private let http: HTTPClient
    private let logger: Logger
    private let compound: CompoundCodec?
    /// Peers reachable at several addresses (a CN cluster), by their first address.
    private let alternatives: [String: PeerAddresses]

    /// Makes a client with this node's TLS identity. Throws `.configuration` when a TLS file cannot be read.
    /// `compound` signs compound deliveries and verifies compound replies; without it, neither can be sent or read.
    /// Each list in `alternatives` names one peer's addresses: a message or health check for its first address
    /// goes to whichever of them answers (see `PeerAddresses`).
    public init(
        tls: TLSFiles, compound: CompoundCodec? = nil, alternatives: [[String]] = [], logger: Logger
    ) throws(SedgateError) {
        self.compound = compound
        self.alternatives = Dictionary(
            alternatives.filter { $0.count > 1 }.map { ($0[0], PeerAddresses($0)) },
            uniquingKeysWith: { first, _ in first })
        var configuration = HTTPClient.Configuration(
            tlsConfiguration: try tls.clientConfiguration(), redirectConfiguration: .disallow)
        // A peer that is down must fail fast (the retry schedule waits between attempts), not pin a message
        // "in flight" for the whole request timeout while the client retries the connection.
        configuration.timeout.connect = .seconds(3)
        configuration.connectionPool.retryConnectionEstablishment = false
        self.http = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration,
            backgroundActivityLogger: logger)
        self.logger = logger
    }

    /// Posts `message` to the node at `baseURL` (e.g. `https://cn.example:8443`) and returns its reply.
    public func send(
        _ message: ProtocolMessage, to baseURL: String, timeout: Duration = .seconds(30)
    ) async throws(SedgateError) -> ProtocolMessage {
        guard let addresses = alternatives[baseURL] else { return try await sendOnce(message, to: baseURL, timeout) }
        return try await addresses.attempt { (url) throws(SedgateError) in try await sendOnce(message, to: url, timeout)
        }
    }

    private func sendOnce(
        _ message: ProtocolMessage, to baseURL: String, _ timeout: Duration
    ) async throws(SedgateError) -> ProtocolMessage {
        let url = (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + SOAPNamespace.messagesPath
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        if message.compound != nil || message.fragment != nil {
            guard let compound else {
                throw SedgateError(.configuration, "this client has no keys to sign a compound delivery")
            }
            let encoded =
                if let fragment = message.fragment { try compound.encode(fragment) } else {
                    try compound.encode(message.compound!)
                }
            request.headers.add(name: "Content-Type", value: encoded.contentType)
            request.body = .bytes(ByteBuffer(bytes: encoded.body))
        } else {
            request.headers.add(name: "Content-Type", value: SOAPNamespace.contentType)
            request.body = .bytes(ByteBuffer(bytes: SOAPCodec.encode(message)))
        }

        let status: Int
        let body: ByteBuffer
        let replyType: String
        do {
            let response = try await http.execute(request, timeout: TimeAmount(timeout), logger: logger)
            status = Int(response.status.code)
            replyType = response.headers.first(name: "Content-Type") ?? ""
            body = try await response.body.collect(upTo: Self.maximumReplySize)
        } catch {
            throw SedgateError(
                .peerUnavailable,
                "cannot deliver to \(url); the peer is down, unreachable, refused our certificate or was "
                    + "too slow (limit \(timeout)); the message will be retried",
                cause: error)
        }

        let reply: ProtocolMessage
        do {
            if replyType.lowercased().hasPrefix(SOAPNamespace.multipartPrefix), status == 200, let compound {
                // A pull answered with SEDs (a compound message signed by the peer) or with a fragment.
                var received = try compound.decodeMessage(
                    Array(buffer: body), contentType: replyType, source: "reply from \(url)")
                received.relatesTo = message.messageID
                reply = received
            } else {
                reply = try SOAPCodec.decode(Array(buffer: body), source: "reply from \(url)")
            }
        } catch {
            // A proxy or a broken peer answering an error page is a transport failure, not the peer's verdict.
            guard status == 200 else {
                throw SedgateError(
                    .peerUnavailable,
                    "\(url) answered HTTP \(status) without a SOAP reply; check the peer's URL and its health; "
                        + "the message will be retried", cause: error)
            }
            throw SedgateError(
                .protocolViolation,
                "\(url) answered HTTP 200 with a reply this node cannot read: \(error.message); "
                    + "report it to the peer's operator", location: error.location, cause: error)
        }
        // Only a pull may be answered with a SED (pull mode); anything else answers with a receipt or a fault.
        let deliverAllowed = message.action == .pull
        guard deliverAllowed || (reply.action != .deliver && reply.action != .fragment),
            reply.relatesTo == nil || reply.relatesTo == message.messageID
        else {
            throw SedgateError(
                .protocolViolation,
                "\(url) answered \(message.messageID) with a \(reply.action) message relating to "
                    + "\(reply.relatesTo ?? "nothing"); report it to the peer's operator")
        }
        return reply
    }

    /// An HTTP reply as it came, for callers that judge the wire itself (`sedgate conformance`).
    public struct RawReply: Sendable {
        /// The HTTP status.
        public let status: Int
        /// The `Content-Type` header, or "".
        public let contentType: String
        /// The `Retry-After` header, if any.
        public let retryAfter: String?
        /// The body.
        public let body: [UInt8]
    }

    /// Sends `body` as it is to `path` of the node at `baseURL` (`POST` with `contentType`, or `GET` when `body` is
    /// nil) and returns the reply unread. Throws `.peerUnavailable` when no reply could be had.
    public func raw(
        _ body: [UInt8]?, contentType: String = "application/soap+xml; charset=utf-8",
        path: String = "/sedgate/v1/messages",
        to baseURL: String, timeout: Duration = .seconds(60)
    ) async throws(SedgateError) -> RawReply {
        let url = (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + path
        var request = HTTPClientRequest(url: url)
        if let body {
            request.method = .POST
            request.headers.add(name: "Content-Type", value: contentType)
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await http.execute(request, timeout: TimeAmount(timeout), logger: logger)
            let collected = try await response.body.collect(upTo: Self.maximumReplySize)
            return RawReply(
                status: Int(response.status.code), contentType: response.headers.first(name: "Content-Type") ?? "",
                retryAfter: response.headers.first(name: "Retry-After"), body: Array(buffer: collected))
        } catch {
            throw SedgateError(.peerUnavailable, "no reply from \(url) (limit \(timeout))", cause: error)
        }
    }

    /// Checks that the node at `baseURL` answers `GET /sedgate/v1/health` with 200 over mutual TLS.
    /// Throws `.peerUnavailable` otherwise.
    public func checkHealth(of baseURL: String, timeout: Duration = .seconds(5)) async throws(SedgateError) {
        guard let addresses = alternatives[baseURL] else { return try await checkHealthOnce(of: baseURL, timeout) }
        try await addresses.attempt { (url) throws(SedgateError) in try await checkHealthOnce(of: url, timeout) }
    }

    private func checkHealthOnce(of baseURL: String, _ timeout: Duration) async throws(SedgateError) {
        let url = (baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL) + SOAPNamespace.healthPath
        let status: Int
        do {
            let response = try await http.execute(
                HTTPClientRequest(url: url), timeout: TimeAmount(timeout), logger: logger)
            status = Int(response.status.code)
            _ = try await response.body.collect(upTo: 1024)
        } catch {
            throw SedgateError(
                .peerUnavailable,
                "\(url) is not reachable; check that the peer runs and "
                    + "trusts this node's certificate", cause: error)
        }
        guard status == 200 else {
            throw SedgateError(.peerUnavailable, "\(url) answered HTTP \(status); the peer is not healthy")
        }
    }

    /// Closes the client's connections; call once, before the process ends.
    public func shutdown() async {
        do {
            try await http.shutdown()
        } catch {
            logger.warning("the protocol client did not shut down cleanly", metadata: ["error": "\(error)"])
        }
    }
}
