// CompoundMessage: many sealed SEDs in one SOAP 1.2 / MTOM message for one hop (AP → CN or CN → AP), signed by
// the node that sends it. Packs to, and opens from, memory or a file; holds one message in memory (a compound is
// bounded by the packer's count and size limits; large payloads travel as fragments).
//
// The root part lists every SED id with its envelope in clear (what the CN routes, logs and counts) and holds
// each sealed SED as an MTOM/XOP part. The hop signature (WS-Security, over the addressing headers, the list and
// the body in its XOP-inline form) says which node sent the message; each sealed SED keeps its own end-to-end
// signature by its sending AP (see SealedSED).

import Documents
import Foundation
public import Packaging
public import SedgateCore
public import WSSecurity

/// One hop's compound message (the protocol article, Transport.docc/Protocol.md):
///
/// ```xml
/// <env:Envelope …>
///   <env:Header>
///     <wsse:Security>…signature by the hop's sender over #msg-id #msg-action #msg-from #msg-to #compound #body…
///     </wsse:Security>
///     <sg:Protocol version="1"/>
///     <wsa:MessageID wsu:Id="msg-id">urn:uuid:…</wsa:MessageID>
///     <wsa:Action wsu:Id="msg-action">urn:eessi:sedgate:1:Deliver</wsa:Action>
///     <wsa:From wsu:Id="msg-from"><wsa:Address>urn:eessi:node:AP-BE</wsa:Address></wsa:From>
///     <wsa:To wsu:Id="msg-to">urn:eessi:node:CN</wsa:To>
///     <sg:Compound wsu:Id="compound" count="2">
///       <sg:Item sedId="…"><sed:Envelope>…</sed:Envelope></sg:Item> …
///     </sg:Compound>
///   </env:Header>
///   <env:Body wsu:Id="body">
///     <sg:SED sedId="…"><xop:Include href="cid:part1.…@sedgate"/></sg:SED> …
///   </env:Body>
/// </env:Envelope>
/// ```
public struct CompoundMessage: Sendable, Equatable {
    /// The WS-Addressing message id.
    public var messageID: String
    /// The node that sent (and signed) this hop.
    public var from: NodeID
    /// The node this hop is for.
    public var to: NodeID
    /// The sealed SEDs, in order (on a received message: those whose seal verified).
    public var seds: [SealedSED]
    /// On a received message: the SEDs whose seal did not verify, with the reason; the receiver answers each
    /// with a `failed` receipt instead of refusing the whole message.
    public var refused: [Refusal] = []

    /// A SED of a received message refused on its own (its seal is broken, forged or not the sender's).
    public struct Refusal: Sendable, Equatable {
        /// The SED's id, as the header lists it.
        public var sedId: SEDID
        /// Why it was refused: the error's description (code, location and message).
        public var reason: String
        /// The error's code (`signature-invalid`...), for the `failed` receipt.
        public var code: SedgateError.Code? = nil
    }

    /// The `wsu:Id`s the hop's sender signs.
    static let signedIDs = ["msg-id", "msg-action", "msg-from", "msg-to", "compound", "body"]
    /// The largest compound message accepted.
    public static let maximumBytes = 96 << 20

