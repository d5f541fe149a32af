// MessageSignatureTests: WS-Security signatures made by sedgate verify in sedgate and in xmlsec1; altered messages,
// foreign certificates, signature wrapping and unsigned messages are refused with a reason.

import Foundation
import SedgateCore
import SedgateTesting
import Testing
import WSSecurity

@Suite("WS-Security message signatures")
struct MessageSignatureTests {
    /// An envelope whose Body holds an EncryptedData for AP-DK, signed by AP-BE over the Body and the MessageID.
    private static func signedEnvelope(_ network: TestNetwork) throws -> Data {
        let encrypted = try BodyEncryption.encrypt(
            Data("payload".utf8), id: "payload-1", for: network.certificate("AP-DK"))
        let envelope = SampleEnvelope.make(body: String(decoding: encrypted, as: UTF8.self))
        return try MessageSignature.sign(envelope, ids: ["body-1", "header-1"], with: network.key("AP-BE"))
    }

    @Test("a signed envelope with an encrypted body verifies, in sedgate and in xmlsec1, naming signer and ids")
    func signedEnvelopeVerifies() async throws {
        let network = try TestNetwork()
        let signed = try Self.signedEnvelope(network)

        let check = try MessageSignature.verify(signed, trusting: network.trust())
        #expect(check.signer == "AP-BE")
        #expect(check.signedIDs == ["body-1", "header-1"])
        #expect(check.bodyIsSigned)
        #expect(check.certificateDER == (try network.key("AP-BE").certificateDER))

        let file = try network.write(signed, to: "signed.xml")
        let outcome = try await XMLSec1.verify(file, ca: network.path("ca.crt"))
        #expect(outcome.status == 0, "xmlsec1 --verify: \(outcome.output)")
    }

    @Test("the signed body's EncryptedData, cut out of the signed envelope, decrypts for the destination")
    func signedBodyStillDecrypts() throws {
        let network = try TestNetwork()
        let signed = try Self.signedEnvelope(network)
        let text = String(decoding: signed, as: UTF8.self)
        let start = try #require(text.range(of: "<xenc:EncryptedData"))
        let end = try #require(text.range(of: "</xenc:EncryptedData>"))
        let element = Data(text[start.lowerBound..<end.upperBound].utf8)
        #expect(try BodyEncryption.decrypt(element, with: network.key("AP-DK")) == Data("payload".utf8))
    }

    @Test("the signature header has the WS-Security shape: token, exclusive C14N, RSA-SHA256, SHA-256 references")
    func signatureShape() throws {
        let network = try TestNetwork()
        let text = String(decoding: try Self.signedEnvelope(network), as: UTF8.self)
        #expect(text.contains("<wsse:Security"))
        #expect(text.contains("mustUnderstand=\"true\""))
        #expect(text.contains("<wsse:BinarySecurityToken"))
        #expect(text.contains("oasis-200401-wss-x509-token-profile-1.0#X509v3"))
        #expect(text.contains("Algorithm=\"http://www.w3.org/2001/10/xml-exc-c14n#\""))
        #expect(text.contains("Algorithm=\"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256\""))
        #expect(text.contains("Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\""))
        #expect(text.contains("URI=\"#body-1\""))
        #expect(text.contains("URI=\"#header-1\""))
        #expect(text.contains("<wsse:SecurityTokenReference><wsse:Reference URI=\"#X509-"))
    }

    @Test("an envelope without soap:Header gets one, and its signature verifies")
    func headerIsCreated() async throws {
        let network = try TestNetwork()
        let envelope = Data(
            """
            <soap:Envelope xmlns:soap="\(SampleEnvelope.soap)" xmlns:wsu="\(SampleEnvelope.wsu)">\
            <soap:Body wsu:Id="body-1">données</soap:Body></soap:Envelope>
            """.utf8)
        let signed = try MessageSignature.sign(envelope, ids: ["body-1"], with: network.key("AP-BE"))
        #expect(String(decoding: signed, as: UTF8.self).contains("<soap:Header><wsse:Security"))
        let check = try MessageSignature.verify(signed, trusting: network.trust())
        #expect(check.signedIDs == ["body-1"])
        let file = try network.write(signed, to: "signed.xml")
        let outcome = try await XMLSec1.verify(file, ca: network.path("ca.crt"))
        #expect(outcome.status == 0, "xmlsec1 --verify: \(outcome.output)")
    }

