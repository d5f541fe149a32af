// OwnSignature: the wsse:Security header of an envelope this node writes itself (a sealed SED, a compound
// message), signed without parsing the envelope: the caller gives the SHA-256 digest of each signed element's
// exclusive canonical form (OwnCanonicalForm, or bytes it canonicalises itself), and the header is written from a
// template with the same layout xmlsec writes, its SignedInfo signed straight through OpenSSL.
//
// What this writes is verified by the same code as any received envelope (MessageSignature.verify, over libxml2's
// canonical form), and by xmlsec1 and the interop suite, as what MessageSignature.sign (xmlsec) writes.

import Crypto
public import Foundation
public import SedgateCore

/// Signs envelopes this node writes, from their elements' digests.
public enum OwnSignature {
    /// A SHA-256 digest made piece by piece, for a signed element whose canonical form the caller writes itself.
    public struct Digest {
        private var hash = SHA256()

        /// A digest of nothing yet.
        public init() {}

        /// Adds `bytes`.
        public mutating func update(_ bytes: some DataProtocol) {
            hash.update(data: bytes)
        }

        /// Adds the UTF-8 of `text`.
        public mutating func update(_ text: String) {
            var text = text
            text.withUTF8 { hash.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }

        /// The digest.
        public func finalize() -> [UInt8] {
            Array(hash.finalize())
        }
    }

    /// The SHA-256 digest of the exclusive canonical form of `element`, the text of one element this node wrote
    /// (no comments, CDATA or processing instructions), whose ancestors declare `namespaces` (prefix → URI).
    /// Throws `.protocolViolation` for markup the direct canonicaliser does not take.
    public static func digest(ofElement element: String, namespaces: [String: String]) throws(SedgateError) -> [UInt8] {
        var digest = Digest()
        digest.update(try OwnCanonicalForm(Array(element.utf8), namespaces: namespaces).bytes)
        return digest.finalize()
    }

    /// The wsse:Security header block (text) signing the elements `references` names (wsu:Id, digest of the
    /// canonical form), in that order, with `key`: a BinarySecurityToken with the certificate, a ds:Signature
    /// (exclusive C14N, RSA-SHA256 or ECDSA-SHA256 by the key's type, SHA-256 references) and its KeyInfo.
    ///
    /// The envelope must declare `wsu` on an ancestor of the header and its SOAP 1.2 namespace as `soapPrefix`; the
    /// block goes first in soap:Header. Throws `.configuration` when OpenSSL cannot sign with `key`.
    public static func securityHeader(
        signing references: [(id: String, digest: [UInt8])], with key: NodeKey, soapPrefix: String = "env"
    ) throws(SedgateError) -> String {
        let algorithm = key.signatureAlgorithm
        var signedInfo = "<ds:SignedInfo>\n"
        signedInfo += "<ds:CanonicalizationMethod Algorithm=\"\(SecurityURI.exclusiveC14N)\"/>\n"
        signedInfo += "<ds:SignatureMethod Algorithm=\"\(algorithm.rawValue)\"/>\n"
        for reference in references {
            signedInfo += "<ds:Reference URI=\"#\(reference.id)\">\n<ds:Transforms>\n"
            signedInfo += "<ds:Transform Algorithm=\"\(SecurityURI.exclusiveC14N)\"/>\n</ds:Transforms>\n"
            signedInfo += "<ds:DigestMethod Algorithm=\"\(SecurityURI.sha256)\"/>\n"
            signedInfo += "<ds:DigestValue>\(Data(reference.digest).base64EncodedString())</ds:DigestValue>\n"
            signedInfo += "</ds:Reference>\n"
        }
        signedInfo += "</ds:SignedInfo>"
        let canonical = try OwnCanonicalForm(Array(signedInfo.utf8), namespaces: ["ds": Namespace.ds]).bytes
        let value = try key.evpKey.sign(canonical, signer: key.commonName)
        let tokenID = "X509-" + RandomID.uuid()
        let certificate = key.certificateBase64
        return "<wsse:Security xmlns:wsse=\"\(Namespace.wsse)\" \(soapPrefix):mustUnderstand=\"true\">"
            + "<wsse:BinarySecurityToken EncodingType=\"\(SecurityURI.base64Binary)\" "
            + "ValueType=\"\(SecurityURI.x509v3)\" wsu:Id=\"\(tokenID)\">\(certificate)</wsse:BinarySecurityToken>"
            + "<ds:Signature xmlns:ds=\"\(Namespace.ds)\">\n\(signedInfo)\n"
            + "<ds:SignatureValue>\(Data(value).base64EncodedString())</ds:SignatureValue>\n"
            + "<ds:KeyInfo><wsse:SecurityTokenReference><wsse:Reference URI=\"#\(tokenID)\" "
            + "ValueType=\"\(SecurityURI.x509v3)\"/></wsse:SecurityTokenReference>"
            + "<ds:X509Data><ds:X509Certificate>\(certificate)</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            + "</ds:Signature></wsse:Security>"
    }
}
