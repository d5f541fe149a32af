// SignerCache: signers' certificates this node has already checked, by their DER bytes: the common name, whether
// the certificate chains to the trust store, and its public key loaded into OpenSSL. Every SED and every hop of a
// peer carries the same certificate, and parsing it, checking its chain and decoding its key per signature cost more
// than the signature check itself. An entry is trusted again only for a few minutes (and never past the
// certificate's end of validity), so a certificate that expires, or a trust store that changes, takes effect.

import CXMLSec
import Foundation
import Synchronization

/// Checked signer certificates, shared by every verification in the process.
final class SignerCache: Sendable {
    /// A certificate that chained to `trust` when last checked.
    struct Signer: Sendable {
        let commonName: String
        let key: EVPKey
        /// The trust store it was checked against (its OpenSSL store's identity).
        let trust: ObjectIdentifier
        /// Until when the check stands without being made again.
        let until: Date
    }

    static let shared = SignerCache()

    /// The most certificates kept: a network has a few hundred nodes; past this the cache starts afresh.
    static let capacity = 1_024
    /// How long a chain check stands.
    static let recheck: TimeInterval = 300

    private let entries = Mutex<[Data: Signer]>([:])

    /// The signer of `der` if it was checked against `trust` and the check still stands at `now`.
    func signer(der: Data, trust: TrustStore, now: Date) -> Signer? {
        let found = entries.withLock { $0[der] }
        guard let found, found.trust == ObjectIdentifier(trust.store), now < found.until else { return nil }
        return found
    }

    /// Remembers a certificate that chained to `trust` at `now`, with its public key; returns the entry, or nil
    /// when OpenSSL cannot take its key.
    func remember(
        _ certificate: X509Certificate, der: Data, commonName: String, trust: TrustStore, now: Date
    ) -> Signer? {
        guard let key = EVPKey(publicKeyOf: certificate) else { return nil }
        var notBefore: Int64 = 0
        var notAfter: Int64 = 0
        let end =
            sedgate_x509_validity(certificate.pointer, &notBefore, &notAfter) == 1
            ? Date(timeIntervalSince1970: TimeInterval(notAfter)) : now
        let signer = Signer(
            commonName: commonName, key: key, trust: ObjectIdentifier(trust.store),
            until: min(end, now.addingTimeInterval(Self.recheck)))
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
            entries[der] = signer
        }
        return signer
    }
}