    @Test("signing refuses an id that no element carries, and one that two elements carry")
    func signRefusesBadIDs() throws {
        let network = try TestNetwork()
        let key = try network.key("AP-BE")
        let envelope = SampleEnvelope.make(body: "x")
        let missing = sedgateError { _ = try MessageSignature.sign(envelope, ids: ["body-2"], with: key) }
        #expect(missing?.code == .protocolViolation)
        #expect(missing?.message.contains("body-2") == true)
        let twice = SampleEnvelope.make(body: "<x wsu:Id=\"body-1\"/>")
        let duplicated = sedgateError { _ = try MessageSignature.sign(twice, ids: ["body-1"], with: key) }
        #expect(duplicated?.code == .protocolViolation)
    }

    @Test("one changed byte in the Body is refused, naming the Body's reference; xmlsec1 refuses it too")
    func alteredBodyIsRefused() async throws {
        let network = try TestNetwork()
        let signed = try Self.signedEnvelope(network)
        let range = try #require(signed.range(between: "<xenc:CipherValue>", and: "<", after: "<soap:Body"))
        let altered = signed.flippingBase64Character(in: range)

        let error = sedgateError { _ = try MessageSignature.verify(altered, trusting: network.trust()) }
        #expect(error?.code == .signatureInvalid)
        #expect(error?.message.contains("#body-1 (soap:Body)") == true, "\(String(describing: error))")
        let file = try network.write(altered, to: "altered.xml")
        #expect(try await XMLSec1.verify(file, ca: network.path("ca.crt")).status != 0)
    }

    @Test("one changed byte in a header block is refused, naming that block's reference; xmlsec1 refuses it too")
    func alteredHeaderIsRefused() async throws {
        let network = try TestNetwork()
        let signed = try Self.signedEnvelope(network)
        let altered = signed.replacingFirst("urn:uuid:6f1c", with: "urn:uuid:7f1c")
        #expect(altered != signed)

        let error = sedgateError { _ = try MessageSignature.verify(altered, trusting: network.trust()) }
        #expect(error?.code == .signatureInvalid)
        #expect(error?.message.contains("#header-1 (wsa:MessageID)") == true, "\(String(describing: error))")
        let file = try network.write(altered, to: "altered.xml")
        #expect(try await XMLSec1.verify(file, ca: network.path("ca.crt")).status != 0)
    }

    @Test("one changed byte in the SignatureValue is refused as such; xmlsec1 refuses it too")
    func alteredSignatureValueIsRefused() async throws {
        let network = try TestNetwork()
        let signed = try Self.signedEnvelope(network)
        let range = try #require(signed.range(between: "<ds:SignatureValue>", and: "<"))
        let altered = signed.flippingBase64Character(in: range)

        let error = sedgateError { _ = try MessageSignature.verify(altered, trusting: network.trust()) }
        #expect(error?.code == .signatureInvalid)
        #expect(error?.message.contains("SignatureValue") == true, "\(String(describing: error))")
        let file = try network.write(altered, to: "altered.xml")
        #expect(try await XMLSec1.verify(file, ca: network.path("ca.crt")).status != 0)
    }

    @Test("a signature by a certificate from another CA is refused as unauthorized; xmlsec1 refuses it too")
    func foreignCertificateIsRefused() async throws {
        let network = try TestNetwork()
        let rogue = try TestNetwork(nodes: ["AP-BE"])
        let envelope = SampleEnvelope.make(body: "pay 1000 EUR")
        let signed = try MessageSignature.sign(envelope, ids: ["body-1", "header-1"], with: rogue.key("AP-BE"))
        // The rogue signature is sound in itself: it verifies against the rogue CA.
        #expect(try MessageSignature.verify(signed, trusting: rogue.trust()).signer == "AP-BE")

        let error = sedgateError { _ = try MessageSignature.verify(signed, trusting: network.trust()) }
        #expect(error?.code == .unauthorized)
        #expect(error?.message.contains("not trusted") == true, "\(String(describing: error))")
        let file = try network.write(signed, to: "rogue.xml")
        #expect(try await XMLSec1.verify(file, ca: network.path("ca.crt")).status != 0)
    }

