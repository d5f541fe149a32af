// PeerIdentity: who is at the other end of a mutual-TLS connection, as its client certificate says.

public import SedgateCore

/// The authenticated peer of one request: the node named by its client certificate's subject CN.
public struct PeerIdentity: Sendable, Hashable {
    /// The node the certificate names, or nil when its CN is absent or not a valid node id.
    public var node: NodeID?
    /// The certificate's subject common name as written, for logs and error messages.
    public var commonName: String?

    /// Makes an identity; `node` is derived from `commonName` when that is a valid node id.
    public init(commonName: String?) {
        self.commonName = commonName
        self.node = commonName.flatMap(NodeID.init)
    }
}
