// TrustStore: the CA certificates a node trusts (the network's CA), against which signers' certificates are checked.

import CXMLSec
public import Foundation
public import SedgateCore

/// The CA certificates a node trusts (the network's CA).
///
/// Holds one or more PEM CA certificates. Throws `.configuration` when the file cannot be read or holds no PEM
/// certificate.
public struct TrustStore: Sendable {
    /// The CA certificates, PEM (one or more).
    let caPEM: Data
    /// The same certificates as an OpenSSL store, parsed once (parsing PEM per signature dominated verification).
    let store: StoreBox

    /// An OpenSSL `X509_STORE`, only read after it is made, freed with the last trust store that shares it.
    final class StoreBox: @unchecked Sendable {
        let pointer: OpaquePointer
        init(_ pointer: OpaquePointer) { self.pointer = pointer }
        deinit { X509_STORE_free(pointer) }
    }

    /// Takes one or more CA certificates as PEM bytes.
    public init(caPEM: Data) throws(SedgateError) {
        let count =
            caPEM.count < Int(Int32.max)
            ? caPEM.withUnsafeBytes {
                sedgate_x509_count_pem($0.bindMemory(to: UInt8.self).baseAddress, Int32($0.count))
            }
            : 0
        guard count > 0 else {
            throw SedgateError(
                .configuration,
                "the trusted CA file holds no PEM certificate (-----BEGIN CERTIFICATE-----); configure the network "
                    + "CA's certificate")
        }
        let made = caPEM.withUnsafeBytes {
            sedgate_x509_store($0.bindMemory(to: UInt8.self).baseAddress, Int32($0.count))
        }
        guard let made else {
            throw SedgateError(.configuration, "OpenSSL could not build a certificate store from the trusted CA file")
        }
        self.caPEM = caPEM
        self.store = StoreBox(made)
    }

    /// Reads the CA certificates from a PEM file.
    public init(caFile: String) throws(SedgateError) {
        let pem = try PEMFile.read(caFile, what: "the trusted CA certificates")
        do {
            try self.init(caPEM: pem)
        } catch {
            var located = error
            located.location = .init(file: caFile)
            throw located
        }
    }
}
