// ProtocolRequestContext: the Hummingbird request context of the protocol server; keeps the connection's channel
// so a route can read the client certificate from its TLS handler.

import Hummingbird
import NIOCore
import NIOSSL

/// A request context that remembers the connection, to identify the peer by its TLS client certificate.
struct ProtocolRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The child channel the request arrived on; its pipeline holds the `NIOSSLServerHandler`.
    let channel: any Channel

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        channel = source.channel
    }

    /// The peer as its (already verified) client certificate names it; nil CN when there is none.
    func peer() async -> PeerIdentity {
        // The handshake finished before the request was read, so the certificate is there; read it on the loop.
        let commonName = try? await channel.nioSSL_peerCertificate().map { $0?.commonName }.get()
        return PeerIdentity(commonName: commonName ?? nil)
    }
}
