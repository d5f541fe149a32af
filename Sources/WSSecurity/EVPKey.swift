// EVPKey: an OpenSSL key held for the life of a NodeKey or PeerCertificate, for signing, key transport and
// signature checks made straight through OpenSSL (see OwnSignature and BodyEncryption): no xmlsec context and no
// key copy per operation.

import CXMLSec
import Foundation
import SedgateCore

/// An OpenSSL `EVP_PKEY`, only read after it is made (OpenSSL allows concurrent use of such a key from several
/// threads); freed with the last value that shares it.
final class EVPKey: @unchecked Sendable {
    /// The OpenSSL key.
    let pointer: OpaquePointer

    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// The OpenSSL key inside an xmlsec key, shared with it (a reference, not a copy); nil when it holds none.
    convenience init?(inside key: xmlSecKeyPtr) {
        guard let data = key.pointee.value, let value = xmlSecOpenSSLEvpKeyDataGetEvp(data), EVP_PKEY_up_ref(value) == 1
        else { return nil }
        self.init(value)
    }

    /// The public key of a certificate; nil when OpenSSL cannot take it.
    convenience init?(publicKeyOf certificate: X509Certificate) {
        guard let key = X509_get_pubkey(certificate.pointer) else { return nil }
        self.init(key)
    }

    /// Whether this is an EC key (it signs with ECDSA) rather than an RSA key.
    var isEC: Bool { sedgate_evp_is_ec(pointer) == 1 }

    /// The signature method this key signs with.
    var signatureAlgorithm: SignatureAlgorithm { isEC ? .ecdsaSHA256 : .rsaSHA256 }

    /// The SHA-256 signature of `data` (RSA PKCS#1 v1.5, or ECDSA as r‖s); throws `.configuration` when OpenSSL
    /// cannot sign with this key.
    func sign(_ data: [UInt8], signer: String) throws(SedgateError) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 1_024)
        var size = signature.count
        let ok = data.withUnsafeBufferPointer { data in
            signature.withUnsafeMutableBufferPointer { out in
                sedgate_evp_sign_sha256(pointer, data.baseAddress, data.count, out.baseAddress, &size)
            }
        }
        guard ok == 1 else {
            throw SedgateError(
                .configuration,
                "OpenSSL could not sign with the key of \(signer); check that it is an RSA or EC P-256 key")
        }
        return Array(signature.prefix(size))
    }

    /// `input` encrypted with RSA-OAEP (MGF1-SHA1) for this public key; nil when OpenSSL cannot (not an RSA key).
    func oaepEncrypt(_ input: [UInt8]) -> [UInt8]? {
        oaep(input, decrypt: false)
    }

    /// The RSA-OAEP ciphertext `input` decrypted with this private key; nil when it does not decrypt.
    func oaepDecrypt(_ input: [UInt8]) -> [UInt8]? {
        oaep(input, decrypt: true)
    }

    private func oaep(_ input: [UInt8], decrypt: Bool) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: 1_024)
        var size = output.count
        let ok = input.withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { out in
                sedgate_evp_oaep(pointer, decrypt ? 1 : 0, input.baseAddress, input.count, out.baseAddress, &size)
            }
        }
        return ok == 1 ? Array(output.prefix(size)) : nil
    }
}
