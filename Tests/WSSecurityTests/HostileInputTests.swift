// HostileInputTests: DTDs, entities and bytes that are not XML are refused by verify, decrypt and unwrapKey with a
// reason, never a crash.

import Foundation
import SedgateCore
import Testing
import WSSecurity

@Suite("Hostile input to verification and decryption")
struct HostileInputTests {
    /// A document with an internal DTD whose entity reads a local file.
    private static let entity = Data(
        """
        <?xml version="1.0"?>
        <!DOCTYPE soap:Envelope [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
        <soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope"><soap:Body>&secret;</soap:Body>\
        </soap:Envelope>
        """.utf8)

    /// Bytes that are not XML at all.
    private static let binary = Data([0x1F, 0x8B, 0x08, 0x00, 0xFF, 0x00, 0x3C, 0x3C, 0x3E])

    @Test("verify refuses a DOCTYPE with an entity as hostile, and non-XML bytes as malformed")
    func verify() throws {
        let network = try TestNetwork()
        let trust = try network.trust()
        #expect(sedgateError { _ = try MessageSignature.verify(Self.entity, trusting: trust) }?.code == .hostileInput)
        #expect(sedgateError { _ = try MessageSignature.verify(Self.binary, trusting: trust) }?.code == .malformedXML)
        #expect(sedgateError { _ = try MessageSignature.verify(Data(), trusting: trust) }?.code == .malformedXML)
    }

    @Test("decrypt and unwrapKey refuse a DOCTYPE with an entity as hostile, and non-XML bytes as malformed")
    func decrypt() throws {
        let network = try TestNetwork()
        let key = try network.key("AP-DK")
        let encryptedEntity = Data(
            """
            <!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>
            <xenc:EncryptedData xmlns:xenc="http://www.w3.org/2001/04/xmlenc#">&b;</xenc:EncryptedData>
            """.utf8)
        #expect(sedgateError { _ = try BodyEncryption.decrypt(encryptedEntity, with: key) }?.code == .hostileInput)
        #expect(sedgateError { _ = try BodyEncryption.decrypt(Self.binary, with: key) }?.code == .malformedXML)
        #expect(sedgateError { _ = try BodyEncryption.unwrapKey(Self.entity, with: key) }?.code == .hostileInput)
        #expect(sedgateError { _ = try BodyEncryption.unwrapKey(Self.binary, with: key) }?.code == .malformedXML)
    }

    @Test("decrypt refuses a document that is not an EncryptedData")
    func notEncryptedData() throws {
        let network = try TestNetwork()
        let error = sedgateError {
            _ = try BodyEncryption.decrypt(Data("<a>plain</a>".utf8), with: network.key("AP-DK"))
        }
        #expect(error?.code == .protocolViolation)
    }
}
