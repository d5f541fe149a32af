// NodeKey+Renewal: whether a certificate is another certificate of this node's key pair: a renewed certificate
// (the directory lists old and new during a rollover), so a SED sealed for either still opens here.

import CXMLSec
import Foundation

extension NodeKey {
    /// Whether the certificate `der` holds the public key of this node's private key.
    func holdsKey(of der: Data) -> Bool {
        guard let certificate = X509Certificate(der: der) else { return false }
        let matches = privateKeyPEM.withUnsafeBytes { bytes in
            sedgate_private_key_matches(
                bytes.bindMemory(to: UInt8.self).baseAddress, Int32(bytes.count), certificate.pointer)
        }
        return matches == 1
    }
}
