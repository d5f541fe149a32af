// SecurityNames: the namespace and algorithm URIs of SOAP 1.2, WS-Security 1.1, XML Signature and XML Encryption
// that sedgate writes and accepts.

/// Namespace URIs.
enum Namespace {
    /// SOAP 1.2 envelope.
    static let soap12 = "http://www.w3.org/2003/05/soap-envelope"
    /// WS-Security secext (wsse).
    static let wsse = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
    /// WS-Security utility (wsu), for wsu:Id.
    static let wsu = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    /// XML Signature (ds).
    static let ds = "http://www.w3.org/2000/09/xmldsig#"
    /// XML Encryption (xenc).
    static let xenc = "http://www.w3.org/2001/04/xmlenc#"
}

/// Algorithm and type URIs.
enum SecurityURI {
    /// Exclusive XML canonicalisation without comments.
    static let exclusiveC14N = "http://www.w3.org/2001/10/xml-exc-c14n#"
    /// RSA PKCS#1 v1.5 signature over SHA-256.
    static let rsaSHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    /// SHA-256 digest.
    static let sha256 = "http://www.w3.org/2001/04/xmlenc#sha256"
    /// SHA-1 digest (only as the OAEP digest, the one xmlsec 1.2 supports for key transport).
    static let sha1 = "http://www.w3.org/2000/09/xmldsig#sha1"
    /// AES-256 in Galois/Counter Mode (XML Encryption 1.1).
    static let aes256GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"
    /// RSA-OAEP key transport with MGF1-SHA1 (XML Encryption 1.0).
    static let rsaOAEPMGF1P = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"
    /// The MIME type of encrypted binary payloads.
    static let octetStream = "application/octet-stream"
    /// WS-Security X.509 token profile: an X.509 v3 certificate.
    static let x509v3 =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-x509-token-profile-1.0#X509v3"
    /// WS-Security: base64 encoding of a binary token.
    static let base64Binary =
        "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0#Base64Binary"
}
