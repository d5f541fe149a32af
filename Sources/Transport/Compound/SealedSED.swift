// SealedSED: one SED sealed end to end by its sending access point: the body compressed and encrypted for the
// receiving AP's certificate, the envelope in clear, both signed by the sender. The CN stores, forwards and
// verifies sealed SEDs but cannot open them; only the receiving AP can. Works in memory (one SED).

public import Documents
public import Foundation
public import Packaging
public import SedgateCore
public import WSSecurity

/// A SED sealed for its receiving access point (the protocol article, Transport.docc/Protocol.md): a small SOAP 1.2 document
///
/// ```xml
/// <env:Envelope xmlns:env=… xmlns:sg=… xmlns:wsu=…>
///   <env:Header>
///     <wsse:Security>…signature by the sending AP over #sed and #body…</wsse:Security>
///     <sg:SealedSED wsu:Id="sed" sedId="…" size="5120" contentType="application/xml" compression="gzip">
///       <sed:Envelope>…</sed:Envelope>
///     </sg:SealedSED>
///   </env:Header>
///   <env:Body wsu:Id="body"><xenc:EncryptedData Id="ed">…AES-256-GCM, key by RSA-OAEP…</xenc:EncryptedData></env:Body>
/// </env:Envelope>
/// ```
public struct SealedSED: Sendable, Equatable {
    /// The document's bytes, exactly as the sending AP signed them.
    public var bytes: Data
    /// The SED's envelope (read from the signed `sg:SealedSED`).
    public var envelope: Envelope
    /// The SED's id.
    public var sedId: SEDID
    /// The size of the SED's bytes in clear.
    public var size: Int
    /// The media type of the SED's bytes.
    public var contentType: String
    /// How the bytes were compressed before encryption, or nil.
    public var compression: String?
    /// The sending AP whose signature was verified (set by `verify`/`open`; nil right after `seal`).
    public var signer: String?
    /// For a large payload: the signed manifest of the fragments that carry it (sent ahead of this SED); the
    /// body then holds the fragments' AES-256-GCM key, encrypted for the receiving AP.
    public var manifest: FragmentManifest?
    /// The document as `verify` parsed it, and the bytes it parsed: `open` decrypts the body there instead of
    /// parsing the bytes again (only while they are still `bytes`).
    private var parsed: (bytes: Data, tree: XMLTree)?

    /// Whether the two hold the same sealed SED (the parsed tree one may hold is left out).
    public static func == (lhs: SealedSED, rhs: SealedSED) -> Bool {
        lhs.bytes == rhs.bytes && lhs.envelope == rhs.envelope && lhs.sedId == rhs.sedId && lhs.size == rhs.size
            && lhs.contentType == rhs.contentType && lhs.compression == rhs.compression && lhs.signer == rhs.signer
            && lhs.manifest == rhs.manifest
    }

    /// Makes a value for sealed bytes already verified (e.g. read back from a node's store).
    public init(
        bytes: Data, envelope: Envelope, sedId: SEDID, size: Int, contentType: String, compression: String?,
        signer: String?
    ) {
        self.bytes = bytes
        self.envelope = envelope
        self.sedId = sedId
        self.size = size
        self.contentType = contentType
        self.compression = compression
        self.signer = signer
        self.manifest = nil
    }

    /// The largest SED accepted in clear, after decompression.
    public static let maximumBytes = 64 << 20
    static let signedIDs = ["sed", "body"]

    /// Seals `payload` with `envelope` (which must have its SedId and SendingAP): compresses it (gzip) unless
    /// `compress` is false, encrypts it for `recipient` (with the content key of the recipient's current window in
    /// `contentKeys`, or a key of its own), and signs envelope and body with `signer`.
    public static func seal(
        _ payload: [UInt8], envelope: Envelope, compress: Bool = true, signer: NodeKey, recipient: PeerCertificate,
        contentKeys: ContentKeyWindows? = nil
    ) throws(SedgateError) -> SealedSED {
        let plain = Data(payload)
        return try seal(
            body: compress ? Gzip.compress(plain) : plain, size: payload.count, compression: compress ? "gzip" : nil,
            manifest: nil, envelope: envelope, signer: signer, recipient: recipient, contentKeys: contentKeys)
    }

