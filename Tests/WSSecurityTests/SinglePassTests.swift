// SinglePassTests: verifying and reading, and decrypting a body, each parse the envelope once; the results are those
// of the separate steps.

import Documents
import Foundation
import SedgateCore
import SedgateTesting
import Testing
import WSSecurity

@Suite("Single-parse verification and decryption")
struct SinglePassTests {
    /// An envelope whose Body holds an EncryptedData of `payload` for AP-DK, signed by AP-BE.
    private static func signed(_ network: TestNetwork, payload: String = "payload") throws -> Data {
        let encrypted = try BodyEncryption.encrypt(
            Data(payload.utf8), id: "payload-1", for: network.certificate("AP-DK"))
        let envelope = SampleEnvelope.make(body: String(decoding: encrypted, as: UTF8.self))
        return try MessageSignature.sign(envelope, ids: ["body-1", "header-1"], with: network.key("AP-BE"))
    }

    @Test("verifyAndRead gives verify's check and the envelope to read")
    func verifyAndReadGivesTheTree() throws {
        let network = try TestNetwork()
        let signed = try Self.signed(network)
        let (check, tree) = try MessageSignature.verifyAndRead(signed, trusting: network.trust(), source: "test")
        #expect(check == (try MessageSignature.verify(signed, trusting: network.trust())))
        #expect(tree.root.localName == "Envelope")
        let messageID = tree.root.firstChild("Header", namespace: SampleEnvelope.soap)?
            .firstChild("MessageID", namespace: SampleEnvelope.addressing)?.text
        #expect(messageID == "urn:uuid:6f1c2a3e-8b7d-4c59-9e21-0a4b3c2d1e0f")
    }

    @Test("verifyAndRead refuses what verify refuses")
    func verifyAndReadRefusesAlteredBodies() throws {
        let network = try TestNetwork()
        let signed = try Self.signed(network)
        let range = try #require(signed.range(between: "<xenc:CipherValue>", and: "</xenc:CipherValue>"))
        let error = sedgateError {
            _ = try MessageSignature.verifyAndRead(
                signed.flippingBase64Character(in: range), trusting: network.trust(), source: "test")
        }
        #expect(error?.code == .signatureInvalid)
    }

    @Test("decrypt(bodyOf:) opens the Body's EncryptedData of a whole envelope; nil when the Body has none")
    func decryptBodyOfEnvelope() throws {
        let network = try TestNetwork()
        let key = try network.key("AP-DK")
        #expect(
            try BodyEncryption.decrypt(bodyOf: Self.signed(network, payload: "hello"), with: key) == Data("hello".utf8))
        #expect(try BodyEncryption.decrypt(bodyOf: SampleEnvelope.make(body: "<plain/>"), with: key) == nil)
        let error = sedgateError {
            _ = try BodyEncryption.decrypt(bodyOf: Self.signed(network), with: network.key("AP-BE"))
        }
        #expect(error?.code == .decryptionFailed)
    }
}
