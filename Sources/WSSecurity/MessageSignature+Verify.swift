// MessageSignature+Verify: checks the WS-Security signature of a received SOAP 1.2 envelope.
//
// Reads the envelope's bytes (untrusted: parsed by the safe parser), finds the one wsse:Security header and its
// ds:Signature, resolves the signer's BinarySecurityToken, checks its certificate against the trust store, and checks
// every reference digest (libxml2's exclusive C14N of the element, SHA-256) and the SignatureValue (OpenSSL, with
// the signer's key, whose type must match the method). Refuses, with a reason: no signature, unsupported
// algorithms, a method other than the signer's key type, references that are not "#id", ids carried by several
// elements (signature wrapping), untrusted certificates, altered elements, altered signature values.

import CLibXML2
import CXMLSec
public import Documents
public import Foundation
public import SedgateCore

extension MessageSignature {
    /// Verifies the wsse:Security signature of a SOAP 1.2 envelope (bytes) against the CA certificates in `trust`.
    ///
    /// Returns the signer's common name, its DER certificate, the wsu:Id values the signature covers and whether the
    /// soap:Body is among them. Throws:
    /// - `.malformedXML` / `.hostileInput` for input the safe parser refuses;
    /// - `.protocolViolation` when the envelope has not exactly one soap:Body, there is no signature or more than one,
    ///   an unsupported algorithm, a reference that is not a same-document "#id", or no usable X.509 token;
    /// - `.hostileInput` when a referenced id is carried by more than one element (signature wrapping), or there are
    ///   more than 256 references;
    /// - `.unauthorized` when the certificate does not chain to `trust` or is outside its validity;
    /// - `.signatureInvalid` when a reference digest (the message says which) or the SignatureValue does not match.
    public static func verify(_ soap: Data, trusting trust: TrustStore) throws(SedgateError) -> SignatureCheck {
        try verify(soap, trusting: trust, accepting: SignatureAlgorithm.standard)
    }

    /// Verifies as `verify(_:trusting:)` does, accepting the signature methods in `algorithms` (e.g. ECDSA-SHA256
    /// beside RSA-SHA256 where the network has agreed to it); any other method is a `.protocolViolation`.
    public static func verify(
        _ soap: Data, trusting trust: TrustStore, accepting algorithms: Set<SignatureAlgorithm>
    ) throws(SedgateError) -> SignatureCheck {
        // Without parts to include, the verification always gives a result or throws.
        try verified(.bytes(soap), trusting: trust, accepting: algorithms)!.check
    }

    /// Verifies as `verify(_:trusting:accepting:)` does and returns the envelope, parsed once for both, to read
    /// (`source` names it in the tree's error locations).
    public static func verifyAndRead(
        _ soap: Data, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard, source: String
    ) throws(SedgateError) -> (check: SignatureCheck, tree: XMLTree) {
        let (check, document) = try verified(.bytes(soap), trusting: trust, accepting: algorithms)!
        return (check, XMLTree.adopting(document.release(), source: source))
    }

    /// Verifies the root part of an MTOM message as `verifyAndRead(_:trusting:accepting:source:)` verifies its
    /// inline (XOP-reconstituted) form, without making or parsing that form: each `xop:Include` in the soap:Body
    /// stands for the part `parts` gives for its href (`parts` throws for an href naming none), and each digest over
    /// it is taken as over the part's base64 there. The tree returned is the root part's, Includes in place.
    ///
    /// Returns nil when an Include lies outside the soap:Body or is laid out otherwise than MTOM writers lay it out
    /// (an href alone, no content, the only node of its parent): then verify the inline form instead. Throws what
    /// `verifyAndRead(_:trusting:accepting:source:)` throws.
    public static func verifyAndRead(
        _ soap: Data, including parts: (_ href: String) throws(SedgateError) -> Data, trusting trust: TrustStore,
        accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard, source: String
    ) throws(SedgateError) -> (check: SignatureCheck, tree: XMLTree)? {
        let verified = try withoutActuallyEscaping(parts) { (parts) throws(SedgateError) in
            try self.verified(.bytes(soap), trusting: trust, accepting: algorithms, including: parts)
        }
        guard let (check, document) = verified else { return nil }
        return (check, XMLTree.adopting(document.release(), source: source))
    }

