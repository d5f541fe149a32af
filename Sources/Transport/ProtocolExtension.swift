// ProtocolExtension: routes a node's protocol server answers besides SOAP messages (the directory's replication
// and search), over the same mutual-TLS listener, with the peer named by its client certificate.

import SedgateCore

/// A set of extra HTTP routes on the protocol server; each request is answered whole (no streaming).
public protocol ProtocolExtension: Sendable {
    /// The routes, as (method, path): `("GET", "/sedgate/v1/directory/changes")`.
    var routes: [(method: String, path: String)] { get }
    /// Answers one request to one of `routes`. `query` holds the URL's query parameters.
    func answer(_ request: ExtensionRequest) async -> ExtensionReply
}

/// One request to a `ProtocolExtension`.
public struct ExtensionRequest: Sendable {
    /// `GET` or `POST`.
    public var method: String
    /// The path, without the query.
    public var path: String
    /// Query parameters (the last of a repeated name).
    public var query: [String: String]
    /// The body (empty for `GET`), at most the server's body limit.
    public var body: [UInt8]
    /// The peer, by its verified client certificate.
    public var peer: PeerIdentity

    /// Makes a request (the server does; tests may too).
    public init(method: String, path: String, query: [String: String], body: [UInt8], peer: PeerIdentity) {
        self.method = method
        self.path = path
        self.query = query
        self.body = body
        self.peer = peer
    }
}

/// The reply of a `ProtocolExtension`.
public struct ExtensionReply: Sendable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    /// Makes a reply.
    public init(status: Int, contentType: String = "application/json", body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}
