// ECDSASignatureTests: a node with an EC P-256 key signs with ECDSA-SHA256; verifiers refuse that method unless they
// accept it (the network's default is RSA-SHA256 only), and then check it as strictly as RSA signatures.

import Foundation
import SedgateCore
import SedgateTesting
import Testing
import WSSecurity

@Suite("ECDSA P-256 message signatures")
struct ECDSASignatureTests {
    /// A network whose AP-EC node has an EC P-256 key, and an envelope it signed over the Body and the MessageID.
    private static func signedByEC() throws -> (network: TestNetwork, signed: Data) {
        let network = try TestNetwork()
        try PKI.generateEC(in: network.directory.path, node: "AP-EC")
        let key = try network.key("AP-EC")
        #expect(key.signatureAlgorithm == .ecdsaSHA256)
        let envelope = SampleEnvelope.make(body: "<payload>data</payload>")
        return (network, try MessageSignature.sign(envelope, ids: ["body-1", "header-1"], with: key))
    }

    @Test("an EC key signs with ECDSA-SHA256; a verifier accepting it names the signer, and so does xmlsec1")
    func ecdsaSignatureVerifiesWhereAccepted() async throws {
        let (network, signed) = try Self.signedByEC()
        #expect(String(decoding: signed, as: UTF8.self).contains(SignatureAlgorithm.ecdsaSHA256.rawValue))
        let check = try MessageSignature.verify(
            signed, trusting: network.trust(), accepting: [.rsaSHA256, .ecdsaSHA256])
        #expect(check.signer == "AP-EC")
        #expect(check.signedIDs == ["body-1", "header-1"])
        let file = try network.write(signed, to: "signed-ec.xml")
        let outcome = try await XMLSec1.verify(file, ca: network.path("ca.crt"))
        #expect(outcome.status == 0, "xmlsec1 --verify: \(outcome.output)")
    }

    @Test("a verifier that accepts only RSA-SHA256 (the default) refuses an ECDSA signature, naming the method")
    func ecdsaRefusedByDefault() throws {
        let (network, signed) = try Self.signedByEC()
        let error = sedgateError { _ = try MessageSignature.verify(signed, trusting: network.trust()) }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("ecdsa-sha256") == true)
    }

    @Test("an ECDSA-signed body altered after signing is refused")
    func alteredECDSABodyRefused() throws {
        let (network, signed) = try Self.signedByEC()
        let altered = signed.replacingFirst("<payload>data</payload>", with: "<payload>date</payload>")
        let error = sedgateError {
            _ = try MessageSignature.verify(altered, trusting: network.trust(), accepting: [.ecdsaSHA256])
        }
        #expect(error?.code == .signatureInvalid)
    }

    @Test("an RSA-keyed node still signs with RSA-SHA256")
    func rsaKeySignsRSA() throws {
        let network = try TestNetwork()
        #expect(try network.key("AP-BE").signatureAlgorithm == .rsaSHA256)
    }
}
