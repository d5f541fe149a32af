// DetachedSignature: SHA-256 signatures over bytes (the directory's replication messages), made with a node's
// private key and checked against a certificate, plus what the directory needs to know of a certificate.
// Reads PEM; writes nothing.

import CXMLSec
public import Foundation
public import SedgateCore

/// Signs and checks detached SHA-256 signatures (RSA or EC keys, as the node's TLS identity has).
public enum DetachedSignature {
    /// Signs `data` with the PEM private key `keyPEM`. Throws `.configuration` when the key cannot be used.
    public static func sign(_ data: [UInt8], keyPEM: Data) throws(SedgateError) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: 1_024)
        var size = signature.count
        let ok = keyPEM.withUnsafeBytes { key in
            data.withUnsafeBufferPointer { data in
                signature.withUnsafeMutableBufferPointer { out in
                    sedgate_sign_sha256(
                        key.bindMemory(to: UInt8.self).baseAddress, Int32(key.count), data.baseAddress, data.count,
                        out.baseAddress, &size)
                }
            }
        }
        guard ok == 1 else {
            throw SedgateError(
                .configuration, "the node's private key cannot sign (not a PEM RSA or EC key, or encrypted)")
        }
        return Array(signature.prefix(size))
    }

    /// Whether `signature` is a signature of `data` by the key of the PEM certificate `certificatePEM`.
    public static func verify(_ signature: [UInt8], of data: [UInt8], certificatePEM: Data) -> Bool {
        guard let certificate = X509Certificate(pem: certificatePEM) else { return false }
        let ok = data.withUnsafeBufferPointer { data in
            signature.withUnsafeBufferPointer { signature in
                sedgate_verify_sha256(
                    certificate.pointer, data.baseAddress, data.count, signature.baseAddress, signature.count)
            }
        }
        return ok == 1
    }
}

/// What the directory records of a certificate: whose it is and when it is valid.
public struct CertificateFacts: Sendable, Hashable {
    /// The subject's common name (the node id).
    public var commonName: String
    /// The start of validity.
    public var notBefore: Date
    /// The end of validity.
    public var notAfter: Date

    /// Reads the first certificate of `pem`; nil when there is none or its validity cannot be read.
    public init?(pem: Data) {
        guard let certificate = X509Certificate(pem: pem) else { return nil }
        var before: Int64 = 0
        var after: Int64 = 0
        guard sedgate_x509_validity(certificate.pointer, &before, &after) == 1 else { return nil }
        commonName = certificate.commonName ?? ""
        notBefore = Date(timeIntervalSince1970: TimeInterval(before))
        notAfter = Date(timeIntervalSince1970: TimeInterval(after))
    }

    /// Whether the certificate is valid at `date`.
    public func isValid(at date: Date) -> Bool { notBefore <= date && date <= notAfter }
}