    /// Verifies as `verifyAndRead(_:including:trusting:accepting:source:)` does the root part `tree` parsed already
    /// (e.g. to read its wsa:Action first), taking its document over instead of parsing the bytes again: `tree` and
    /// its nodes must not be read afterwards, whatever the outcome.
    package static func verifyAndRead(
        consuming tree: XMLTree, including parts: (_ href: String) throws(SedgateError) -> Data,
        trusting trust: TrustStore, accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard,
        source: String
    ) throws(SedgateError) -> (check: SignatureCheck, tree: XMLTree)? {
        let verified = try withoutActuallyEscaping(parts) { (parts) throws(SedgateError) in
            try self.verified(.tree(tree), trusting: trust, accepting: algorithms, including: parts)
        }
        guard let (check, document) = verified else { return nil }
        return (check, XMLTree.adopting(document.release(), source: source))
    }

    /// What `verified` checks: bytes to parse, or a tree parsed already, whose document it takes over.
    private enum Envelope {
        case bytes(Data)
        case tree(XMLTree)
    }

    /// The verification itself, and the document it parsed; with `parts`, over the inline form of the document's
    /// xop:Include elements (nil when they are not laid out as `IncludedParts` takes them).
    private static func verified(
        _ input: Envelope, trusting trust: TrustStore, accepting algorithms: Set<SignatureAlgorithm>,
        including parts: ((_ href: String) throws(SedgateError) -> Data)? = nil
    ) throws(SedgateError) -> (check: SignatureCheck, document: SecurityDocument)? {
        try XMLSecLibrary.run { reports throws(SedgateError) in
            let document =
                switch input {
                case .bytes(let soap): try SecurityDocument(parsing: soap, source: "the received SOAP envelope")
                case .tree(let tree): SecurityDocument(adopting: tree.handOverDocument())
                }
            let envelope = try SOAPEnvelope(document.root, purpose: "verify")
            let body = try envelope.body()
            var included: IncludedParts?
            if let parts {
                guard let swapped = try IncludedParts(in: document, body: body, resolve: parts) else { return nil }
                included = swapped
            }
            defer { included?.restore() }
            let security = try envelope.securityHeaderForVerifying()
            let signatures = security.element.children("Signature", Namespace.ds)
            guard signatures.count == 1 else {
                throw SedgateError(
                    .protocolViolation,
                    signatures.isEmpty
                        ? "the wsse:Security header holds no ds:Signature; the sending access point must sign "
                            + "the message"
                        : "the wsse:Security header holds \(signatures.count) ds:Signature elements; exactly one is "
                            + "accepted")
            }
            let signature = signatures[0]
            let census = IDCensus(of: document)
            let (signedIDs, algorithm) = try SignedInfoCheck.references(
                of: signature, census: census, accepting: algorithms)
            let der = try tokenCertificate(of: signature, in: security, census: census)
            let signer = try checkedSigner(der, trusting: trust)
            // The method must be the one the signer's key signs with: an RSA certificate never vouches for an
            // ECDSA signature, nor an EC certificate for an RSA one.
            let keyAlgorithm = signer.key.signatureAlgorithm
            guard keyAlgorithm == algorithm else {
                throw SedgateError(
                    .signatureInvalid,
                    "the signature method is \(algorithm.rawValue), but the certificate of \(signer.commonName) holds "
                        + "\(keyAlgorithm == .ecdsaSHA256 ? "an EC" : "an RSA") key, which signs with "
                        + "\(keyAlgorithm.rawValue); the message was refused")
            }
            try checkDigestsAndValue(
                signature, in: document, key: signer.key, signer: signer.commonName, census: census,
                included: included)
            let bodyID = body.attribute("Id", namespace: Namespace.wsu)
            let check = SignatureCheck(
                signer: signer.commonName, certificateDER: der, signedIDs: Set(signedIDs),
                bodyIsSigned: bodyID.map(signedIDs.contains) ?? false)
            return (check, document)
        }
    }

