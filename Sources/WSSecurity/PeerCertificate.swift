// PeerCertificate: another node's certificate (PEM), e.g. the destination access point's, to encrypt for.

import CLibXML2
import CXMLSec
import Documents
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
    /// The public key, loaded into xmlsec once.
    private var template: XMLSecKeyTemplate!
    /// The EncryptedData template for this recipient, parsed once (nil if it could not be: then parsed per use).
    private(set) var encryptedDataTemplate: DocumentTemplate?

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
        self.certificateDER = certificate.der
        self.commonName = commonName
        self.template = XMLSecKeyTemplate(try loadXMLSecKey())
        self.encryptedDataTemplate = DocumentTemplate(
            parsing: BodyEncryption.encryptedDataTemplate(id: "ed", for: self), source: "the EncryptedData template")
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

    /// A fresh xmlsec key holding the certificate's public key alone (the certificate itself is written into
    /// `ds:X509Data` by the templates, and a bare key is copied per operation by a reference count); the caller owns
    /// it.
    fileprivate func loadXMLSecKey() throws(SedgateError) -> xmlSecKeyPtr {
        guard let certificate = X509Certificate(der: certificateDER),
            let key = sedgate_xmlsec_public_key(certificate.pointer)
        else {
            throw SedgateError(.configuration, "xmlsec could not take the public key of \(commonName)'s certificate")
        }
        return key
    }

    /// A fresh xmlsec key for one operation, duplicated from the one loaded when this value was made; the caller
    /// owns it.
    func makeXMLSecKey() throws(SedgateError) -> xmlSecKeyPtr {
        try template.duplicate()
    }
}

/// A small document parsed once and copied for each use (xmlsec fills the copy in place).
final class DocumentTemplate: @unchecked Sendable {
    private let document: xmlDocPtr

    /// Parses `text` with the safe parser; nil when it cannot (callers then parse per use and report why).
    init?(parsing text: String, source: String) {
        guard let document = try? XMLTree.parseDocument(Array(text.utf8), source: source) else { return nil }
        self.document = document
    }

    deinit { xmlFreeDoc(document) }

    /// A deep copy the caller owns (free it with `xmlFreeDoc`, e.g. through `SecurityDocument(adopting:)`); the
    /// original is only read, so copies may be made from several threads at once.
    func copy() -> xmlDocPtr? {
        xmlCopyDoc(document, 1)
    }
}
