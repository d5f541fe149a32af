// BodyEncryption+KeyTransport: wrapping and unwrapping a 32-byte AES-256 key in a standalone xenc:EncryptedKey, for
// large fragments that are encrypted outside xmlsec (swift-crypto AES.GCM) in bounded memory.

import CXMLSec
public import Foundation
public import SedgateCore

extension BodyEncryption {
    /// Encrypts a 32-byte AES-256 key for `recipient`; returns the UTF-8 bytes of one standalone `xenc:EncryptedKey`
    /// element (namespaces declared on itself) with `Id`=`id`, RSA-OAEP (MGF1-SHA1) and a `ds:X509Data` copy of the
    /// recipient's certificate.
    ///
    /// Throws `.protocolViolation` when `key` is not 32 bytes or `id` is not a plain XML id, and `.configuration`
    /// when xmlsec cannot encrypt for the certificate.
    public static func wrapKey(_ key: Data, id: String, for recipient: PeerCertificate) throws(SedgateError) -> Data {
        try checkID(id)
        guard key.count == 32 else {
            throw SedgateError(
                .protocolViolation, "wrapKey takes a 32-byte AES-256 key; it was given \(key.count) bytes")
        }
        let cipherValue = try KeyTransport.encrypt(key, for: recipient)
        return Data(
            KeyTransport.element(id: id, for: recipient, cipherValue: cipherValue, declaringNamespaces: true).utf8)
    }

    /// Decrypts an `xenc:EncryptedKey` made by `wrapKey` (the element's bytes, or a document whose root it is) with
    /// this node's key; returns the 32-byte AES-256 key.
    ///
    /// Throws `.malformedXML` / `.hostileInput` for input the safe parser refuses; `.protocolViolation` when it is
    /// not an EncryptedKey with RSA-OAEP and inline cipher data; `.decryptionFailed` when it was encrypted for
    /// another access point, cannot be decrypted, or does not hold a 32-byte key.
    public static func unwrapKey(_ encryptedKey: Data, with key: NodeKey) throws(SedgateError) -> Data {
        try XMLSecLibrary.run { _ throws(SedgateError) in
            let document = try SecurityDocument(parsing: encryptedKey, source: "the EncryptedKey to unwrap")
            guard document.root.isNamed("EncryptedKey", Namespace.xenc) else {
                throw SedgateError(
                    .protocolViolation,
                    "expected an xenc:EncryptedKey element, found <\(document.root.qualifiedName)>")
            }
            let bytes = try KeyTransport.decrypt(document.root, with: key)
            guard bytes.count == 32 else {
                throw SedgateError(
                    .decryptionFailed,
                    "the EncryptedKey holds a \(bytes.count)-byte key; a 32-byte AES-256 key was expected")
            }
            return bytes
        }
    }
}
