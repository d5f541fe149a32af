// BodyEncryption: XML Encryption of payloads for the destination access point's certificate, so that nodes in
// between (the coordination node) cannot read them.
//
// encrypt/decrypt make and open one standalone xenc:EncryptedData (AES-256-GCM with a fresh key, the key transported
// with RSA-OAEP in a ds:KeyInfo/xenc:EncryptedKey). wrapKey/unwrapKey (BodyEncryption+KeyTransport.swift) do the key
// transport alone, for large fragments encrypted apart. Both are written from templates and computed through OpenSSL
// (RSA-OAEP) and swift-crypto (AES-GCM): an xmlsec context per payload cost more than the cryptography; received
// elements are parsed by the safe parser and checked before anything is decrypted.

import CLibXML2
import CXMLSec
import Crypto
public import Documents
public import Foundation
public import SedgateCore

/// XML Encryption 1.1 of binary payloads: AES-256-GCM content encryption, RSA-OAEP (MGF1 with SHA-1, the only OAEP
/// digest xmlsec 1.2 supports) key transport to the recipient's certificate, identified by a `ds:X509Data` copy of it.
///
/// Base64 text (CipherValue, X509Certificate) is written without line breaks: MTOM/XOP may replace a CipherValue by
/// an attachment and restore it as unbroken base64, and the signed form must be that same text.
public enum BodyEncryption {
    /// Encrypts `plaintext` for `recipient`; returns the UTF-8 bytes of one standalone `xenc:EncryptedData` element
    /// (its namespaces declared on itself, no XML declaration) with `Id`=`id` and
    /// `MimeType="application/octet-stream"`. Each call uses a fresh random AES-256 key, or with `windows` the
    /// content key of the recipient's current window (see `ContentKeyWindows`); every call uses a fresh random
    /// 96-bit AES-GCM nonce either way.
    ///
    /// Throws `.protocolViolation` when `id` is not a plain XML id (letters, digits, ".", "_", "-"), and
    /// `.configuration` when OpenSSL cannot encrypt for the certificate (e.g. it is not an RSA certificate).
    public static func encrypt(
        _ plaintext: Data, id: String, for recipient: PeerCertificate, reusing windows: ContentKeyWindows? = nil
    ) throws(SedgateError)
        -> Data
    {
        try checkID(id)
        // Written from its template, not built by xmlsec: the content key goes to the recipient through OpenSSL,
        // the content through swift-crypto; XML Encryption 1.1 lays AES-GCM out as IV, ciphertext, tag.
        let window =
            if let windows { try windows.window(for: recipient) } else { try ContentKeyWindows.single(for: recipient) }
        guard let sealed = try? AES.GCM.seal(plaintext, using: window.key.symmetric).combined else {
            throw SedgateError(.configuration, "swift-crypto could not encrypt the payload \(id) with AES-256-GCM")
        }
        var text =
            "<xenc:EncryptedData xmlns:xenc=\"\(Namespace.xenc)\" xmlns:ds=\"\(Namespace.ds)\" Id=\"\(id)\" "
            + "MimeType=\"\(SecurityURI.octetStream)\">"
            + "<xenc:EncryptionMethod Algorithm=\"\(SecurityURI.aes256GCM)\"/><ds:KeyInfo>"
        text += window.encryptedKey
        text += "</ds:KeyInfo><xenc:CipherData><xenc:CipherValue>"
        text += sealed.base64EncodedString()
        text += "</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>"
        return Data(text.utf8)
    }

    /// Decrypts an `xenc:EncryptedData` element made by `encrypt` (the bytes of the element, or of a document whose
    /// root it is) with this node's key; returns the plaintext.
    ///
    /// Throws `.malformedXML` / `.hostileInput` for input the safe parser refuses; `.protocolViolation` when the
    /// element is not an EncryptedData with one EncryptedKey, AES-256-GCM and RSA-OAEP, or refers to external
    /// cipher data; `.decryptionFailed` when it was encrypted for another access point's certificate, or when the
    /// ciphertext was altered (the AES-GCM authentication tag does not match).
    public static func decrypt(_ encryptedData: Data, with key: NodeKey) throws(SedgateError) -> Data {
        try XMLSecLibrary.run { _ throws(SedgateError) in
            let document = try SecurityDocument(parsing: encryptedData, source: "the EncryptedData to decrypt")
            return try decrypt(document.root, with: key)
        }
    }