    /// The signer of the certificate `der`: its common name and public key, once it chains to `trust` (checked
    /// once per certificate and then every few minutes, see `SignerCache`).
    private static func checkedSigner(
        _ der: Data, trusting trust: TrustStore
    ) throws(SedgateError) -> SignerCache.Signer {
        let now = Date()
        if let known = SignerCache.shared.signer(der: der, trust: trust, now: now) { return known }
        guard let certificate = X509Certificate(der: der) else {
            throw SedgateError(
                .protocolViolation, "the BinarySecurityToken does not hold a base64 DER X.509 certificate")
        }
        guard let commonName = certificate.commonName, !commonName.isEmpty else {
            throw SedgateError(
                .unauthorized, "the signer's certificate has no common name (CN); nodes are identified by CN")
        }
        if let problem = certificate.chainProblem(trusting: trust) {
            throw SedgateError(
                .unauthorized,
                "the signer's certificate (CN=\(commonName), issued by \(certificate.issuer)) is not trusted: "
                    + "\(problem). Only certificates issued by the network's CA, and within their validity, are "
                    + "accepted")
        }
        guard
            let signer = SignerCache.shared.remember(
                certificate, der: der, commonName: commonName, trust: trust, now: now)
        else {
            throw SedgateError(
                .protocolViolation, "OpenSSL could not take the public key of \(commonName)'s certificate")
        }
        return signer
    }

    /// The certificate (DER) of the wsse:BinarySecurityToken that the signature's KeyInfo refers to.
    private static func tokenCertificate(
        of signature: Element, in security: SecurityHeader, census: IDCensus
    ) throws(SedgateError) -> Data {
        guard
            let keyInfo = signature.child("KeyInfo", Namespace.ds),
            let reference = keyInfo.child("SecurityTokenReference", Namespace.wsse)?.child("Reference", Namespace.wsse),
            let uri = reference.attribute("URI"), uri.hasPrefix("#"), uri.count > 1
        else {
            throw SedgateError(
                .protocolViolation,
                "the signature's ds:KeyInfo has no wsse:SecurityTokenReference/wsse:Reference URI=\"#<token id>\"; "
                    + "the signer's certificate must travel as a BinarySecurityToken in the wsse:Security header")
        }
        let token = try census.uniqueElement(
            String(uri.dropFirst()), role: "the signature's token reference", missing: .protocolViolation,
            duplicated: .hostileInput)
        guard token.isNamed("BinarySecurityToken", Namespace.wsse), token.node.pointee.parent == security.element.node,
            token.attribute("ValueType") == SecurityURI.x509v3,
            token.attribute("EncodingType").map({ $0 == SecurityURI.base64Binary }) ?? true
        else {
            throw SedgateError(
                .protocolViolation,
                "the signature's token reference \(uri) does not point to an X.509 v3 wsse:BinarySecurityToken "
                    + "(base64) in the same wsse:Security header")
        }
        guard let der = decodeBase64(token.text), !der.isEmpty else {
            throw SedgateError(
                .protocolViolation, "the BinarySecurityToken \(uri) does not hold a base64 DER X.509 certificate")
        }
        // A ds:X509Data copy (for verifiers without WS-Security) must show the same certificate, so that every
        // verifier agrees on who signed.
        for copy in keyInfo.children("X509Data", Namespace.ds).flatMap({ $0.children("X509Certificate", Namespace.ds) })
        where decodeBase64(copy.text) != der {
            throw SedgateError(
                .protocolViolation,
                "the signature's ds:X509Data holds a certificate other than the BinarySecurityToken \(uri); the "
                    + "message names two different signers and was refused")
        }
        return der
    }

