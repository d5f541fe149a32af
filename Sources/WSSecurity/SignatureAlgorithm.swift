// SignatureAlgorithm: the XML Signature methods sedgate can sign and verify with: RSA-SHA256 (the network's
// default) and ECDSA-P256-SHA256 (an option for nodes with EC keys, accepted only where the verifier allows it).

import CXMLSec

/// A ds:SignatureMethod sedgate supports.
public enum SignatureAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// RSA PKCS#1 v1.5 over SHA-256 (RSA keys): what every node accepts.
    case rsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    /// ECDSA over SHA-256 (EC P-256 keys): far cheaper to sign, dearer to verify; accepted only where enabled.
    case ecdsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"

    /// The algorithms every verifier accepts unless told otherwise.
    public static let standard: Set<SignatureAlgorithm> = [.rsaSHA256]

    /// xmlsec's transform for this method.
    var transform: xmlSecTransformId {
        switch self {
        case .rsaSHA256: return xmlSecOpenSSLTransformRsaSha256GetKlass()
        case .ecdsaSHA256: return xmlSecOpenSSLTransformEcdsaSha256GetKlass()
        }
    }
}
