// BodyEncryptionTests: payloads encrypted for the destination decrypt there (in sedgate and in xmlsec1), byte for
// byte; other access points and altered ciphertexts are refused.

import Documents
import Foundation
import SedgateCore
import SedgateTesting
import Testing
import WSSecurity

@Suite("XML Encryption of payloads")
struct BodyEncryptionTests {
    /// Text with non-ASCII UTF-8 followed by every byte value.
    private static let plaintext: Data = {
        var bytes = Data("Zahlung für Jürgen Müller – Ærø – Łódź – 支払い ✓\n".utf8)
        bytes.append(contentsOf: (0...255).map { UInt8($0) })
        bytes.append(contentsOf: [0xFF, 0xFE, 0x00, 0x00, 0xC3])
        return bytes
    }()

    @Test("xmlsec1 --decrypt with the recipient's key recovers the plaintext byte for byte, and so does decrypt")
    func xmlsec1Decrypts() async throws {
        let network = try TestNetwork()
        let encrypted = try BodyEncryption.encrypt(Self.plaintext, id: "payload-1", for: network.certificate("AP-DK"))
        let file = try network.write(encrypted, to: "encrypted.xml")
        let output = network.path("decrypted.bin")
        let outcome = try await XMLSec1.run([
            "--decrypt", "--privkey-pem", "\(network.path("AP-DK.key")),\(network.path("AP-DK.crt"))",
            "--output", output, file,
        ])
        #expect(outcome.status == 0, "xmlsec1 --decrypt: \(outcome.output)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == Self.plaintext)
        #expect(try BodyEncryption.decrypt(encrypted, with: network.key("AP-DK")) == Self.plaintext)
    }

