// KeyTransport: xenc:EncryptedKey elements: an AES key encrypted with RSA-OAEP for a recipient's certificate, and its
// decryption with this node's private key, straight through OpenSSL (an xmlsec context per key cost more than the
// RSA operation).
//
// The recipient is named by a ds:X509Data copy of its certificate, so a node can tell "encrypted for someone else"
// from "damaged" before trying its key. A received KeyInfo is never followed (no RetrievalMethod, no lookups): the
// key is always the one the caller gives.

import Foundation
import SedgateCore

/// RSA-OAEP key transport in xenc:EncryptedKey.
enum KeyTransport {
    /// The text of an EncryptedKey for `recipient` holding `cipherValue` (base64), with Id=`id` if given;
    /// `declaringNamespaces` adds the xenc and ds namespace declarations (for a standalone element).
    static func element(
        id: String?, for recipient: PeerCertificate, cipherValue: String, declaringNamespaces: Bool
    ) -> String {
        let namespaces = declaringNamespaces ? " xmlns:xenc=\"\(Namespace.xenc)\" xmlns:ds=\"\(Namespace.ds)\"" : ""
        let idAttribute = id.map { " Id=\"\($0)\"" } ?? ""
        return "<xenc:EncryptedKey\(namespaces)\(idAttribute)>"
            + "<xenc:EncryptionMethod Algorithm=\"\(SecurityURI.rsaOAEPMGF1P)\">"
            + "<ds:DigestMethod Algorithm=\"\(SecurityURI.sha1)\"/></xenc:EncryptionMethod>"
            + "<ds:KeyInfo><ds:X509Data><ds:X509Certificate>\(recipient.certificateBase64)"
            + "</ds:X509Certificate></ds:X509Data></ds:KeyInfo>"
            + "<xenc:CipherData><xenc:CipherValue>\(cipherValue)</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>"
    }

    /// `keyBytes` encrypted for `recipient` with RSA-OAEP (MGF1-SHA1), base64 as a CipherValue holds it.
    static func encrypt(_ keyBytes: Data, for recipient: PeerCertificate) throws(SedgateError) -> String {
        guard let cipher = recipient.publicKey.oaepEncrypt(Array(keyBytes)) else {
            throw SedgateError(
                .configuration,
                "OpenSSL could not encrypt a key for \(recipient.commonName) with RSA-OAEP; check that the peer "
                    + "certificate holds an RSA public key")
        }
        return Data(cipher).base64EncodedString()
    }

    /// Decrypts an EncryptedKey with this node's private key; returns the key bytes.
    ///
    /// Throws `.protocolViolation` for another key transport algorithm or external cipher data, and
    /// `.decryptionFailed` when the key was encrypted for another certificate or cannot be decrypted.
    static func decrypt(_ encryptedKey: Element, with key: NodeKey) throws(SedgateError) -> Data {
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
        let cipherValue = encryptedKey.child("CipherData", Namespace.xenc)?.child("CipherValue", Namespace.xenc)
        // The cache (when the key has one) answers only for cipher values this key decrypted before.
        let bytes = cipherValue.flatMap { decodeBase64($0.text) }.flatMap { (cipher: Data) -> [UInt8]? in
            let unwrap = { (cipher: [UInt8]) in key.evpKey.oaepDecrypt(cipher) }
            guard let cache = key.unwrappedKeys else { return unwrap(Array(cipher)) }
            return cache.key(for: Array(cipher), unwrap: unwrap)
        }
        guard let bytes else {
            throw SedgateError(
                .decryptionFailed,
                "\(id) cannot be decrypted with the private key of \(key.commonName): it was encrypted for another "
                    + "access point's key, or altered. The payload was refused")
        }
        return Data(bytes)
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