    /// Seals a large payload that travels as `manifest`'s fragments: the manifest goes in the signed header, and
    /// the body holds the fragments' 32-byte AES-256-GCM `key`, encrypted for `recipient`.
    public static func seal(
        fragments manifest: FragmentManifest, key: Data, envelope: Envelope, signer: NodeKey,
        recipient: PeerCertificate, contentKeys: ContentKeyWindows? = nil
    ) throws(SedgateError) -> SealedSED {
        try seal(
            body: key, size: Int(manifest.totalSize), compression: nil, manifest: manifest, envelope: envelope,
            signer: signer, recipient: recipient, contentKeys: contentKeys)
    }

    private static func seal(
        body: Data, size: Int, compression: String?, manifest: FragmentManifest?, envelope: Envelope,
        signer: NodeKey, recipient: PeerCertificate, contentKeys: ContentKeyWindows?
    ) throws(SedgateError) -> SealedSED {
        guard let sedId = envelope.sedId else {
            throw SedgateError(.invalidEnvelope, "a SED without a SedId cannot be sealed; the AP assigns one first")
        }
        let encrypted = try BodyEncryption.encrypt(body, id: "ed", for: recipient, reusing: contentKeys)
        let contentType = manifest?.contentType ?? envelope.contentType ?? "application/xml"
        let head = """
            <?xml version="1.0" encoding="UTF-8"?>
            <env:Envelope xmlns:env="\(SOAPNamespace.envelope)" xmlns:sg="\(SOAPNamespace.protocol_)" \
            xmlns:wsu="\(SOAPNamespace.utility)">
            <env:Header>
            """
        var seal =
            "<sg:SealedSED wsu:Id=\"sed\" sedId=\"\(sedId)\" size=\"\(size)\" contentType=\"\(contentType.xmlEscaped)\""
        if let compression { seal += " compression=\"\(compression.xmlEscaped)\"" }
        seal += ">" + EnvelopeXML.render(envelope, prefix: "sed") + (manifest?.xml ?? "") + "</sg:SealedSED>"
        let body = "<env:Body wsu:Id=\"body\">" + CompoundMessage.withoutDeclaration(encrypted) + "</env:Body>"
        let rest = "\n" + seal + "\n</env:Header>\n" + body + "\n</env:Envelope>\n"
        // Signed as written, from the digests of the two elements: the document is never parsed here.
        let namespaces = ["env": SOAPNamespace.envelope, "sg": SOAPNamespace.protocol_, "wsu": SOAPNamespace.utility]
        let security = try OwnSignature.securityHeader(
            signing: [
                ("sed", try OwnSignature.digest(ofElement: seal, namespaces: namespaces)),
                ("body", try OwnSignature.digest(ofElement: body, namespaces: namespaces)),
            ],
            with: signer)
        let signed = Data((head + security + rest).utf8)
        var sealed = SealedSED(
            bytes: signed, envelope: envelope, sedId: sedId, size: size, contentType: contentType,
            compression: compression, signer: nil)
        sealed.manifest = manifest
        return sealed
    }

