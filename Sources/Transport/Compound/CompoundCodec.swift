// CompoundCodec: a node's keys for compound messages on the wire: signs what it sends with its own key (the one
// its TLS certificate is for), verifies what it receives against the network's CA. Messages are made in memory.

public import Documents
import Foundation
import Packaging
public import SedgateCore
public import WSSecurity

/// Encodes and decodes compound messages for one node.
public struct CompoundCodec: Sendable {
    /// This node's key and certificate (signs hops; opens SEDs sealed for this node).
    public let key: NodeKey
    /// The network's CA, which every signer's certificate must chain to.
    public let trust: TrustStore
    /// Where temporary message files go (the node's var/tmp/).
    public let temporaryDirectory: String
    /// The signature methods accepted from signers: RSA-SHA256, and ECDSA-SHA256 too where the network agreed to
    /// it (a signature must use the method of its signer's certificate key either way).
    public var acceptedSignatures: Set<SignatureAlgorithm> = SignatureAlgorithm.standard
    /// The content keys this node seals with, one window per destination certificate (see `ContentKeyWindows`);
    /// nil seals every SED with a key of its own.
    public var contentKeys: ContentKeyWindows? = ContentKeyWindows()

    /// Loads the keys named by `tls` (the node's TLS certificate, key and CA files serve for WS-Security too).
    public init(tls: TLSFiles, temporaryDirectory: String) throws(SedgateError) {
        self.key = try NodeKey(privateKeyFile: tls.privateKeyPath, certificateFile: tls.certificatePath)
        self.trust = try TrustStore(caFile: tls.trustRootsPath)
        self.temporaryDirectory = temporaryDirectory
    }

    /// The message signed by this node, as MTOM bytes and their Content-Type, made in memory.
    /// `edit` rewrites the root part before it is signed (see `CompoundMessage.write`).
    public func encode(
        _ message: CompoundMessage, editing edit: (String) -> String
    ) throws(SedgateError) -> (contentType: String, body: [UInt8]) {
        try message.encode(signer: key, editing: edit)
    }

    /// The message signed by this node, as MTOM bytes and their Content-Type, made in memory.
    public func encode(_ message: CompoundMessage) throws(SedgateError) -> (contentType: String, body: [UInt8]) {
        try message.encode(signer: key)
    }

    /// A fragment message as MTOM bytes and their Content-Type, made in memory.
    public func encode(_ fragment: FragmentMessage) throws(SedgateError) -> (contentType: String, body: [UInt8]) {
        let (root, attachment) = fragment.parts()
        return try MTOMWriter.encode(root: root, attachments: [attachment])
    }

    /// Reads and verifies a compound message received as `body` with HTTP `contentType` (see
    /// `CompoundMessage.read`).
    public func decode(_ body: [UInt8], contentType: String, source: String) throws(SedgateError) -> CompoundMessage {
        let mime = try MTOMReader().read(data: Data(body), contentType: contentType)
        return try CompoundMessage.read(mime, trusting: trust, accepting: acceptedSignatures, source: source)
    }

    /// Reads and verifies a compound message as `decode(_:contentType:source:)` does, verifying its sealed SEDs
    /// side by side on `pool`.
    public func decode(
        _ body: [UInt8], contentType: String, source: String, on pool: SealingPool
    ) async throws(SedgateError) -> CompoundMessage {
        let mime = try MTOMReader().read(data: Data(body), contentType: contentType)
        return try await CompoundMessage.read(
            mime, trusting: trust, accepting: acceptedSignatures, source: source, on: pool)
    }

    /// Reads an MTOM request or reply: a compound delivery (verified) or a fragment (its digest checked), by the
    /// root part's wsa:Action.
    public func decodeMessage(
        _ body: [UInt8], contentType: String, source: String
    ) throws(SedgateError)
        -> ProtocolMessage
    {
        let (mime, root, fragment) = try readMessage(body, contentType: contentType, source: source)
        if let fragment { return fragment }
        return Self.deliver(
            try CompoundMessage.read(
                mime, parsedRoot: root, trusting: trust, accepting: acceptedSignatures, source: source))
    }

    /// Reads an MTOM request or reply as `decodeMessage(_:contentType:source:)` does, verifying the sealed SEDs of
    /// a compound delivery side by side on `pool`.
    public func decodeMessage(
        _ body: [UInt8], contentType: String, source: String, on pool: SealingPool
    ) async throws(SedgateError) -> ProtocolMessage {
        let (mime, root, fragment) = try readMessage(body, contentType: contentType, source: source)
        if let fragment { return fragment }
        return Self.deliver(
            try await CompoundMessage.read(
                mime, parsedRoot: root, trusting: trust, accepting: acceptedSignatures, source: source, on: pool))
    }

