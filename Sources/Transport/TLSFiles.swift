// TLSFiles: where a node's certificate, key and trusted CA are, and the mutual-TLS configurations built from them.

internal import NIOSSL
import SedgateCore

/// The PEM files of a node's TLS identity: its certificate (chain), its private key, and the CA that signs
/// every node of the network. Both ends of every connection present a certificate (mutual TLS).
public struct TLSFiles: Sendable, Hashable, Codable {
    /// The node's certificate, PEM; the leaf first, then any intermediates.
    public var certificatePath: String
    /// The node's private key, PEM, unencrypted.
    public var privateKeyPath: String
    /// The network's CA certificate(s), PEM: peers must present a certificate signed by one of them.
    public var trustRootsPath: String

    /// Names the three files.
    public init(certificatePath: String, privateKeyPath: String, trustRootsPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
        self.trustRootsPath = trustRootsPath
    }

    /// The subject common name of this node's own certificate (the leaf).
    func commonName() throws(SedgateError) -> String? {
        try certificates(certificatePath, role: "certificate")[0].commonName
    }

    /// A server configuration that requires a client certificate signed by the CA (no hostname check: clients
    /// have none; the server checks the certificate's CN against the message instead).
    func serverConfiguration() throws(SedgateError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: try certificates(certificatePath, role: "certificate").map { .certificate($0) },
            privateKey: .privateKey(try privateKey()),
            trustRoots: .certificates(try certificates(trustRootsPath, role: "trust roots (CA)")))
        configuration.certificateVerification = .noHostnameVerification
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// A client configuration that presents this node's certificate and verifies the server fully
    /// (chain to the CA, and the host name or IP address in the URL against the certificate's SAN).
    func clientConfiguration() throws(SedgateError) -> TLSConfiguration {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateChain = try certificates(certificatePath, role: "certificate").map { .certificate($0) }
        configuration.privateKey = .privateKey(try privateKey())
        configuration.trustRoots = .certificates(try certificates(trustRootsPath, role: "trust roots (CA)"))
        configuration.certificateVerification = .fullVerification
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    /// Loads the certificates of one PEM file; a missing, unreadable or empty file is a configuration error.
    private func certificates(_ path: String, role: String) throws(SedgateError) -> [NIOSSLCertificate] {
        let loaded: [NIOSSLCertificate]
        do {
            loaded = try NIOSSLCertificate.fromPEMFile(path)
        } catch {
            throw SedgateError(
                .configuration,
                "cannot read the TLS \(role) '\(path)' as PEM certificates; check that the file exists, is readable and holds '-----BEGIN CERTIFICATE-----' blocks",
                location: .init(file: path), cause: error)
        }
        guard !loaded.isEmpty else {
            throw SedgateError(
                .configuration,
                "the TLS \(role) file '\(path)' holds no certificate; put the PEM certificate(s) in it",
                location: .init(file: path))
        }
        return loaded
    }

    /// Loads the private key; it must be PEM and unencrypted.
    private func privateKey() throws(SedgateError) -> NIOSSLPrivateKey {
        do {
            return try NIOSSLPrivateKey(file: privateKeyPath, format: .pem)
        } catch {
            throw SedgateError(
                .configuration,
                "cannot read the TLS private key '\(privateKeyPath)' as an unencrypted PEM key; check the path and that the key has no passphrase",
                location: .init(file: privateKeyPath), cause: error)
        }
    }
}

extension NIOSSLCertificate {
    /// The subject's common name (the last CN if there are several, as TLS libraries do).
    var commonName: String? {
        subjectName.last { $0.type == .commonName }?.value
    }
}
