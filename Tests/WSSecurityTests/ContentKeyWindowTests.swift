// ContentKeyWindowTests: content keys reused over a window of payloads at the sender (by count and by age, on a
// manual clock) and unwrapped once per window at the destination; every payload still opens on its own, in sedgate
// with or without the cache and in xmlsec1, and an altered EncryptedKey is refused, never answered from the cache.

import Foundation
import SedgateCore
import SedgateTesting
import Testing
import WSSecurity

@Suite("Content keys reused over windows")
struct ContentKeyWindowTests {
    private static let plaintext = Data("<SED>Zahlung für Jürgen – 支払い</SED>".utf8)

    /// The text of the xenc:EncryptedKey inside an EncryptedData.
    private static func encryptedKey(_ encrypted: Data) throws -> String {
        let text = String(decoding: encrypted, as: UTF8.self)
        let start = try #require(text.range(of: "<xenc:EncryptedKey"))
        let end = try #require(text.range(of: "</xenc:EncryptedKey>"))
        return String(text[start.lowerBound..<end.upperBound])
    }

    @Test("the payloads of a window share one EncryptedKey, each with its own nonce, and one RSA-OAEP encryption")
    func windowReusesTheKey() throws {
        let network = try TestNetwork()
        let windows = ContentKeyWindows()
        let recipient = try network.certificate("AP-DK")
        let encrypted = try (0..<4).map { _ in
            try BodyEncryption.encrypt(Self.plaintext, id: "ed", for: recipient, reusing: windows)
        }
        #expect(windows.keysMade == 1)
        #expect(Set(try encrypted.map(Self.encryptedKey)).count == 1, "one EncryptedKey for the window")
        #expect(Set(encrypted).count == 4, "a fresh nonce per payload: the same plaintext never encrypts the same")
        let key = try network.key("AP-DK")
        for payload in encrypted { #expect(try BodyEncryption.decrypt(payload, with: key) == Self.plaintext) }
    }

    @Test("a window ends after its count of payloads: 7 payloads, 3 a window, make 3 keys")
    func rotationByCount() throws {
        let network = try TestNetwork()
        let windows = ContentKeyWindows(policy: .init(uses: 3))
        let recipient = try network.certificate("AP-DK")
        let keys = try (0..<7).map { _ in
            try Self.encryptedKey(BodyEncryption.encrypt(Self.plaintext, id: "ed", for: recipient, reusing: windows))
        }
        #expect(windows.keysMade == 3)
        #expect(Set(keys[0..<3]).count == 1 && Set(keys[3..<6]).count == 1)
        #expect(Set([keys[0], keys[3], keys[6]]).count == 3)
    }

    @Test("a window ends at its age, on the clock it is given")
    func rotationByAge() throws {
        let network = try TestNetwork()
        let clock = ManualClock()
        let windows = ContentKeyWindows(policy: .init(uses: 100, age: .seconds(300)), now: clock.instant)
        let recipient = try network.certificate("AP-DK")
        func next() throws -> String {
            try Self.encryptedKey(BodyEncryption.encrypt(Self.plaintext, id: "ed", for: recipient, reusing: windows))
        }
        let first = try next()
        clock.advance(by: .seconds(299))
        #expect(try next() == first, "still inside the window")
        clock.advance(by: .seconds(1))
        let second = try next()
        #expect(second != first, "5 minutes after it opened, the window ended")
        #expect(try next() == second)
        #expect(windows.keysMade == 2)
    }

    @Test("each recipient has its own window, and ending all windows makes new keys")
    func windowsGoByRecipient() throws {
        let network = try TestNetwork()
        let windows = ContentKeyWindows()
        let (denmark, belgium) = (try network.certificate("AP-DK"), try network.certificate("AP-BE"))
        let forDenmark = try BodyEncryption.encrypt(Self.plaintext, id: "ed", for: denmark, reusing: windows)
        let forBelgium = try BodyEncryption.encrypt(Self.plaintext, id: "ed", for: belgium, reusing: windows)
        #expect(try Self.encryptedKey(forDenmark) != Self.encryptedKey(forBelgium))
        #expect(try BodyEncryption.decrypt(forBelgium, with: network.key("AP-BE")) == Self.plaintext)
        let misdirected = sedgateError { _ = try BodyEncryption.decrypt(forBelgium, with: network.key("AP-DK")) }
        #expect(misdirected?.code == .decryptionFailed)
        windows.endAll()
        let again = try BodyEncryption.encrypt(Self.plaintext, id: "ed", for: denmark, reusing: windows)
        #expect(try Self.encryptedKey(again) != Self.encryptedKey(forDenmark))
        #expect(windows.keysMade == 3)
    }

    @Test("the destination opens a window's payloads with one RSA-OAEP decryption, the same bytes as without a cache")
    func cacheOpensTheSameBytes() throws {
        let network = try TestNetwork()
        let windows = ContentKeyWindows()
        let recipient = try network.certificate("AP-DK")
        let payloads = (0..<5).map { Data("payload \($0) ".utf8) + Self.plaintext }
        let encrypted = try payloads.map { try BodyEncryption.encrypt($0, id: "ed", for: recipient, reusing: windows) }
        let cached = try network.key("AP-DK")
        var uncached = try network.key("AP-DK")
        uncached.unwrappedKeys = nil
        for (payload, sealed) in zip(payloads, encrypted) {
            #expect(try BodyEncryption.decrypt(sealed, with: cached) == payload)
            #expect(try BodyEncryption.decrypt(sealed, with: uncached) == payload)
        }
        #expect(cached.unwrappedKeys?.keysUnwrapped == 1)
    }

    @Test("an altered EncryptedKey is refused even once its window's key is cached, and is never cached")
    func tamperedEncryptedKeyIsRefused() throws {
        let network = try TestNetwork()
        let windows = ContentKeyWindows()
        let recipient = try network.certificate("AP-DK")
        let first = try BodyEncryption.encrypt(Self.plaintext, id: "ed", for: recipient, reusing: windows)
        let second = try BodyEncryption.encrypt(Self.plaintext, id: "ed", for: recipient, reusing: windows)
        let key = try network.key("AP-DK")
        #expect(try BodyEncryption.decrypt(first, with: key) == Self.plaintext)
        let range = try #require(second.range(between: "<xenc:CipherValue>", and: "<"))
        let altered = second.flippingBase64Character(in: range)
        for _ in 0..<2 {
            let error = sedgateError { _ = try BodyEncryption.decrypt(altered, with: key) }
            #expect(error?.code == .decryptionFailed)
            #expect(error?.message.contains("cannot be decrypted with the private key of AP-DK") == true)
        }
        #expect(key.unwrappedKeys?.keysUnwrapped == 1, "each try decrypted anew, and failed; nothing was cached")
        #expect(try BodyEncryption.decrypt(second, with: key) == Self.plaintext)
    }

    @Test("the cache is bounded: the oldest key is forgotten and unwrapped again when it comes back")
    func cacheIsBounded() throws {
        let network = try TestNetwork()
        let windows = ContentKeyWindows(policy: .init(uses: 1))
        let recipient = try network.certificate("AP-DK")
        let encrypted = try (0..<3).map { _ in
            try BodyEncryption.encrypt(Self.plaintext, id: "ed", for: recipient, reusing: windows)
        }
        var key = try network.key("AP-DK")
        key.unwrappedKeys = UnwrappedKeyCache(capacity: 2)
        for payload in encrypted + [encrypted[2], encrypted[0]] {
            #expect(try BodyEncryption.decrypt(payload, with: key) == Self.plaintext)
        }
        #expect(key.unwrappedKeys?.keysUnwrapped == 4, "three keys, the first one twice")
    }

    @Test("xmlsec1 --decrypt opens each payload of a window on its own")
    func xmlsec1OpensEachPayload() async throws {
        let network = try TestNetwork()
        let windows = ContentKeyWindows()
        let recipient = try network.certificate("AP-DK")
        for index in 0..<2 {
            let payload = Data("payload \(index) ".utf8) + Self.plaintext
            let encrypted = try BodyEncryption.encrypt(payload, id: "ed", for: recipient, reusing: windows)
            let file = try network.write(encrypted, to: "encrypted-\(index).xml")
            let output = network.path("decrypted-\(index).bin")
            let outcome = try await XMLSec1.run([
                "--decrypt", "--privkey-pem", "\(network.path("AP-DK.key")),\(network.path("AP-DK.crt"))",
                "--output", output, file,
            ])
            #expect(outcome.status == 0, "xmlsec1 --decrypt: \(outcome.output)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: output)) == payload)
        }
        #expect(windows.keysMade == 1)
    }
}