    /// Verifies a sealed SED without opening it (what the CN does): the signature chains to `trust`, covers the
    /// envelope and the body, and was made by the envelope's SendingAP with one of `algorithms` (RSA-SHA256 unless
    /// the network agreed to ECDSA too). Throws `.unauthorized` otherwise.
    public static func verify(
        _ bytes: Data, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard, source: String
    ) throws(SedgateError)
        -> SealedSED
    {
        let check: SignatureCheck
        let tree: XMLTree
        do {
            // One parse serves the signature check and the reading below.
            (check, tree) = try MessageSignature.verifyAndRead(
                bytes, trusting: trust, accepting: algorithms, source: source)
        } catch {
            var located = error
            if located.location == nil { located.location = .init(file: source) }
            throw located
        }
        let missing = signedIDs.filter { !check.signedIDs.contains($0) }
        guard missing.isEmpty, check.bodyIsSigned else {
            throw SedgateError(
                .unauthorized, "the sender's signature does not cover \(missing.joined(separator: " and "))",
                location: .init(file: source))
        }
        try tree.checkNesting(limit: 64)
        var sealed = try read(tree, bytes: bytes, source: source)
        guard sealed.envelope.sendingAP?.rawValue == check.signer else {
            throw SedgateError(
                .unauthorized,
                "SED \(sealed.sedId) says it comes from \(sealed.envelope.sendingAP?.rawValue ?? "no access point") "
                    + "but is signed by \(check.signer)",
                location: .init(file: source))
        }
        sealed.signer = check.signer
        sealed.parsed = (bytes, tree)
        return sealed
    }

    /// Verifies (see `verify`) and opens a sealed SED with the receiving AP's `key`: decrypts, decompresses, and
    /// checks size and, for an XML SED, that its own SedId is the sealed one. Returns the SED's bytes and, for an
    /// XML SED, the document read from them (see `open(verified:key:source:documentSource:)`).
    public static func open(
        _ bytes: Data, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard, key: NodeKey, source: String
    )
        throws(SedgateError) -> (sealed: SealedSED, payload: [UInt8], document: SEDDocument?)
    {
        try open(
            verified: try verify(bytes, trusting: trust, accepting: algorithms, source: source), key: key,
            source: source)
    }

    /// Opens a sealed SED whose signature `verify` (or `CompoundMessage.read`) has just checked, without checking
    /// it again. Only for values those functions returned: it refuses one whose `signer` is unset.
    ///
    /// An XML SED is read (`SEDReader`, under `documentSource`, by default "`source` (SED <id>)") to check its
    /// SedId; that document is returned, so that the caller need not read the bytes again. Nil for another content
    /// type and for a large payload's fragment key.
    public static func open(
        verified sealed: SealedSED, key: NodeKey, source: String, documentSource: String? = nil
    ) throws(SedgateError)
        -> (sealed: SealedSED, payload: [UInt8], document: SEDDocument?)
    {
        guard sealed.signer != nil else {
            throw SedgateError(.unauthorized, "SED \(sealed.sedId) was not verified", location: .init(file: source))
        }
        let bytes = sealed.bytes
        guard let receivingAP = sealed.envelope.receivingAP, receivingAP.rawValue == key.commonName else {
            throw SedgateError(
                .unauthorized,
                "SED \(sealed.sedId) is encrypted for \(sealed.envelope.receivingAP?.rawValue ?? "no named access point"), "
                    + "not for this access point (\(key.commonName))",
                location: .init(file: source))
        }
        // The envelope is parsed once (by `verify`, when it still holds that tree); the EncryptedData is decrypted
        // where it is.
        let decrypted =
            if let parsed = sealed.parsed, parsed.bytes == bytes {
                try BodyEncryption.decrypt(bodyOf: parsed.tree, with: key)
            } else {
                try BodyEncryption.decrypt(bodyOf: bytes, with: key)
            }
        guard var plain = decrypted else {
            throw SedgateError(
                .protocolViolation, "SED \(sealed.sedId) has no xenc:EncryptedData in its body",
                location: .init(file: source))
        }
        switch sealed.compression {
        case nil: break
        case "gzip": plain = try Gzip.decompress(plain, limit: maximumBytes)
        case let other?:
            throw SedgateError(
                .protocolViolation, "SED \(sealed.sedId) is compressed with '\(other)'; only gzip is known",
                location: .init(file: source))
        }
        if let manifest = sealed.manifest {
            // A large payload: the body is the fragments' key; the fragments are checked against the manifest.
            guard plain.count == 32, manifest.payloadID == sealed.sedId.rawValue else {
                throw SedgateError(
                    .protocolViolation, "SED \(sealed.sedId) announces fragments but carries no valid fragment key",
                    location: .init(file: source))
            }
            return (sealed, Array(plain), nil)
        }
        guard plain.count == sealed.size else {
            throw SedgateError(
                .protocolViolation, "SED \(sealed.sedId) opens to \(plain.count) bytes; its seal says \(sealed.size)",
                location: .init(file: source))
        }
        let payload = Array(plain)
        guard sealed.contentType.hasSuffix("xml") else { return (sealed, payload, nil) }
        let document = try SEDReader.read(payload, source: documentSource ?? "\(source) (SED \(sealed.sedId))")
        guard document.envelope.sedId == sealed.sedId else {
            throw SedgateError(
                .protocolViolation,
                "the seal names SED \(sealed.sedId) but the document inside is "
                    + (document.envelope.sedId.map { "SED \($0)" } ?? "a SED without an id"),
                location: .init(file: source))
        }
        return (sealed, payload, document)
    }