    /// Decrypts the first `xenc:EncryptedData` child of the `soap:Body` of a SOAP 1.2 envelope (bytes) as
    /// `decrypt(_:with:)` does, parsing the envelope once (no copy of the element is made and parsed again);
    /// nil when the envelope has no such element. Throws what `decrypt(_:with:)` throws.
    public static func decrypt(bodyOf soap: Data, with key: NodeKey) throws(SedgateError) -> Data? {
        try XMLSecLibrary.run { _ throws(SedgateError) in
            let document = try SecurityDocument(parsing: soap, source: "the envelope to decrypt")
            guard document.root.isNamed("Envelope", Namespace.soap12),
                let body = document.root.child("Body", Namespace.soap12),
                let element = body.child("EncryptedData", Namespace.xenc)
            else { return nil }
            return try decrypt(element, with: key)
        }
    }

    /// Decrypts the first `xenc:EncryptedData` child of the `soap:Body` of a SOAP 1.2 envelope already parsed (e.g.
    /// the tree `MessageSignature.verifyAndRead` returned), as `decrypt(bodyOf:with:)` does, without parsing it
    /// again; the tree is only read. Nil when the envelope has no such element.
    public static func decrypt(bodyOf tree: XMLTree, with key: NodeKey) throws(SedgateError) -> Data? {
        try XMLSecLibrary.run { _ throws(SedgateError) in
            guard let root = xmlDocGetRootElement(tree.documentForReading) else { return nil }
            let envelope = Element(node: root)
            guard envelope.isNamed("Envelope", Namespace.soap12),
                let body = envelope.child("Body", Namespace.soap12),
                let element = body.child("EncryptedData", Namespace.xenc)
            else { return nil }
            return try decrypt(element, with: key)
        }
    }

    /// Decrypts `element`, an EncryptedData made by `encrypt`, in its (private) document.
    private static func decrypt(_ element: Element, with key: NodeKey) throws(SedgateError) -> Data {
        do {
            guard element.isNamed("EncryptedData", Namespace.xenc) else {
                throw SedgateError(
                    .protocolViolation,
                    "expected an xenc:EncryptedData element, found <\(element.qualifiedName)>; the payload is not "
                        + "encrypted the way access points encrypt it")
            }
            let id = element.attribute("Id") ?? "(no Id)"
            try KeyTransport.expectAlgorithm(element, SecurityURI.aes256GCM, what: "content encryption of \(id)")
            try KeyTransport.expectInlineCipherValue(element, what: "EncryptedData \(id)")
            let encryptedKeys = element.child("KeyInfo", Namespace.ds)?.children("EncryptedKey", Namespace.xenc) ?? []
            guard encryptedKeys.count == 1 else {
                throw SedgateError(
                    .protocolViolation,
                    "EncryptedData \(id) has \(encryptedKeys.count) xenc:EncryptedKey elements in its ds:KeyInfo; "
                        + "exactly one, transporting the content key to this access point, is expected")
            }
            let contentKey = try KeyTransport.decrypt(encryptedKeys[0], with: key)
            guard contentKey.count == 32 else {
                throw SedgateError(
                    .decryptionFailed,
                    "the content key of EncryptedData \(id) is \(contentKey.count) bytes; AES-256 needs 32")
            }
            return try decryptContent(element, key: contentKey, id: id)
        }
    }

    /// Decrypts the AES-256-GCM CipherValue of `element` (IV, ciphertext, tag) with `key`.
    private static func decryptContent(_ element: Element, key: Data, id: String) throws(SedgateError) -> Data {
        let cipherValue = element.child("CipherData", Namespace.xenc)?.child("CipherValue", Namespace.xenc)
        guard let combined = cipherValue.flatMap({ decodeBase64($0.text) }), combined.count >= 28,
            let box = try? AES.GCM.SealedBox(combined: combined)
        else {
            throw SedgateError(
                .decryptionFailed,
                "EncryptedData \(id) cannot be decrypted; its CipherValue is damaged. Ask the sender to send it again")
        }
        guard let plaintext = try? AES.GCM.open(box, using: SymmetricKey(data: key)) else {
            throw SedgateError(
                .decryptionFailed,
                "EncryptedData \(id) failed AES-256-GCM authentication: its ciphertext was altered or damaged in "
                    + "transit. Ask the sender to send it again")
        }
        return plaintext
    }

    /// Throws `.protocolViolation` unless `id` is a plain XML id.
    static func checkID(_ id: String) throws(SedgateError) {
        guard XMLID.isPlain(id) else {
            throw SedgateError(
                .protocolViolation,
                "\"\(id)\" cannot be an element Id; use letters, digits, \".\", \"_\" and \"-\", starting with a "
                    + "letter or \"_\"")
        }
    }
}
