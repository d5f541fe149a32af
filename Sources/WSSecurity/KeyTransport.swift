// KeyTransport: xenc:EncryptedKey elements: an AES key encrypted with RSA-OAEP for a recipient's certificate, and its
// decryption with this node's private key.
//
// The recipient is named by a ds:X509Data copy of its certificate, so a node can tell "encrypted for someone else"
// from "damaged" before trying its key. xmlsec never reads a received KeyInfo (no RetrievalMethod, no lookups): the
// key is always the one the caller gives.

import CLibXML2
import CXMLSec
import Foundation
import SedgateCore

/// RSA-OAEP key transport in xenc:EncryptedKey.
enum KeyTransport {
    /// The text of an EncryptedKey template for `recipient`, with Id=`id` if given; `declaringNamespaces` adds the
    /// xenc and ds namespace declarations (for a standalone element).
    static func template(id: String?, for recipient: PeerCertificate, declaringNamespaces: Bool) -> String {
        let namespaces = declaringNamespaces ? " xmlns:xenc=\"\(Namespace.xenc)\" xmlns:ds=\"\(Namespace.ds)\"" : ""
        let idAttribute = id.map { " Id=\"\($0)\"" } ?? ""
        return "<xenc:EncryptedKey\(namespaces)\(idAttribute)>"
            + "<xenc:EncryptionMethod Algorithm=\"\(SecurityURI.rsaOAEPMGF1P)\">"
            + "<ds:DigestMethod Algorithm=\"\(SecurityURI.sha1)\"/></xenc:EncryptionMethod>"
            + "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>\(recipient.certificateDER.base64EncodedString())"
            + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            + "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedKey>"
    }

    /// Encrypts `keyBytes` for `recipient` into the CipherValue of the template `encryptedKey`.
    static func encrypt(
        _ keyBytes: Data, into encryptedKey: Element, for recipient: PeerCertificate, reports: XMLSecReports
    ) throws(SedgateError) {
        guard let context = xmlSecEncCtxCreate(nil) else {
            throw SedgateError(.io, "xmlsec could not allocate an encryption context; the node is out of memory")
        }
        defer { xmlSecEncCtxDestroy(context) }
        context.pointee.mode = xmlEncCtxModeEncryptedKey
        context.pointee.encKey = try recipient.makeXMLSecKey()
        // The KeyInfo already names the recipient; xmlsec would add a second copy of the certificate.
        let keyInfo = encryptedKey.child("KeyInfo", Namespace.ds)!
        let method = encryptedKey.child("EncryptionMethod", Namespace.xenc)!
        xmlUnlinkNode(keyInfo.node)
        let status = keyBytes.withUnsafeBytes { bytes in
            xmlSecEncCtxBinaryEncrypt(
                context, encryptedKey.node, bytes.bindMemory(to: UInt8.self).baseAddress, UInt32(bytes.count))
        }
        xmlAddNextSibling(method.node, keyInfo.node)
        guard status >= 0 else {
            throw SedgateError(
                .configuration,
                "xmlsec could not encrypt a key for \(recipient.commonName) with RSA-OAEP\(reports.summary); check "
                    + "that the peer certificate holds an RSA public key")
        }
    }

    /// Decrypts an EncryptedKey with this node's private key; returns the key bytes.
    ///
    /// Throws `.protocolViolation` for another key transport algorithm or external cipher data, and
    /// `.decryptionFailed` when the key was encrypted for another certificate or cannot be decrypted.
    static func decrypt(
        _ encryptedKey: Element, with key: NodeKey, reports: XMLSecReports
    ) throws(SedgateError)
        -> Data
    {
        let id = encryptedKey.attribute("Id").map { "EncryptedKey \($0)" } ?? "the EncryptedKey"
        try expectAlgorithm(encryptedKey, SecurityURI.rsaOAEPMGF1P, what: "key transport of \(id)")
        try expectInlineCipherValue(encryptedKey, what: id)
        let keyInfo = encryptedKey.child("KeyInfo", Namespace.ds)
        let recipients = (keyInfo?.children("X509Data", Namespace.ds) ?? [])
            .flatMap { $0.children("X509Certificate", Namespace.ds) }
            .compactMap { decodeBase64($0.text) }
        // A certificate of this node's key pair other than the one it runs with is a renewal (a rollover).
        if !recipients.isEmpty, !recipients.contains(where: { $0 == key.certificateDER || key.holdsKey(of: $0) }) {
            let names = recipients.map { X509Certificate(der: $0)?.commonName ?? "an unreadable certificate" }
            throw SedgateError(
                .decryptionFailed,
                "\(id) was encrypted for another access point (\(names.joined(separator: ", "))), not for this one "
                    + "(\(key.commonName)); the sender used the wrong destination certificate. The payload was refused")
        }
        // xmlsec must not look keys up from a received KeyInfo: the key is this node's own.
        if let keyInfo {
            xmlUnlinkNode(keyInfo.node)
            xmlFreeNode(keyInfo.node)
        }
        guard let context = xmlSecEncCtxCreate(nil) else {
            throw SedgateError(.io, "xmlsec could not allocate an encryption context; the node is out of memory")
        }
        defer { xmlSecEncCtxDestroy(context) }
        context.pointee.mode = xmlEncCtxModeEncryptedKey
        context.pointee.encKey = try key.makeXMLSecKey()
        context.pointee.transformCtx.enabledUris = xmlSecTransformUriType(xmlSecTransformUriTypeNone)
        guard let buffer = xmlSecEncCtxDecryptToBuffer(context, encryptedKey.node) else {
            throw SedgateError(
                .decryptionFailed,
                "\(id) cannot be decrypted with the private key of \(key.commonName): it was encrypted for another "
                    + "access point's key, or altered\(reports.summary). The payload was refused")
        }
        guard let bytes = xmlSecBufferGetData(buffer) else { return Data() }
        return Data(bytes: bytes, count: Int(xmlSecBufferGetSize(buffer)))
    }

    /// Throws `.protocolViolation` unless `element`'s xenc:EncryptionMethod has Algorithm `algorithm`.
    static func expectAlgorithm(_ element: Element, _ algorithm: String, what: String) throws(SedgateError) {
        let found = element.child("EncryptionMethod", Namespace.xenc)?.attribute("Algorithm")
        guard found == algorithm else {
            throw SedgateError(
                .protocolViolation,
                "the \(what) uses \(found.map { "\"\($0)\"" } ?? "no algorithm"); sedgate accepts only \(algorithm)")
        }
    }

    /// Throws `.protocolViolation` unless `element` carries its ciphertext inline (xenc:CipherValue); a
    /// CipherReference would make xmlsec fetch a URI.
    static func expectInlineCipherValue(_ element: Element, what: String) throws(SedgateError) {
        guard let cipherData = element.child("CipherData", Namespace.xenc),
            cipherData.child("CipherValue", Namespace.xenc) != nil,
            cipherData.child("CipherReference", Namespace.xenc) == nil
        else {
            throw SedgateError(
                .protocolViolation,
                "\(what) has no inline xenc:CipherData/xenc:CipherValue; external cipher data (CipherReference) is "
                    + "not accepted")
        }
    }
}
