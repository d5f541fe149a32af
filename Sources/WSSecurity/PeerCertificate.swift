// PeerCertificate: another node's certificate (PEM), e.g. the destination access point's, to encrypt for.

public import Foundation
public import SedgateCore

/// A certificate (PEM) of a peer, e.g. the destination AP's, to encrypt for.
///
/// Throws `.configuration` when the file cannot be read, holds no PEM certificate, or the certificate has no common
/// name.
public struct PeerCertificate: Sendable {
    /// The certificate, DER.
    public let certificateDER: Data
    /// The certificate subject's common name: the peer's node id (e.g. `AP-DK`).
    public let commonName: String
    /// The public key in OpenSSL, for key transport without xmlsec.
    let publicKey: EVPKey
    /// The certificate's DER in base64 (no line breaks), as a ds:X509Certificate carries it.
    let certificateBase64: String

    /// Takes the first certificate in PEM bytes.
    public init(pem: Data) throws(SedgateError) {
        guard let certificate = X509Certificate(pem: pem) else {
            throw SedgateError(
                .configuration,
                "the peer certificate is not a PEM certificate (-----BEGIN CERTIFICATE-----); use the certificate "
                    + "the directory lists for that node")
        }
        guard let commonName = certificate.commonName, !commonName.isEmpty else {
            throw SedgateError(
                .configuration,
                "the peer certificate has no common name (CN) in its subject; sedgate identifies nodes by CN")
        }
        guard let publicKey = EVPKey(publicKeyOf: certificate) else {
            throw SedgateError(.configuration, "OpenSSL could not take the public key of \(commonName)'s certificate")
        }
        self.publicKey = publicKey
        self.certificateDER = certificate.der
        self.certificateBase64 = certificateDER.base64EncodedString()
        self.commonName = commonName
    }

    /// Reads the first certificate of a PEM file.
    public init(file: String) throws(SedgateError) {
        let pem = try PEMFile.read(file, what: "a peer certificate")
        do {
            try self.init(pem: pem)
        } catch {
            var located = error
            located.location = .init(file: file)
            throw located
        }
    }
}
