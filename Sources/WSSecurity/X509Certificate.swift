// X509Certificate: an OpenSSL certificate held for one operation: read from PEM or DER, its DER bytes, its subject's
// common name, and whether it chains to a set of trusted CA certificates.

import CXMLSec
import Foundation
import SedgateCore

/// An OpenSSL `X509`, freed when the value goes away. Not shared between tasks; made fresh per operation.
final class X509Certificate {
    /// The OpenSSL certificate.
    let pointer: OpaquePointer

    private init(pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        X509_free(pointer)
    }

    /// The first certificate in PEM text; nil when there is none.
    convenience init?(pem: Data) {
        guard pem.count < Int(Int32.max) else { return nil }
        let pointer = pem.withUnsafeBytes { bytes in
            sedgate_x509_read_pem(bytes.bindMemory(to: UInt8.self).baseAddress, Int32(bytes.count))
        }
        guard let pointer else { return nil }
        self.init(pointer: pointer)
    }

    /// The certificate in DER bytes; nil when they are not exactly one certificate.
    convenience init?(der: Data) {
        guard !der.isEmpty else { return nil }
        let pointer = der.withUnsafeBytes { bytes in
            sedgate_x509_read_der(bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count)
        }
        guard let pointer else { return nil }
        self.init(pointer: pointer)
    }

    /// The DER encoding.
    var der: Data {
        var bytes: UnsafeMutablePointer<UInt8>?
        let length = sedgate_x509_der(pointer, &bytes)
        defer { sedgate_openssl_free(bytes) }
        guard length > 0, let bytes else { return Data() }
        return Data(bytes: bytes, count: Int(length))
    }

    /// The subject's common name (CN); nil when the subject has none.
    var commonName: String? {
        var bytes: UnsafeMutablePointer<UInt8>?
        let length = sedgate_x509_common_name(pointer, &bytes)
        defer { sedgate_openssl_free(bytes) }
        guard length >= 0, let bytes else { return nil }
        return String(decoding: UnsafeBufferPointer(start: bytes, count: Int(length)), as: UTF8.self)
    }

    /// The issuer's distinguished name, for messages (e.g. `/CN=sedgate demo CA`).
    var issuer: String {
        var buffer = [CChar](repeating: 0, count: 512)
        buffer.withUnsafeMutableBufferPointer { sedgate_x509_issuer(pointer, $0.baseAddress, Int32($0.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// nil when this certificate chains to one of the CA certificates of `trust` and is valid now; otherwise
    /// OpenSSL's reason (e.g. "unable to get local issuer certificate", "certificate has expired").
    func chainProblem(trusting trust: TrustStore) -> String? {
        var reason = [CChar](repeating: 0, count: 256)
        let verdict = reason.withUnsafeMutableBufferPointer { reason in
            sedgate_x509_verify_in(pointer, trust.store.pointer, reason.baseAddress, Int32(reason.count))
        }
        switch verdict {
        case 1: return nil
        case 0: return String(decoding: reason.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        default: return "OpenSSL could not set up certificate verification"
        }
    }
}