    /// Makes a message from sealed SEDs.
    public init(messageID: String = ProtocolMessage.newMessageID(), from: NodeID, to: NodeID, seds: [SealedSED]) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.seds = seds
    }

    /// Signs the message with `signer` (the hop's sender) and writes it as MTOM to `path`. Returns the written
    /// file's Content-Type (multipart/related with its boundary) and size. `edit` rewrites the inline root part
    /// before it is signed; only `sedgate conformance` and tests use it, to make messages that break one rule.
    public func write(
        to path: String, signer: NodeKey, editing edit: (String) -> String
    ) throws(SedgateError) -> (contentType: String, size: Int64) {
        let external = try withoutActuallyEscaping(edit) { (edit) throws(SedgateError) in
            try parts(signer: signer, editing: edit)
        }
        let file = try MTOMWriter.write(root: external.xml, attachments: external.attachments, to: path)
        return (file.contentType, file.size)
    }

    /// Signs the message with `signer` and writes it as MTOM to `path` (see `write(to:signer:editing:)`).
    public func write(to path: String, signer: NodeKey) throws(SedgateError) -> (contentType: String, size: Int64) {
        let external = try parts(signer: signer, editing: nil)
        let file = try MTOMWriter.write(root: external.xml, attachments: external.attachments, to: path)
        return (file.contentType, file.size)
    }

    /// Signs the message as `write` does and returns it as MTOM bytes in memory, with their Content-Type.
    public func encode(
        signer: NodeKey, editing edit: (String) -> String
    ) throws(SedgateError) -> (contentType: String, body: [UInt8]) {
        let external = try withoutActuallyEscaping(edit) { (edit) throws(SedgateError) in
            try parts(signer: signer, editing: edit)
        }
        return try MTOMWriter.encode(root: external.xml, attachments: external.attachments)
    }

    /// Signs the message as `write` does and returns it as MTOM bytes in memory, with their Content-Type.
    public func encode(signer: NodeKey) throws(SedgateError) -> (contentType: String, body: [UInt8]) {
        let external = try parts(signer: signer, editing: nil)
        return try MTOMWriter.encode(root: external.xml, attachments: external.attachments)
    }

    /// The namespaces the root part declares on env:Envelope.
    private static let namespaces = [
        "env": SOAPNamespace.envelope, "wsa": SOAPNamespace.addressing, "sg": SOAPNamespace.protocol_,
        "wsu": SOAPNamespace.utility,
    ]

    /// The signed root part, with the sealed SEDs taken out as attachments.
    private func parts(
        signer: NodeKey, editing edit: ((String) -> String)?
    ) throws(SedgateError) -> (xml: Data, attachments: [MTOMAttachment]) {
        let head = """
            <?xml version="1.0" encoding="UTF-8"?>
            <env:Envelope xmlns:env="\(SOAPNamespace.envelope)" xmlns:wsa="\(SOAPNamespace.addressing)" \
            xmlns:sg="\(SOAPNamespace.protocol_)" xmlns:wsu="\(SOAPNamespace.utility)">
            <env:Header>
            """
        let headers = [
            ("msg-id", "<wsa:MessageID wsu:Id=\"msg-id\">\(messageID.xmlEscaped)</wsa:MessageID>"),
            ("msg-action", "<wsa:Action wsu:Id=\"msg-action\">\(ProtocolMessage.Action.deliver.rawValue)</wsa:Action>"),
            (
                "msg-from",
                "<wsa:From wsu:Id=\"msg-from\"><wsa:Address>\(SOAPCodec.nodeURI(from))</wsa:Address></wsa:From>"
            ),
            ("msg-to", "<wsa:To wsu:Id=\"msg-to\">\(SOAPCodec.nodeURI(to))</wsa:To>"),
        ]
        var compound = "<sg:Compound wsu:Id=\"compound\" count=\"\(seds.count)\">\n"
        for sed in seds {
            compound +=
                "<sg:Item sedId=\"\(sed.sedId)\">" + EnvelopeXML.render(sed.envelope, prefix: "sed") + "</sg:Item>\n"
        }
        compound += "</sg:Compound>"
        var header = "\n" + ProtocolVersion.headerBlock + "\n"
        for (_, element) in headers { header += element + "\n" }
        header += compound + "\n</env:Header>\n<env:Body wsu:Id=\"body\">\n"
        let tail = "</env:Body>\n</env:Envelope>\n"
        guard let edit else {
            return try signedParts(
                head: head, headers: headers, compound: compound, header: header, tail: tail, signer: signer)
        }
        // A test's edited message is parsed, signed by xmlsec and externalised, as any envelope can be.
        var xml = head + header
        for sed in seds {
            xml += "<sg:SED sedId=\"\(sed.sedId)\">" + sed.bytes.base64EncodedString() + "</sg:SED>\n"
        }
        xml += tail
        let signed = try MessageSignature.sign(Data(edit(xml).utf8), ids: Self.signedIDs, with: signer)
        let external = try XOP.externalize(
            xml: signed, elements: .elements(named: "SED", namespace: SOAPNamespace.protocol_),
            source: "the compound message \(messageID)")
        return (external.xml, external.attachments)
    }

    /// The root part signed as written, from the digests of its signed elements, with each sealed SED as an
    /// attachment from the start: neither the root part nor the base64 of the SEDs is parsed, and the body's
    /// digest is taken over its inline (XOP-reconstituted) canonical form piece by piece.
    private func signedParts(
        head: String, headers: [(String, String)], compound: String, header: String, tail: String, signer: NodeKey
    ) throws(SedgateError) -> (xml: Data, attachments: [MTOMAttachment]) {
        var references: [(id: String, digest: [UInt8])] = []
        for (id, element) in headers + [("compound", compound)] {
            references.append((id, try OwnSignature.digest(ofElement: element, namespaces: Self.namespaces)))
        }
        let ids = XOP.contentIDs(count: seds.count)
        var body = OwnSignature.Digest()
        body.update(
            "<env:Body xmlns:env=\"\(SOAPNamespace.envelope)\" xmlns:wsu=\"\(SOAPNamespace.utility)\" wsu:Id=\"body\">\n"
        )
        var root = head
        var included = header
        var attachments: [MTOMAttachment] = []
        for (sed, id) in zip(seds, ids) {
            // SED ids are UUIDs: nothing in them to escape.
            body.update("<sg:SED xmlns:sg=\"\(SOAPNamespace.protocol_)\" sedId=\"\(sed.sedId)\">")
            body.update(sed.bytes.base64EncodedData())
            body.update("</sg:SED>\n")
            included += "<sg:SED sedId=\"\(sed.sedId)\">" + XOP.include(id) + "</sg:SED>\n"
            attachments.append(MTOMAttachment(contentID: id, body: .data(sed.bytes)))
        }
        body.update("</env:Body>")
        references.append(("body", body.finalize()))
        root += try OwnSignature.securityHeader(signing: references, with: signer) + included + tail
        return (Data(root.utf8), attachments)
    }

    /// Reads a received compound message: verifies the hop signature against `trust` (it must be by the message's
    /// `from`), checks that the list and the body hold the same SEDs, and verifies each sealed SED's own signature
    /// (by its sending AP, with one of `algorithms`). Decrypts nothing. Throws `.unauthorized` for a hop signature
    /// that fails and `.protocolViolation` for a malformed message, naming the SED at fault; a SED whose seal fails
    /// is listed in `refused`.
    public static func read(
        _ message: MTOMMessage, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard, source: String
    ) throws(SedgateError) -> CompoundMessage {
        try read(message, parsedRoot: nil, trusting: trust, accepting: algorithms, source: source)
    }

    /// Reads a received compound message as `read(_:trusting:accepting:source:)` does; `parsedRoot` is its root part
    /// parsed already (to read its wsa:Action), taken over instead of parsing the root part again: it must not be
    /// read afterwards.
    static func read(
        _ message: MTOMMessage, parsedRoot: XMLTree?, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm>, source: String
    ) throws(SedgateError) -> CompoundMessage {
        let hop = try Hop(message, parsedRoot: parsedRoot, trusting: trust, accepting: algorithms, source: source)
        return try hop.message(seals: hop.carried.map { $0.verify(trusting: trust, accepting: algorithms) })
    }

    /// Reads a received compound message as `read(_:trusting:accepting:source:)` does, verifying the sealed SEDs
    /// side by side on `pool` (the hop signature is checked first, on the pool too).
    public static func read(
        _ message: MTOMMessage, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard, source: String,
        on pool: SealingPool
    ) async throws(SedgateError) -> CompoundMessage {
        try await read(message, parsedRoot: nil, trusting: trust, accepting: algorithms, source: source, on: pool)
    }

    /// Reads a received compound message as `read(_:trusting:accepting:source:on:)` does, taking over `parsedRoot`
    /// (see `read(_:parsedRoot:trusting:accepting:source:)`).
    static func read(
        _ message: MTOMMessage, parsedRoot: XMLTree?, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm>, source: String, on pool: SealingPool
    ) async throws(SedgateError) -> CompoundMessage {
        let input = Unparsed(message: message, root: parsedRoot)
        let hop = try await pool.map([input]) { (input) throws(SedgateError) in
            try Hop(input.message, parsedRoot: input.root, trusting: trust, accepting: algorithms, source: source)
        }[0]
        let seals = await pool.results(hop.carried) { (item) throws(SedgateError) in
            try item.verify(trusting: trust, accepting: algorithms).get()
        }
        return try hop.message(seals: seals)
    }

    /// A received message and its root part if parsed already, on their way to `Hop`.
    private struct Unparsed: Sendable {
        let message: MTOMMessage
        let root: XMLTree?
    }

    /// What the hop signature and the root part say: the message's addressing and the SEDs it carries, checked
    /// against its list but not yet verified one by one.
    private struct Hop: Sendable {
        let messageID: String
        let from: NodeID
        let to: NodeID
        let carried: [Carried]

        init(
            _ message: MTOMMessage, parsedRoot: XMLTree?, trusting trust: TrustStore,
            accepting algorithms: Set<SignatureAlgorithm>, source: String
        ) throws(SedgateError) {
            let (check, tree, included) = try Self.verified(
                message, parsedRoot: parsedRoot, trusting: trust, accepting: algorithms, source: source)
            let missing = signedIDs.filter { !check.signedIDs.contains($0) }
            guard missing.isEmpty, check.bodyIsSigned else {
                throw SedgateError(
                    .unauthorized, "the hop signature does not cover \(missing.joined(separator: ", "))",
                    location: .init(file: source))
            }
            try tree.checkNesting(limit: 64)
            func violation(_ text: String, line: Int? = nil) -> SedgateError {
                SedgateError(.protocolViolation, text, location: .init(file: source, line: line))
            }
            let root = tree.root
            let headers = root.children("Header", namespace: SOAPNamespace.envelope)
            let bodies = root.children("Body", namespace: SOAPNamespace.envelope)
            guard root.localName == "Envelope", root.namespaceURI == SOAPNamespace.envelope, headers.count == 1,
                bodies.count == 1, let header = headers.first, let body = bodies.first,
                body.attribute("Id", namespace: SOAPNamespace.utility) == "body"
            else {
                throw violation("a compound message is a SOAP 1.2 envelope with one header and one signed body")
            }
            func signed(_ name: String, _ namespace: String, _ id: String) throws(SedgateError) -> XMLNode {
                let found = header.children(name, namespace: namespace)
                guard found.count == 1, let element = found.first,
                    element.attribute("Id", namespace: SOAPNamespace.utility) == id
                else { throw violation("the header needs one signed \(name) (wsu:Id=\"\(id)\")") }
                return element
            }
            messageID = try signed("MessageID", SOAPNamespace.addressing, "msg-id").text
            let action = try signed("Action", SOAPNamespace.addressing, "msg-action").text
            guard action.trimmingCharacters(in: .whitespacesAndNewlines) == ProtocolMessage.Action.deliver.rawValue
            else {
                throw violation("a compound message's wsa:Action is \(ProtocolMessage.Action.deliver.rawValue)")
            }
            let fromText = try signed("From", SOAPNamespace.addressing, "msg-from").text
            let toText = try signed("To", SOAPNamespace.addressing, "msg-to").text
            let compound = try signed("Compound", SOAPNamespace.protocol_, "compound")
            guard let from = node(fromText), let to = node(toText) else {
                throw violation("wsa:From and wsa:To must be urn:eessi:node:<id> addresses")
            }
            guard check.signer == from.rawValue else {
                throw SedgateError(
                    .unauthorized, "the message says it comes from \(from) but is signed by \(check.signer)",
                    location: .init(file: source))
            }
            self.from = from
            self.to = to
            let items = compound.children("Item", namespace: SOAPNamespace.protocol_)
            // SED ids are UUIDs, read in any case (P-ID-1): compared as SED ids, never as text.
            let listed = items.map { item in
                let text = item.attribute("sedId") ?? ""
                return SEDID(text)?.rawValue ?? text
            }
            let elements = body.children
            guard String(listed.count) == compound.attribute("count"), elements.count == listed.count,
                Set(listed).count == listed.count
            else {
                throw violation(
                    "the header lists \(listed.count) SEDs (count=\(compound.attribute("count") ?? "none")) and the "
                        + "body carries \(elements.count); every SED must be listed once and carried once")
            }
            var carried: [Carried] = []
            for (index, element) in elements.enumerated() {
                // On the root part as sent, a SED is the part its one xop:Include names (its base64 in the inline
                // form); on the inline form, the base64 text.
                let part = element.children.first.flatMap { included[$0.attribute("href") ?? ""] }
                guard element.localName == "SED", element.namespaceURI == SOAPNamespace.protocol_,
                    let rawID = element.attribute("sedId").map({ SEDID($0)?.rawValue ?? $0 }), rawID == listed[index],
                    let bytes = part ?? Data(base64Encoded: element.text)
                else {
                    throw violation(
                        "body item \(index + 1) is not the base64 sealed SED \(listed[index]) the header lists there",
                        line: element.line)
                }
                // The list is what a reader of the header routes and counts: it must say what the seal says.
                let listedEnvelope = Result { () throws(SedgateError) in
                    guard let node = items[index].firstChild("Envelope", namespace: SOAPNamespace.sed) else {
                        throw violation("the header lists SED \(rawID) with another envelope than the one sealed")
                    }
                    return try EnvelopeXML.parse(node, source: source)
                }
                carried.append(
                    Carried(index: index, rawID: rawID, bytes: bytes, listed: listedEnvelope, source: source))
            }
            self.carried = carried
        }

        /// The hop signature checked and the root part read, with the parts its xop:Include elements name (by href).
        ///
        /// When the root part is laid out as compound messages are written (each body item holding base64 text or
        /// one xop:Include alone), the signature is checked on it as sent, each Include digested as the base64 of
        /// its part (see `MessageSignature.verifyAndRead(_:including:trusting:accepting:source:)`): neither the
        /// inline form nor its base64 is made or parsed. Otherwise, or when that check fails, the inline form is made
        /// and verified as any envelope, and that outcome decides. Either way every attachment must be named by
        /// exactly one Include.
        /// `parsedRoot`, the root part parsed already, is taken over (and not read afterwards).
        static func verified(
            _ message: MTOMMessage, parsedRoot: XMLTree?, trusting trust: TrustStore,
            accepting algorithms: Set<SignatureAlgorithm>, source: String
        ) throws(SedgateError) -> (check: SignatureCheck, tree: XMLTree, included: [String: Data]) {
            var references = XOPReferences(message, partLimit: maximumBytes)
            let include = { (href: String) throws(SedgateError) in try references.part(href: href) }
            let direct =
                if let parsedRoot {
                    try? MessageSignature.verifyAndRead(
                        consuming: parsedRoot, including: include, trusting: trust, accepting: algorithms,
                        source: source)
                } else {
                    try? MessageSignature.verifyAndRead(
                        message.rootBytes, including: include, trusting: trust, accepting: algorithms, source: source)
                }
            if let direct, includesAsWritten(direct.tree) {
                try references.checkEveryAttachmentNamed()
                return (direct.check, direct.tree, references.partsByHref)
            }
            var inlined = XOPReferences(message, partLimit: maximumBytes)
            let xml = try XOP.inline(xml: message.rootBytes, source: "the root part of the MTOM message") { id in
                try inlined.part(contentID: id)
            }
            try inlined.checkEveryAttachmentNamed()
            // One parse serves the hop signature's check and the reading below.
            let (check, tree) = try MessageSignature.verifyAndRead(
                xml, trusting: trust, accepting: algorithms, source: source)
            return (check, tree, [:])
        }

        /// Whether every item of the soap:Body holds text only or one xop:Include alone (which
        /// `MessageSignature.verifyAndRead(_:including:…)` took as the only node there, empty).
        private static func includesAsWritten(_ tree: XMLTree) -> Bool {
            let bodies = tree.root.children("Body", namespace: SOAPNamespace.envelope)
            return bodies.count == 1
                && bodies[0].children.allSatisfy { item in
                    let children = item.children
                    return children.isEmpty
                        || (children.count == 1 && children[0].localName == "Include"
                            && children[0].namespaceURI == XOP.namespace)
                }
        }

        /// The message, with each carried SED's verification outcome (in order).
        func message(seals: [Result<SealedSED, SedgateError>]) throws(SedgateError) -> CompoundMessage {
            var seds: [SealedSED] = []
            var refused: [Refusal] = []
            for (item, seal) in zip(carried, seals) {
                switch seal {
                case .success(let sealed): seds.append(sealed)
                case .failure(let error):
                    // The hop is genuine but this seal is not: refuse this SED alone.
                    guard let sedId = SEDID(item.rawID) else { throw error }
                    refused.append(Refusal(sedId: sedId, reason: error.description, code: error.code))
                }
            }
            var message = CompoundMessage(messageID: messageID, from: from, to: to, seds: seds)
            message.refused = refused
            return message
        }
    }

    /// One sealed SED of a received message, as the body carries it and the header lists it.
    private struct Carried: Sendable {
        let index: Int
        let rawID: String
        let bytes: Data
        let listed: Result<Envelope, SedgateError>
        let source: String

        /// Verifies the seal, and that it is the SED listed there with the envelope listed.
        func verify(
            trusting trust: TrustStore, accepting algorithms: Set<SignatureAlgorithm>
        ) -> Result<SealedSED, SedgateError> {
            Result { () throws(SedgateError) in
                let violation = { (text: String) in
                    SedgateError(.protocolViolation, text, location: .init(file: source))
                }
                let sealed = try SealedSED.verify(
                    bytes, trusting: trust, accepting: algorithms, source: "\(source), SED \(rawID)")
                guard sealed.sedId.rawValue == rawID else {
                    throw violation("body item \(index + 1) is listed as SED \(rawID) but seals SED \(sealed.sedId)")
                }
                guard try listed.get() == sealed.envelope else {
                    throw violation("the header lists SED \(rawID) with another envelope than the one sealed")
                }
                return sealed
            }
        }
    }

    /// The node of a `urn:eessi:node:<id>` address, or nil.
    static func node(_ uri: String) -> NodeID? {
        let trimmed = uri.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix(SOAPNamespace.nodeURIPrefix) else { return nil }
        return NodeID(String(trimmed.dropFirst(SOAPNamespace.nodeURIPrefix.count)))
    }

    /// `bytes` as text, without a leading XML declaration, for splicing into another document.
    static func withoutDeclaration(_ bytes: Data) -> String {
        // The usual case (what xmlsec serialises): ASCII at both ends, so the trimming is done on bytes.
        let blank: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D]
        if let first = bytes.first, let last = bytes.last, first < 0x80, last < 0x80 {
            var slice = bytes[...]
            if slice.starts(with: Array("<?xml".utf8)), let end = slice.firstRange(of: Array("?>".utf8)) {
                slice = slice[end.upperBound...]
            }
            while let byte = slice.first, blank.contains(byte) { slice = slice.dropFirst() }
            while let byte = slice.last, blank.contains(byte) { slice = slice.dropLast() }
            if let head = slice.first, let tail = slice.last, head < 0x80, tail < 0x80 {
                return String(decoding: slice, as: UTF8.self)
            }
            if slice.isEmpty { return "" }
        }
        var text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("<?xml"), let end = text.range(of: "?>") {
            text = String(text[end.upperBound...])
        }
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