    /// Checks every reference digest and the SignatureValue with the signer's public key: each referenced element
    /// canonicalised by libxml2 as its transforms say (exclusive C14N, with their InclusiveNamespaces prefixes) into
    /// SHA-256, and the SignedInfo's canonical form checked against the SignatureValue through OpenSSL. The
    /// algorithms and references were checked by `SignedInfoCheck`, the signer's key type against the method. With
    /// `included`, a referenced element holding swapped xop:Include elements is digested as its inline form.
    private static func checkDigestsAndValue(
        _ signature: Element, in document: SecurityDocument, key: EVPKey, signer: String, census: IDCensus,
        included: IncludedParts?
    ) throws(SedgateError) {
        guard let signedInfo = signature.child("SignedInfo", Namespace.ds),
            let value = signature.child("SignatureValue", Namespace.ds).flatMap({ decodeBase64($0.text) }),
            !value.isEmpty
        else {
            throw SedgateError(
                .signatureInvalid,
                "the signature of \(signer) could not be processed (no base64 ds:SignatureValue); the message was "
                    + "refused")
        }
        for reference in signedInfo.children("Reference", Namespace.ds) {
            let uri = reference.attribute("URI") ?? ""
            let id = String(uri.dropFirst())
            let transforms = reference.child("Transforms", Namespace.ds)?.children("Transform", Namespace.ds) ?? []
            let expected = reference.child("DigestValue", Namespace.ds).flatMap { decodeBase64($0.text) }
            guard let element = census.wsuIDs[id] else {
                throw SedgateError(.signatureInvalid, "the signature's reference \(uri) names no element")
            }
            var digest = [UInt8](repeating: 0, count: 32)
            let exclusive: Int32 = transforms.isEmpty ? 0 : 1
            let made: Int32
            if let included, case let parts = included.parts(below: element), !parts.isEmpty {
                // The canonical form holds no part (only markers): it is made in memory, then the parts go in.
                let canonical = xmlBufferCreate()
                defer { xmlBufferFree(canonical) }
                let written = withPrefixes(transforms.last) { prefixes in
                    sedgate_c14n_buffer(document.document, element.node, exclusive, prefixes, canonical)
                }
                let spliced = canonical.flatMap { canonical in
                    xmlBufferContent(canonical).flatMap { content in
                        included.digest(
                            ofCanonical: UnsafeBufferPointer(start: content, count: Int(xmlBufferLength(canonical))),
                            parts: parts)
                    }
                }
                if written == 1, let spliced {
                    digest = spliced
                    made = 1
                } else {
                    made = 0
                }
            } else {
                made = withPrefixes(transforms.last) { prefixes in
                    sedgate_c14n_sha256(document.document, element.node, exclusive, prefixes, &digest)
                }
            }
            guard made == 1 else {
                throw SedgateError(
                    .signatureInvalid,
                    "the signature of \(signer) could not be processed (reference \(uri) cannot be canonicalised); "
                        + "the message was refused")
            }
            guard expected.map(Array.init) == digest else {
                throw SedgateError(
                    .signatureInvalid,
                    "the digest of reference \(uri) (\(element.qualifiedName)) does not match: that element was altered "
                        + "after \(signer) signed it. The message was refused; ask the sender to send it again")
            }
        }
        let verdict = withPrefixes(signedInfo.child("CanonicalizationMethod", Namespace.ds)) { prefixes in
            value.withUnsafeBytes { bytes in
                sedgate_c14n_verify_sha256(
                    document.document, signedInfo.node, prefixes, key.pointer,
                    bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
            }
        }
        guard verdict == 1 else {
            throw SedgateError(
                .signatureInvalid,
                "the SignatureValue does not verify with \(signer)'s certificate: the ds:SignedInfo or the "
                    + "SignatureValue was altered. The message was refused; ask the sender to send it again")
        }
    }

    /// Runs `body` with the InclusiveNamespaces PrefixList of `method` (a Transform or CanonicalizationMethod) as
    /// libxml2 takes it: a NULL-terminated list of prefixes, or NULL when there is none.
    private static func withPrefixes(
        _ method: Element?, _ body: (UnsafeMutablePointer<UnsafeMutablePointer<xmlChar>?>?) -> Int32
    ) -> Int32 {
        let list = method?.child("InclusiveNamespaces", SecurityURI.exclusiveC14N)?.attribute("PrefixList")
        guard let list else { return body(nil) }
        let prefixes = list.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
        var pointers: [UnsafeMutablePointer<xmlChar>?] = prefixes.map { prefix in
            let bytes = Array(prefix.utf8) + [0]
            let pointer = UnsafeMutablePointer<xmlChar>.allocate(capacity: bytes.count)
            pointer.initialize(from: bytes, count: bytes.count)
            return pointer
        }
        pointers.append(nil)
        defer { pointers.forEach { $0?.deallocate() } }
        return pointers.withUnsafeMutableBufferPointer { body($0.baseAddress) }
    }
}
