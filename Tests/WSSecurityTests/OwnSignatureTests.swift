// OwnSignatureTests: envelopes signed from their own text (OwnSignature: digests of the exclusive canonical form
// written without a parse, SignedInfo signed through OpenSSL) verify with xmlsec, as MessageSignature.verify and
// the xmlsec1 tool check them, whatever the text escapes; ECDSA for EC keys; a method that is not the signer's key
// type is refused.

import Foundation
import SedgateCore
import SedgateTesting
import Testing
import WSSecurity

@Suite("Signatures over text this node wrote")
struct OwnSignatureTests {
    /// A header block and a body with what canonicalisation must get right: entities and character references,
    /// quotes, a literal tab in an attribute, attributes out of order, a namespace declared but unused, a default
    /// namespace, an empty element, text outside ASCII.
    static let header =
        "<wsa:MessageID wsu:Id=\"header-1\" note=\"a &amp; b &lt; &quot;c&quot; 'd' &#10;e\tf &gt;\">"
        + "urn:uuid:1 &amp; &gt; caf\u{e9} 'x' \"y\" &#x3C;&#13;</wsa:MessageID>"
    static let body =
        "<soap:Body wsu:Id=\"body-1\"><p:payload xmlns:p=\"urn:p\" xmlns:unused=\"urn:unused\" b='2' a=\"1\" "
        + "p:z=\"3\"><empty/><inner xmlns=\"urn:default\">text &amp; more<deeper p:q=\"\"/></inner></p:payload>"
        + "</soap:Body>"

    /// The envelope around `header` and `body`, signed over both by `key`.
    static func signed(by key: NodeKey) throws -> Data {
        let namespaces = [
            "soap": SampleEnvelope.soap, "wsa": SampleEnvelope.addressing, "wsu": SampleEnvelope.wsu,
        ]
        let security = try OwnSignature.securityHeader(
            signing: [
                ("header-1", try OwnSignature.digest(ofElement: header, namespaces: namespaces)),
                ("body-1", try OwnSignature.digest(ofElement: body, namespaces: namespaces)),
            ],
            with: key, soapPrefix: "soap")
        return Data(
            ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<soap:Envelope xmlns:soap=\"\(SampleEnvelope.soap)\" "
                + "xmlns:wsa=\"\(SampleEnvelope.addressing)\" xmlns:wsu=\"\(SampleEnvelope.wsu)\">\n<soap:Header>"
                + security + "\n" + header + "\n</soap:Header>\n" + body + "\n</soap:Envelope>\n").utf8)
    }

    @Test("a signature made from the text's digests verifies with xmlsec and with xmlsec1")
    func ownSignatureVerifies() async throws {
        let network = try TestNetwork()
        let signed = try Self.signed(by: try network.key("AP-BE"))
        let check = try MessageSignature.verify(signed, trusting: network.trust())
        #expect(check.signer == "AP-BE")
        #expect(check.signedIDs == ["header-1", "body-1"])
        #expect(check.bodyIsSigned)
        let file = try network.write(signed, to: "own-signed.xml")
        let outcome = try await XMLSec1.verify(file, ca: network.path("ca.crt"))
        #expect(outcome.status == 0, "xmlsec1 --verify: \(outcome.output)")
    }

    @Test("an EC key signs its own envelopes with ECDSA-SHA256: verified where accepted, refused when altered")
    func ecdsaOwnSignature() async throws {
        let network = try TestNetwork()
        try PKI.generateEC(in: network.directory.path, node: "AP-EC")
        let signed = try Self.signed(by: try network.key("AP-EC"))
        #expect(String(decoding: signed, as: UTF8.self).contains(SignatureAlgorithm.ecdsaSHA256.rawValue))
        let check = try MessageSignature.verify(
            signed, trusting: network.trust(), accepting: [.rsaSHA256, .ecdsaSHA256])
        #expect(check.signer == "AP-EC")
        let outcome = try await XMLSec1.verify(try network.write(signed, to: "own-ec.xml"), ca: network.path("ca.crt"))
        #expect(outcome.status == 0, "xmlsec1 --verify: \(outcome.output)")
        let altered = signed.replacingFirst("text &amp; more", with: "text &amp; mere")
        let error = sedgateError {
            _ = try MessageSignature.verify(altered, trusting: network.trust(), accepting: [.rsaSHA256, .ecdsaSHA256])
        }
        #expect(error?.code == .signatureInvalid)
        let value = try #require(signed.range(between: "<ds:SignatureValue>", and: "<"))
        let forged = sedgateError {
            _ = try MessageSignature.verify(
                signed.flippingBase64Character(in: value), trusting: network.trust(), accepting: [.ecdsaSHA256])
        }
        #expect(forged?.code == .signatureInvalid)
    }

    @Test("a signature method other than the signer's key type is refused, for RSA and for EC certificates")
    func wrongKeyTypeRefused() throws {
        let network = try TestNetwork()
        try PKI.generateEC(in: network.directory.path, node: "AP-EC")
        let both: Set<SignatureAlgorithm> = [.rsaSHA256, .ecdsaSHA256]
        let rsa = try Self.signed(by: try network.key("AP-BE"))
            .replacingFirst(SignatureAlgorithm.rsaSHA256.rawValue, with: SignatureAlgorithm.ecdsaSHA256.rawValue)
        let rsaError = sedgateError { _ = try MessageSignature.verify(rsa, trusting: network.trust(), accepting: both) }
        #expect(rsaError?.code == .signatureInvalid)
        #expect(rsaError?.message.contains("holds an RSA key") == true, "\(String(describing: rsaError))")
        let ec = try Self.signed(by: try network.key("AP-EC"))
            .replacingFirst(SignatureAlgorithm.ecdsaSHA256.rawValue, with: SignatureAlgorithm.rsaSHA256.rawValue)
        let ecError = sedgateError { _ = try MessageSignature.verify(ec, trusting: network.trust(), accepting: both) }
        #expect(ecError?.code == .signatureInvalid)
        #expect(ecError?.message.contains("holds an EC key") == true, "\(String(describing: ecError))")
    }

    @Test("markup the direct canonicaliser does not take (a comment, CDATA) is refused, not signed wrongly")
    func unsupportedMarkupRefused() {
        for element in ["<a><!-- note --></a>", "<a><![CDATA[x]]></a>", "<a><?pi x?></a>", "<a><b></a>"] {
            let error = sedgateError { _ = try OwnSignature.digest(ofElement: element, namespaces: [:]) }
            #expect(error?.code == .protocolViolation, "\(element)")
        }
    }
}
