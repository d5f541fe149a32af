// BodyEncryption: XML Encryption of payloads for the destination access point's certificate, so that nodes in
// between (the coordination node) cannot read them.
//
// encrypt/decrypt make and open one standalone xenc:EncryptedData (AES-256-GCM with a fresh key, the key transported
// with RSA-OAEP in a ds:KeyInfo/xenc:EncryptedKey). wrapKey/unwrapKey (BodyEncryption+KeyTransport.swift) do the key
// transport alone, for large fragments encrypted outside xmlsec.

import CLibXML2
import CXMLSec
import Crypto
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
    /// `MimeType="application/octet-stream"`. Each call uses a fresh random AES-256 key.
    ///
    /// Throws `.protocolViolation` when `id` is not a plain XML id (letters, digits, ".", "_", "-"), and
    /// `.configuration` when xmlsec cannot encrypt for the certificate (e.g. it is not an RSA certificate).
    public static func encrypt(
        _ plaintext: Data, id: String, for recipient: PeerCertificate
    ) throws(SedgateError)
        -> Data
    {
        try XMLSecLibrary.run { reports throws(SedgateError) in
            try checkID(id)
            // The template is parsed once per recipient and copied for each payload.
            let document: SecurityDocument
            if let copy = recipient.encryptedDataTemplate?.copy() {
                document = SecurityDocument(adopting: copy)
                xmlSetProp(document.root.node, xmlChars("Id"), xmlChars(id))
            } else {
                document = try SecurityDocument(
                    parsing: Data(encryptedDataTemplate(id: id, for: recipient).utf8),
                    source: "the EncryptedData template")
            }
            let encryptedData = document.root
            let method = encryptedData.child("EncryptionMethod", Namespace.xenc)!
            let keyInfo = encryptedData.child("KeyInfo", Namespace.ds)!
            let contentKey = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            try KeyTransport.encrypt(
                contentKey, into: keyInfo.child("EncryptedKey", Namespace.xenc)!, for: recipient, reports: reports)

            // xmlsec would try to write the KeyInfo again for the content key; it is complete, so it stays aside
            // while the content is encrypted.
            xmlUnlinkNode(keyInfo.node)
            let encrypted = Result { () throws(SedgateError) in
                try encryptContent(plaintext, in: encryptedData, key: contentKey, reports: reports)
            }
            xmlAddNextSibling(method.node, keyInfo.node)
            guard try encrypted.get() else {
                throw SedgateError(
                    .configuration,
                    "xmlsec could not encrypt the payload \(id) with AES-256-GCM\(reports.summary); check that "
                        + "libxmlsec1-openssl supports AES-GCM (xmlsec 1.2.27 or later)")
            }
            return document.serialized(encryptedData)
        }
    }

    /// The text of the EncryptedData template `encrypt` fills for `recipient`.
    static func encryptedDataTemplate(id: String, for recipient: PeerCertificate) -> String {
        "<xenc:EncryptedData xmlns:xenc=\"\(Namespace.xenc)\" xmlns:ds=\"\(Namespace.ds)\" Id=\"\(id)\" "
            + "MimeType=\"\(SecurityURI.octetStream)\">"
            + "<xenc:EncryptionMethod Algorithm=\"\(SecurityURI.aes256GCM)\"/>"
            + "<ds:KeyInfo>\(KeyTransport.template(id: nil, for: recipient, declaringNamespaces: false))</ds:KeyInfo>"
            + "<xenc:CipherData><xenc:CipherValue/></xenc:CipherData></xenc:EncryptedData>"
    }

    /// Decrypts an `xenc:EncryptedData` element made by `encrypt` (the bytes of the element, or of a document whose
    /// root it is) with this node's key; returns the plaintext.
    ///
    /// Throws `.malformedXML` / `.hostileInput` for input the safe parser refuses; `.protocolViolation` when the
    /// element is not an EncryptedData with one EncryptedKey, AES-256-GCM and RSA-OAEP, or refers to external
    /// cipher data; `.decryptionFailed` when it was encrypted for another access point's certificate, or when the
    /// ciphertext was altered (the AES-GCM authentication tag does not match).
    public static func decrypt(_ encryptedData: Data, with key: NodeKey) throws(SedgateError) -> Data {
        try XMLSecLibrary.run { reports throws(SedgateError) in
            let document = try SecurityDocument(parsing: encryptedData, source: "the EncryptedData to decrypt")
            return try decrypt(document.root, with: key, reports: reports)
        }
    }

    /// Decrypts the first `xenc:EncryptedData` child of the `soap:Body` of a SOAP 1.2 envelope (bytes) as
    /// `decrypt(_:with:)` does, parsing the envelope once (no copy of the element is made and parsed again);
    /// nil when the envelope has no such element. Throws what `decrypt(_:with:)` throws.
    public static func decrypt(bodyOf soap: Data, with key: NodeKey) throws(SedgateError) -> Data? {
        try XMLSecLibrary.run { reports throws(SedgateError) in
            let document = try SecurityDocument(parsing: soap, source: "the envelope to decrypt")
            guard document.root.isNamed("Envelope", Namespace.soap12),
                let body = document.root.child("Body", Namespace.soap12),
                let element = body.child("EncryptedData", Namespace.xenc)
            else { return nil }
            return try decrypt(element, with: key, reports: reports)
        }
    }

    /// Decrypts `element`, an EncryptedData made by `encrypt`, in its (private) document.
    private static func decrypt(
        _ element: Element, with key: NodeKey, reports: XMLSecReports
    ) throws(SedgateError) -> Data {
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
            guard encryptedKeys.count == 1, let keyInfo = element.child("KeyInfo", Namespace.ds) else {
                throw SedgateError(
                    .protocolViolation,
                    "EncryptedData \(id) has \(encryptedKeys.count) xenc:EncryptedKey elements in its ds:KeyInfo; "
                        + "exactly one, transporting the content key to this access point, is expected")
            }
            let contentKey = try KeyTransport.decrypt(encryptedKeys[0], with: key, reports: reports)
            guard contentKey.count == 32 else {
                throw SedgateError(
                    .decryptionFailed,
                    "the content key of EncryptedData \(id) is \(contentKey.count) bytes; AES-256 needs 32")
            }
            xmlUnlinkNode(keyInfo.node)
            xmlFreeNode(keyInfo.node)
            return try decryptContent(element, key: contentKey, id: id, reports: reports)
        }
    }

    /// Runs xmlsec's AES-256-GCM encryption of `plaintext` into `element`'s CipherValue; false when xmlsec failed.
    private static func encryptContent(
        _ plaintext: Data, in element: Element, key: Data, reports: XMLSecReports
    ) throws(SedgateError) -> Bool {
        guard let context = xmlSecEncCtxCreate(nil) else {
            throw SedgateError(.io, "xmlsec could not allocate an encryption context; the node is out of memory")
        }
        defer { xmlSecEncCtxDestroy(context) }
        context.pointee.encKey = try aesKey(key)
        guard !plaintext.isEmpty else {
            // xmlsec refuses to encrypt zero bytes; AES-GCM of nothing is the IV and the tag, as XML Encryption 1.1
            // lays them out (IV, ciphertext, tag).
            guard let sealed = try? AES.GCM.seal(Data(), using: SymmetricKey(data: key)).combined,
                let cipherValue = element.child("CipherData", Namespace.xenc)?.child("CipherValue", Namespace.xenc)
            else { return false }
            xmlNodeSetContent(cipherValue.node, xmlChars(sealed.base64EncodedString()))
            return true
        }
        let status = plaintext.withUnsafeBytes { bytes in
            xmlSecEncCtxBinaryEncrypt(
                context, element.node, bytes.bindMemory(to: UInt8.self).baseAddress, UInt32(bytes.count))
        }
        return status >= 0
    }

    /// Runs xmlsec's AES-256-GCM decryption of `element` with `key`.
    private static func decryptContent(
        _ element: Element, key: Data, id: String, reports: XMLSecReports
    ) throws(SedgateError) -> Data {
        guard let context = xmlSecEncCtxCreate(nil) else {
            throw SedgateError(.io, "xmlsec could not allocate an encryption context; the node is out of memory")
        }
        defer { xmlSecEncCtxDestroy(context) }
        context.pointee.encKey = try aesKey(key)
        context.pointee.transformCtx.enabledUris = xmlSecTransformUriType(xmlSecTransformUriTypeNone)
        guard let buffer = xmlSecEncCtxDecryptToBuffer(context, element.node) else {
            guard reports.mention("aes256-gcm") else {
                throw SedgateError(
                    .decryptionFailed,
                    "EncryptedData \(id) cannot be decrypted\(reports.summary); its CipherValue is damaged. Ask the "
                        + "sender to send it again")
            }
            throw SedgateError(
                .decryptionFailed,
                "EncryptedData \(id) failed AES-256-GCM authentication: its ciphertext was altered or damaged in "
                    + "transit\(reports.summary). Ask the sender to send it again")
        }
        guard let bytes = xmlSecBufferGetData(buffer) else { return Data() }
        return Data(bytes: bytes, count: Int(xmlSecBufferGetSize(buffer)))
    }

    /// An xmlsec AES key with `bytes` as its value; the caller owns it.
    static func aesKey(_ bytes: Data) throws(SedgateError) -> xmlSecKeyPtr {
        let key = bytes.withUnsafeBytes { raw in
            xmlSecKeyReadMemory(
                xmlSecOpenSSLKeyDataAesGetKlass(), raw.bindMemory(to: UInt8.self).baseAddress, UInt32(raw.count))
        }
        guard let key else {
            throw SedgateError(.io, "xmlsec could not make an AES key; the node is out of memory")
        }
        return key
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