    /// The MIME message, and the fragment it carries when its wsa:Action says so; for a compound delivery, no
    /// fragment and the root part as parsed here, for the hop signature's check to take over (parsed once).
    private func readMessage(
        _ body: [UInt8], contentType: String, source: String
    ) throws(SedgateError) -> (MTOMMessage, XMLTree?, ProtocolMessage?) {
        let mime = try MTOMReader().read(data: Data(body), contentType: contentType)
        let root = try XMLTree.parse(Array(mime.rootBytes), source: source, limits: .init(maxBytes: 32 << 20))
        let header = root.root.firstChild("Header", namespace: SOAPNamespace.envelope)
        // The version first: another major version may sign or lay out its messages otherwise (P-VER-4).
        if let header { _ = try ProtocolVersion.check(header, source: source) }
        let action = header?.firstChild("Action", namespace: SOAPNamespace.addressing)?.text
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard action == ProtocolMessage.Action.fragment.rawValue else { return (mime, root, nil) }
        let fragment = try FragmentMessage.read(mime, root: root, source: source)
        return (
            mime, nil,
            ProtocolMessage(
                messageID: fragment.messageID, action: .fragment, from: fragment.from, to: fragment.to,
                fragment: fragment)
        )
    }

    /// The protocol message of a compound delivery.
    private static func deliver(_ compound: CompoundMessage) -> ProtocolMessage {
        ProtocolMessage(
            messageID: compound.messageID, action: .deliver, from: compound.from, to: compound.to, compound: compound)
    }

    /// Opens a sealed SED addressed to this node: its bytes in clear (see `SealedSED.open`). A SED read from a
    /// compound message by `decodeMessage` was verified there and is not verified twice.
    public func open(_ sealed: SealedSED, source: String) throws(SedgateError) -> [UInt8] {
        try open(sealed, source: source, documentSource: nil).payload
    }

    /// Opens a sealed SED as `open(_:source:)` does, with the document read from it when it is an XML SED (read
    /// under `source`; see `SealedSED.open(verified:key:source:documentSource:)`), so that it is not read twice.
    public func openDocument(
        _ sealed: SealedSED, source: String
    ) throws(SedgateError) -> (payload: [UInt8], document: SEDDocument?) {
        try open(sealed, source: source, documentSource: source)
    }

    private func open(
        _ sealed: SealedSED, source: String, documentSource: String?
    ) throws(SedgateError) -> (payload: [UInt8], document: SEDDocument?) {
        let verified =
            if sealed.signer != nil { sealed } else {
                try SealedSED.verify(sealed.bytes, trusting: trust, accepting: acceptedSignatures, source: source)
            }
        let opened = try SealedSED.open(
            verified: verified, key: key, source: source, documentSource: documentSource)
        return (opened.payload, opened.document)
    }

    /// Opens sealed SEDs addressed to this node side by side on `pool` (see `open(_:source:)`); each SED's bytes in
    /// clear or why it could not be opened, in the order of `seds`.
    public func open(
        _ seds: [SealedSED], source: String, on pool: SealingPool
    ) async -> [Result<[UInt8], SedgateError>] {
        await pool.results(seds) { (sealed) throws(SedgateError) in try open(sealed, source: source) }
    }

    /// Seals `payload` for `recipient`, signed by this node (see `SealedSED.seal`).
    public func seal(
        _ payload: [UInt8], envelope: Envelope, for recipient: PeerCertificate
    ) throws(SedgateError)
        -> SealedSED
    {
        try SealedSED.seal(payload, envelope: envelope, signer: key, recipient: recipient, contentKeys: contentKeys)
    }

    /// Seals each SED of `batch` (its bytes, its envelope with SedId and SendingAP, the receiving AP's certificate;
    /// see `seal(_:envelope:for:)`) side by side on `pool`; the sealed SEDs in the order of `batch`, or the first
    /// error.
    public func seal(
        _ batch: [(payload: [UInt8], envelope: Envelope, recipient: PeerCertificate)], on pool: SealingPool
    ) async throws(SedgateError) -> [SealedSED] {
        try await pool.map(batch) { (item) throws(SedgateError) in
            try seal(item.payload, envelope: item.envelope, for: item.recipient)
        }
    }
}
