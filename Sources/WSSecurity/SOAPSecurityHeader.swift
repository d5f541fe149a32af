// SOAPSecurityHeader: finds and builds the parts of a SOAP 1.2 envelope that WS-Security uses: soap:Header, the
// wsse:Security header, its BinarySecurityToken and the SecurityTokenReference in a signature's KeyInfo.

import CLibXML2
import CXMLSec
import Foundation
import SedgateCore

/// The root of a SOAP 1.2 envelope being signed or verified.
struct SOAPEnvelope {
    /// The soap:Envelope element.
    let element: Element

    /// Takes `root`, refusing anything but a SOAP 1.2 `Envelope`; `purpose` ("sign", "verify") is for the message.
    init(_ root: Element, purpose: String) throws(SedgateError) {
        guard root.isNamed("Envelope", Namespace.soap12) else {
            throw SedgateError(
                .protocolViolation,
                "cannot \(purpose) a document whose root is <\(root.qualifiedName)> in namespace "
                    + "\(root.namespaceURI ?? "(none)"); a SOAP 1.2 Envelope (\(Namespace.soap12)) was expected")
        }
        element = root
    }

    /// The soap:Header element, if any.
    var header: Element? {
        element.child("Header", Namespace.soap12)
    }

    /// The one soap:Body; throws `.protocolViolation` when there is none or more than one.
    func body() throws(SedgateError) -> Element {
        let bodies = element.children("Body", Namespace.soap12)
        guard bodies.count == 1 else {
            throw SedgateError(
                .protocolViolation, "the envelope has \(bodies.count) soap:Body elements; SOAP 1.2 requires exactly one"
            )
        }
        return bodies[0]
    }

    /// The wsse:Security header to add a signature to: the existing one, or a new one (with a new soap:Header when
    /// there is none). Throws `.protocolViolation` when there is more than one.
    func securityHeaderForSigning(in document: SecurityDocument) throws(SedgateError) -> SecurityHeader {
        let header = self.header ?? makeHeader(in: document)
        let existing = header.children("Security", Namespace.wsse)
        guard existing.count <= 1 else {
            throw SedgateError(
                .protocolViolation,
                "the envelope has \(existing.count) wsse:Security headers; sign an envelope with at most one")
        }
        if let security = existing.first { return SecurityHeader(element: security) }
        let node = xmlNewDocNode(document.document, nil, xmlChars("Security"), nil)!
        let wsse = xmlNewNs(node, xmlChars(Namespace.wsse), xmlChars("wsse"))
        if xmlSearchNsByHref(document.document, header.node, xmlChars(Namespace.wsu)) == nil {
            xmlNewNs(node, xmlChars(Namespace.wsu), xmlChars("wsu"))
        }
        xmlSetNs(node, wsse)
        xmlNewNsProp(node, element.node.pointee.ns, xmlChars("mustUnderstand"), xmlChars("true"))
        Self.insertFirst(node, into: header.node)
        return SecurityHeader(element: Element(node: node))
    }

    /// The one wsse:Security header of a received envelope; throws `.protocolViolation` when there is none or more
    /// than one.
    func securityHeaderForVerifying() throws(SedgateError) -> SecurityHeader {
        let headers = header?.children("Security", Namespace.wsse) ?? []
        guard headers.count == 1 else {
            throw SedgateError(
                .protocolViolation,
                headers.isEmpty
                    ? "the message has no wsse:Security header, so it is not signed; every message between access "
                        + "points must be signed by the sending access point"
                    : "the message has \(headers.count) wsse:Security headers; exactly one is accepted")
        }
        return SecurityHeader(element: headers[0])
    }

    /// Adds an empty soap:Header before the first child element of the envelope.
    private func makeHeader(in document: SecurityDocument) -> Element {
        let node = xmlNewDocNode(document.document, element.node.pointee.ns, xmlChars("Header"), nil)!
        Self.insertFirst(node, into: element.node)
        return Element(node: node)
    }

    /// Inserts `node` as the first child of `parent`.
    static func insertFirst(_ node: xmlNodePtr, into parent: xmlNodePtr) {
        if let first = parent.pointee.children {
            xmlAddPrevSibling(first, node)
        } else {
            xmlAddChild(parent, node)
        }
    }
}

/// A wsse:Security header.
struct SecurityHeader {
    /// The wsse:Security element.
    let element: Element

    /// Inserts a wsse:BinarySecurityToken (X.509 v3, base64) with wsu:Id=`id` as the header's first child.
    func addToken(certificateDER: Data, id: String) -> xmlNodePtr {
        let token = xmlNewDocNode(
            element.node.pointee.doc, element.node.pointee.ns, xmlChars("BinarySecurityToken"),
            xmlChars(certificateDER.base64EncodedString()))!
        SOAPEnvelope.insertFirst(token, into: element.node)
        xmlNewProp(token, xmlChars("EncodingType"), xmlChars(SecurityURI.base64Binary))
        xmlNewProp(token, xmlChars("ValueType"), xmlChars(SecurityURI.x509v3))
        let wsu =
            xmlSearchNsByHref(element.node.pointee.doc, token, xmlChars(Namespace.wsu))
            ?? xmlNewNs(token, xmlChars(Namespace.wsu), xmlChars("wsu"))
        xmlNewNsProp(token, wsu, xmlChars("Id"), xmlChars(id))
        return token
    }

    /// Appends to `signature` a ds:KeyInfo with a wsse:SecurityTokenReference to the token `#tokenID` and, for
    /// verifiers that do not follow WS-Security token references (xmlsec1, signxml), a ds:X509Data copy of the
    /// certificate; `verify` insists that the copy equals the token.
    func addKeyInfo(to signature: xmlNodePtr, tokenID: String, certificateDER: Data) {
        let wsse = element.node.pointee.ns
        let ds = signature.pointee.ns
        let keyInfo = xmlNewChild(signature, ds, xmlChars("KeyInfo"), nil)
        let reference = xmlNewChild(keyInfo, wsse, xmlChars("SecurityTokenReference"), nil)
        let target = xmlNewChild(reference, wsse, xmlChars("Reference"), nil)
        xmlNewProp(target, xmlChars("URI"), xmlChars("#" + tokenID))
        xmlNewProp(target, xmlChars("ValueType"), xmlChars(SecurityURI.x509v3))
        let x509Data = xmlNewChild(keyInfo, ds, xmlChars("X509Data"), nil)
        xmlNewChild(x509Data, ds, xmlChars("X509Certificate"), xmlChars(certificateDER.base64EncodedString()))
    }
}
