// SignatureCheck: what a verified WS-Security signature establishes: who signed, with which certificate, and which
// elements the signature covers.

public import Foundation

/// The result of a successful `MessageSignature.verify`.
///
/// A signature covers only the elements listed in `signedIDs`: callers must check that every header block they act
/// on carries one of these wsu:Id values, and that `bodyIsSigned` holds (an attacker can move a signed Body aside and
/// put an unsigned one in its place; the signature alone still verifies).
public struct SignatureCheck: Sendable, Hashable {
    /// The signer's common name (CN of the certificate subject), e.g. `AP-BE`.
    public let signer: String
    /// The signer's certificate, DER, as carried in the BinarySecurityToken.
    public let certificateDER: Data
    /// The wsu:Id values of the elements the signature covers (each carried by exactly one element).
    public let signedIDs: Set<String>
    /// Whether the envelope's one soap:Body carries a wsu:Id in `signedIDs`, i.e. the Body a receiver reads is the
    /// Body that was signed.
    public let bodyIsSigned: Bool

    /// Makes a check result (verification makes these; public for tests of code that consumes them).
    public init(signer: String, certificateDER: Data, signedIDs: Set<String>, bodyIsSigned: Bool) {
        self.signer = signer
        self.certificateDER = certificateDER
        self.signedIDs = signedIDs
        self.bodyIsSigned = bodyIsSigned
    }
}