    /// Reads a sealed SED this node verified when it arrived (e.g. from its own store) without verifying it
    /// again: for its envelope and manifest. Never use it on bytes just received.
    public static func stored(_ bytes: Data, source: String) throws(SedgateError) -> SealedSED {
        let tree = try XMLTree.parse(Array(bytes), source: source, limits: .init(maxBytes: 96 << 20, maxDepth: 64))
        return try read(tree, bytes: bytes, source: source)
    }

    /// Reads the signed `sg:SealedSED` and checks that the body is the signed one.
    private static func read(_ tree: XMLTree, bytes: Data, source: String) throws(SedgateError) -> SealedSED {
        func violation(_ text: String, line: Int? = nil) -> SedgateError {
            SedgateError(.protocolViolation, text, location: .init(file: source, line: line))
        }
        let root = tree.root
        guard root.localName == "Envelope", root.namespaceURI == SOAPNamespace.envelope,
            let header = root.firstChild("Header", namespace: SOAPNamespace.envelope),
            root.children("Body", namespace: SOAPNamespace.envelope).count == 1,
            let body = root.firstChild("Body", namespace: SOAPNamespace.envelope),
            body.attribute("Id", namespace: SOAPNamespace.utility) == "body"
        else {
            throw violation("a sealed SED is a SOAP 1.2 envelope with one signed env:Body (wsu:Id=\"body\")")
        }
        let seals = header.children("SealedSED", namespace: SOAPNamespace.protocol_)
        guard seals.count == 1, let seal = seals.first,
            seal.attribute("Id", namespace: SOAPNamespace.utility) == "sed"
        else {
            throw violation("a sealed SED has one signed sg:SealedSED header (wsu:Id=\"sed\")")
        }
        guard let rawID = seal.attribute("sedId"), let sedId = SEDID(rawID) else {
            throw violation("sg:SealedSED has no valid sedId", line: seal.line)
        }
        guard let sizeText = seal.attribute("size"), let size = Int(sizeText), size >= 0 else {
            throw violation("sg:SealedSED of SED \(rawID) has no valid size", line: seal.line)
        }
        guard let envelopeNode = seal.firstChild("Envelope", namespace: SOAPNamespace.sed) else {
            throw violation("sg:SealedSED of SED \(rawID) carries no sed:Envelope", line: seal.line)
        }
        let envelope = try EnvelopeXML.parse(envelopeNode, source: source)
        guard envelope.sedId == sedId else {
            throw violation(
                "sg:SealedSED names SED \(rawID) but holds the envelope of \(envelope.sedId?.rawValue ?? "no SED")",
                line: seal.line)
        }
        var sealed = SealedSED(
            bytes: bytes, envelope: envelope, sedId: sedId, size: size,
            contentType: seal.attribute("contentType") ?? "application/xml", compression: seal.attribute("compression"),
            signer: nil)
        if let manifest = seal.firstChild("Manifest", namespace: FragmentManifest.namespace) {
            sealed.manifest = try FragmentManifest(element: manifest)
        }
        return sealed
    }
}