    @Test("the result is one standalone EncryptedData: AES-256-GCM, RSA-OAEP, X509Data, unbroken base64")
    func shape() throws {
        let network = try TestNetwork()
        let encrypted = try BodyEncryption.encrypt(Self.plaintext, id: "payload-1", for: network.certificate("AP-DK"))
        let text = String(decoding: encrypted, as: UTF8.self)
        #expect(text.hasPrefix("<xenc:EncryptedData xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\""))
        #expect(!text.contains("<?xml"))
        #expect(!text.contains("\n"), "base64 must be unbroken")

        let root = try XMLTree.parse(Array(encrypted), source: "encrypted").root
        let xenc = "http://www.w3.org/2001/04/xmlenc#"
        let ds = "http://www.w3.org/2000/09/xmldsig#"
        #expect(root.attribute("Id") == "payload-1")
        #expect(root.attribute("MimeType") == "application/octet-stream")
        #expect(
            root.firstChild("EncryptionMethod", namespace: xenc)?.attribute("Algorithm")
                == "http://www.w3.org/2009/xmlenc11#aes256-gcm")
        let encryptedKey = try #require(
            root.firstChild("KeyInfo", namespace: ds)?.firstChild("EncryptedKey", namespace: xenc))
        #expect(
            encryptedKey.firstChild("EncryptionMethod", namespace: xenc)?.attribute("Algorithm")
                == "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p")
        let certificate = encryptedKey.firstChild("KeyInfo", namespace: ds)?.firstChild("X509Data", namespace: ds)?
            .firstChild("X509Certificate", namespace: ds)?.text
        #expect(certificate.flatMap { Data(base64Encoded: $0) } == (try network.key("AP-DK").certificateDER))
    }

    @Test("every encryption uses a fresh key: the same plaintext twice gives different ciphertexts")
    func freshKeys() throws {
        let network = try TestNetwork()
        let recipient = try network.certificate("AP-DK")
        let first = try BodyEncryption.encrypt(Self.plaintext, id: "p", for: recipient)
        let second = try BodyEncryption.encrypt(Self.plaintext, id: "p", for: recipient)
        #expect(first != second)
        #expect(try BodyEncryption.decrypt(first, with: network.key("AP-DK")) == Self.plaintext)
        #expect(try BodyEncryption.decrypt(second, with: network.key("AP-DK")) == Self.plaintext)
    }

    @Test("an empty payload round trips")
    func emptyPayload() throws {
        let network = try TestNetwork()
        let encrypted = try BodyEncryption.encrypt(Data(), id: "empty", for: network.certificate("AP-DK"))
        #expect(try BodyEncryption.decrypt(encrypted, with: network.key("AP-DK")) == Data())
    }

    @Test("AP-BE cannot decrypt what was encrypted for AP-DK: refused as encrypted for another access point")
    func otherRecipientIsRefused() throws {
        let network = try TestNetwork()
        let encrypted = try BodyEncryption.encrypt(Self.plaintext, id: "payload-1", for: network.certificate("AP-DK"))
        let error = sedgateError { _ = try BodyEncryption.decrypt(encrypted, with: network.key("AP-BE")) }
        #expect(error?.code == .decryptionFailed)
        #expect(error?.message.contains("encrypted for another access point (AP-DK)") == true)
    }

    @Test("AP-BE's key cannot decrypt even when the recipient's certificate is not named")
    func otherRecipientWithoutX509DataIsRefused() throws {
        let network = try TestNetwork()
        let encrypted = try BodyEncryption.encrypt(Self.plaintext, id: "payload-1", for: network.certificate("AP-DK"))
        let text = String(decoding: encrypted, as: UTF8.self)
        let start = try #require(text.range(of: "<ds:KeyInfo><ds:X509Data>"))
        let end = try #require(text.range(of: "</ds:X509Data></ds:KeyInfo>"))
        let anonymous = Data(text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: "").utf8)
        let error = sedgateError { _ = try BodyEncryption.decrypt(anonymous, with: network.key("AP-BE")) }
        #expect(error?.code == .decryptionFailed)
        #expect(error?.message.contains("cannot be decrypted with the private key of AP-BE") == true)
        #expect(try BodyEncryption.decrypt(anonymous, with: network.key("AP-DK")) == Self.plaintext)
    }

    @Test("one altered ciphertext byte fails AES-GCM authentication and is refused")
    func alteredCiphertextIsRefused() throws {
        let network = try TestNetwork()
        let encrypted = try BodyEncryption.encrypt(Self.plaintext, id: "payload-1", for: network.certificate("AP-DK"))
        let range = try #require(
            encrypted.range(between: "<xenc:CipherValue>", and: "<", after: "</xenc:EncryptedKey>"))
        let altered = encrypted.flippingBase64Character(in: range)
        let error = sedgateError { _ = try BodyEncryption.decrypt(altered, with: network.key("AP-DK")) }
        #expect(error?.code == .decryptionFailed)
        #expect(error?.message.contains("AES-256-GCM authentication") == true, "\(String(describing: error))")
    }

    @Test("an id that is not a plain XML id is refused")
    func badIDIsRefused() throws {
        let network = try TestNetwork()
        let error = sedgateError {
            _ = try BodyEncryption.encrypt(Data("x".utf8), id: "a\"b", for: network.certificate("AP-DK"))
        }
        #expect(error?.code == .protocolViolation)
    }

    @Test("cipher data by reference is refused instead of fetched")
    func cipherReferenceIsRefused() throws {
        let network = try TestNetwork()
        let encrypted = try BodyEncryption.encrypt(Self.plaintext, id: "payload-1", for: network.certificate("AP-DK"))
        let text = String(decoding: encrypted, as: UTF8.self)
        let start = try #require(text.range(of: "<xenc:CipherData><xenc:CipherValue>", options: .backwards))
        let end = try #require(text.range(of: "</xenc:CipherData>", options: .backwards))
        let referenced = text.replacingCharacters(
            in: start.lowerBound..<end.upperBound,
            with: "<xenc:CipherData><xenc:CipherReference URI=\"file:///etc/passwd\"/></xenc:CipherData>")
        let error = sedgateError { _ = try BodyEncryption.decrypt(Data(referenced.utf8), with: network.key("AP-DK")) }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("CipherReference") == true)
    }
}
