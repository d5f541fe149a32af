// KeyWrapTests: an AES-256 key wrapped for a recipient unwraps there, and nowhere else.

import Foundation
import SedgateCore
import Testing
import WSSecurity

@Suite("AES key transport for fragments")
struct KeyWrapTests {
    private static let key = Data((0..<32).map { UInt8($0 * 7 % 256) })

    @Test("a wrapped key unwraps to the same 32 bytes with the recipient's key")
    func roundTrip() throws {
        let network = try TestNetwork()
        let wrapped = try BodyEncryption.wrapKey(Self.key, id: "key-1", for: network.certificate("AP-DK"))
        let text = String(decoding: wrapped, as: UTF8.self)
        #expect(text.hasPrefix("<xenc:EncryptedKey xmlns:xenc=\"http://www.w3.org/2001/04/xmlenc#\""))
        #expect(text.contains("Id=\"key-1\""))
        #expect(text.contains("http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p"))
        #expect(!text.contains("\n"))
        #expect(try BodyEncryption.unwrapKey(wrapped, with: network.key("AP-DK")) == Self.key)
    }

    @Test("unwrapping with another access point's key is refused")
    func wrongKeyIsRefused() throws {
        let network = try TestNetwork()
        let wrapped = try BodyEncryption.wrapKey(Self.key, id: "key-1", for: network.certificate("AP-DK"))
        let error = sedgateError { _ = try BodyEncryption.unwrapKey(wrapped, with: network.key("AP-BE")) }
        #expect(error?.code == .decryptionFailed)
        #expect(error?.message.contains("another access point (AP-DK)") == true)
    }

    @Test("an altered wrapped key is refused")
    func alteredIsRefused() throws {
        let network = try TestNetwork()
        let wrapped = try BodyEncryption.wrapKey(Self.key, id: "key-1", for: network.certificate("AP-DK"))
        let range = try #require(wrapped.range(between: "<xenc:CipherValue>", and: "<"))
        let error = sedgateError {
            _ = try BodyEncryption.unwrapKey(wrapped.flippingBase64Character(in: range), with: network.key("AP-DK"))
        }
        #expect(error?.code == .decryptionFailed)
    }

    @Test("only 32-byte keys are wrapped")
    func wrongSizeIsRefused() throws {
        let network = try TestNetwork()
        let error = sedgateError {
            _ = try BodyEncryption.wrapKey(Data(count: 16), id: "key-1", for: network.certificate("AP-DK"))
        }
        #expect(error?.code == .protocolViolation)
    }
}
