// NodeKey: this node's private key and certificate (PEM), for signing and for decrypting what was encrypted for it.

import CXMLSec
public import Foundation
public import SedgateCore

/// A node's private key and certificate (PEM), for signing and for decrypting what was encrypted for it.
///
/// Reads an unencrypted PEM private key (PKCS#8 or traditional RSA) and the PEM certificate it belongs to. Throws
/// `.configuration` when a file cannot be read, the key is not an unencrypted PEM key, the certificate is not PEM,
/// has no common name, or does not belong to the key.
public struct NodeKey: Sendable {
    /// The private key, PEM.
    let privateKeyPEM: Data
    /// The certificate, PEM.
    let certificatePEM: Data
    /// The certificate, DER (as carried in a WS-Security BinarySecurityToken).
    public let certificateDER: Data
    /// The certificate subject's common name: the node's identity (e.g. `AP-BE`).
    public let commonName: String
    /// The private key with its certificate, loaded into xmlsec once.
    private var template: XMLSecKeyTemplate!
    /// How this key signs: RSA-SHA256 for an RSA key, ECDSA-SHA256 for an EC (P-256) key.
    public private(set) var signatureAlgorithm: SignatureAlgorithm = .rsaSHA256
    /// The private key in OpenSSL, for what this node signs and decrypts without xmlsec.
    let evpKey: EVPKey
    /// The certificate's DER in base64 (no line breaks), as the BinarySecurityToken and X509Certificate carry it.
    let certificateBase64: String
    /// The content keys this key has unwrapped (RSA-OAEP), remembered so that the payloads of one sender's key
    /// window cost one decryption between them (see `UnwrappedKeyCache`); nil decrypts every EncryptedKey anew.
    /// Shared by the copies of this value.
    public var unwrappedKeys: UnwrappedKeyCache? = UnwrappedKeyCache()

    /// Reads the private key and certificate from PEM files (as named in the node's configuration).
    public init(privateKeyFile: String, certificateFile: String) throws(SedgateError) {
        let key = try PEMFile.read(privateKeyFile, what: "the node's private key")
        let certificate = try PEMFile.read(certificateFile, what: "the node's certificate")
        do {
            try self.init(privateKeyPEM: key, certificatePEM: certificate)
        } catch {
            var named = error
            named.message += " (key \(privateKeyFile), certificate \(certificateFile))"
            throw named
        }
    }

    /// Takes the private key and certificate as PEM bytes.
    public init(privateKeyPEM: Data, certificatePEM: Data) throws(SedgateError) {
        guard let certificate = X509Certificate(pem: certificatePEM) else {
            throw SedgateError(
                .configuration,
                "the node's certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----); give the certificate "
                    + "the network's CA issued for this node")
        }
        guard let commonName = certificate.commonName, !commonName.isEmpty else {
            throw SedgateError(
                .configuration,
                "the node's certificate has no common name (CN) in its subject; sedgate identifies nodes by CN. "
                    + "Ask the CA for a certificate with CN=<node id>")
        }
        guard privateKeyPEM.count < Int(Int32.max) else {
            throw SedgateError(.configuration, "the node's private key file is far too large to be a PEM key")
        }
        let matches = privateKeyPEM.withUnsafeBytes { bytes in
            sedgate_private_key_matches(
                bytes.bindMemory(to: UInt8.self).baseAddress, Int32(bytes.count), certificate.pointer)
        }
        switch matches {
        case 1:
            break
        case 0:
            throw SedgateError(
                .configuration,
                "the private key does not belong to the certificate of \(commonName); configure the key that was "
                    + "generated with this certificate's request")
        default:
            throw SedgateError(
                .configuration,
                "the node's private key is not an unencrypted PEM private key (-----BEGIN PRIVATE KEY----- or "
                    + "-----BEGIN RSA PRIVATE KEY-----); decrypt it with `openssl pkey -in key.pem -out plain.pem`")
        }
        let loaded = privateKeyPEM.withUnsafeBytes { bytes in
            sedgate_xmlsec_private_key(bytes.bindMemory(to: UInt8.self).baseAddress, Int32(bytes.count))
        }
        // The key is loaded once, into xmlsec (for what it still signs) and shared with OpenSSL operations.
        guard let loaded, let evpKey = EVPKey(inside: loaded) else {
            if let loaded { xmlSecKeyDestroy(loaded) }
            throw SedgateError(.configuration, "xmlsec could not load the private key of \(commonName)")
        }
        self.evpKey = evpKey
        self.privateKeyPEM = privateKeyPEM
        self.certificatePEM = certificatePEM
        self.certificateDER = certificate.der
        self.certificateBase64 = certificateDER.base64EncodedString()
        self.commonName = commonName
        // A key holding the private key alone (no certificate data: copying certificate data per operation
        // re-encoded the certificate and cost more than the RSA operation; sedgate writes the certificate into
        // KeyInfo itself).
        self.template = XMLSecKeyTemplate(loaded)
        self.signatureAlgorithm = evpKey.signatureAlgorithm
    }

    /// A fresh xmlsec key for one operation, duplicated from the one loaded when this value was made; the caller
    /// owns it.
    func makeXMLSecKey() throws(SedgateError) -> xmlSecKeyPtr {
        try template.duplicate()
    }
}

/// An xmlsec key loaded once and only duplicated afterwards; destroyed with the last value that shares it.
final class XMLSecKeyTemplate: @unchecked Sendable {
    let key: xmlSecKeyPtr
    init(_ key: xmlSecKeyPtr) { self.key = key }
    deinit { xmlSecKeyDestroy(key) }

    /// A copy for one operation (loading PEM through OpenSSL 3's decoders per operation dominated signing and
    /// decryption, so keys are loaded once and duplicated); the caller owns it.
    func duplicate() throws(SedgateError) -> xmlSecKeyPtr {
        guard let copy = xmlSecKeyDuplicate(key) else {
            throw SedgateError(.io, "xmlsec could not copy a key; the node is out of memory")
        }
        return copy
    }
}
