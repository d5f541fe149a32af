// CompoundCodec: a node's keys for compound messages on the wire: signs what it sends with its own key (the one
// its TLS certificate is for), verifies what it receives against the network's CA. Writes a temporary file per
// message it encodes (the MTOM writer streams to files) and removes it at once.

import Foundation
import Packaging
public import Security
public import SedgateCore

/// Encodes and decodes compound messages for one node.
public struct CompoundCodec: Sendable {
    /// This node's key and certificate (signs hops; opens SEDs sealed for this node).
    public let key: NodeKey
    /// The network's CA, which every signer's certificate must chain to.
    public let trust: TrustStore
    /// Where temporary message files go (the node's var/tmp/).
    public let temporaryDirectory: String

    /// Loads the keys named by `tls` (the node's TLS certificate, key and CA files serve for WS-Security too).
    public init(tls: TLSFiles, temporaryDirectory: String) throws(SedgateError) {
        self.key = try NodeKey(privateKeyFile: tls.privateKeyPath, certificateFile: tls.certificatePath)
        self.trust = try TrustStore(caFile: tls.trustRootsPath)
        self.temporaryDirectory = temporaryDirectory
    }

    /// The message signed by this node, as the bytes of an MTOM file and their Content-Type.
    public func encode(_ message: CompoundMessage) throws(SedgateError) -> (contentType: String, body: [UInt8]) {
        let path = "\(temporaryDirectory)/.compound-\(UUID().uuidString).mime"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let written = try message.write(to: path, signer: key)
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SedgateError(.io, "cannot read back the compound message written to \(path)")
        }
        _ = written.size
        return (written.contentType, Array(data))
    }

    /// Reads and verifies a compound message received as `body` with HTTP `contentType` (see
    /// `CompoundMessage.read`).
    public func decode(_ body: [UInt8], contentType: String, source: String) throws(SedgateError) -> CompoundMessage {
        let mime = try MTOMReader().read(data: Data(body), contentType: contentType)
        return try CompoundMessage.read(mime, trusting: trust, source: source)
    }

    /// Opens a sealed SED addressed to this node: its bytes in clear (see `SealedSED.open`).
    public func open(_ sealed: SealedSED, source: String) throws(SedgateError) -> [UInt8] {
        try SealedSED.open(sealed.bytes, trusting: trust, key: key, source: source).payload
    }

    /// Seals `payload` for `recipient`, signed by this node (see `SealedSED.seal`).
    public func seal(
        _ payload: [UInt8], envelope: Envelope, for recipient: PeerCertificate
    ) throws(SedgateError)
        -> SealedSED
    {
        try SealedSED.seal(payload, envelope: envelope, signer: key, recipient: recipient)
    }
}