    @Test("a second element carrying the signed Body's id (signature wrapping) is refused")
    func signatureWrappingIsRefused() throws {
        let network = try TestNetwork()
        let signed = try MessageSignature.sign(
            SampleEnvelope.make(body: "pay 10 EUR"), ids: ["body-1", "header-1"], with: network.key("AP-BE"))
        // The attacker hides the signed Body in a header and puts their own Body, with the same id, in its place.
        let text = String(decoding: signed, as: UTF8.self)
        let body = try #require(text.range(of: "<soap:Body wsu:Id=\"body-1\">pay 10 EUR</soap:Body>"))
        let wrapped =
            text.replacingCharacters(in: body, with: "<soap:Body wsu:Id=\"body-1\">pay 10000 EUR</soap:Body>")
            .replacingOccurrences(
                of: "</soap:Header>",
                with: "<x:Wrapper xmlns:x=\"urn:attacker\">\(text[body])</x:Wrapper></soap:Header>")

        let error = sedgateError { _ = try MessageSignature.verify(Data(wrapped.utf8), trusting: network.trust()) }
        #expect(error?.code == .hostileInput)
        #expect(error?.message.contains("\"body-1\"") == true, "\(String(describing: error))")
    }

    @Test("an unsigned envelope is refused: a message between access points must be signed")
    func unsignedIsRefused() throws {
        let network = try TestNetwork()
        let error = sedgateError {
            _ = try MessageSignature.verify(SampleEnvelope.make(body: "x"), trusting: network.trust())
        }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("not signed") == true)
    }

    @Test("a reference that is not a same-document \"#id\" is refused before anything is fetched")
    func externalReferenceIsRefused() throws {
        let network = try TestNetwork()
        let signed = try Self.signedEnvelope(network)
        for uri in ["http://example.org/body", "#xpointer(/)", ""] {
            let altered = signed.replacingFirst("URI=\"#body-1\"", with: "URI=\"\(uri)\"")
            let error = sedgateError { _ = try MessageSignature.verify(altered, trusting: network.trust()) }
            #expect(error?.code == .protocolViolation, "\(uri)")
            #expect(error?.message.contains("same-document") == true, "\(uri)")
        }
    }

    @Test("a signed Body moved aside for an unsigned one still verifies, but is reported as an unsigned Body")
    func substitutedBodyIsReported() throws {
        let network = try TestNetwork()
        let signed = try MessageSignature.sign(
            SampleEnvelope.make(body: "pay 10 EUR"), ids: ["body-1", "header-1"], with: network.key("AP-BE"))
        let text = String(decoding: signed, as: UTF8.self)
        let body = try #require(text.range(of: "<soap:Body wsu:Id=\"body-1\">pay 10 EUR</soap:Body>"))
        let substituted =
            text.replacingCharacters(in: body, with: "<soap:Body>pay 10000 EUR</soap:Body>")
            .replacingOccurrences(
                of: "</soap:Header>",
                with: "<x:Wrapper xmlns:x=\"urn:attacker\">\(text[body])</x:Wrapper></soap:Header>")

        let check = try MessageSignature.verify(Data(substituted.utf8), trusting: network.trust())
        #expect(check.signedIDs.contains("body-1"))
        #expect(!check.bodyIsSigned)
    }

    @Test("an envelope with two soap:Body elements is refused")
    func twoBodiesAreRefused() throws {
        let network = try TestNetwork()
        let signed = try MessageSignature.sign(
            SampleEnvelope.make(body: "x"), ids: ["body-1"], with: network.key("AP-BE"))
        let doubled = signed.replacingFirst("</soap:Envelope>", with: "<soap:Body>y</soap:Body></soap:Envelope>")
        let error = sedgateError { _ = try MessageSignature.verify(doubled, trusting: network.trust()) }
        #expect(error?.code == .protocolViolation)
    }
}
