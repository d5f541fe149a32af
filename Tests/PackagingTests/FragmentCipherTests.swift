// FragmentCipherTests: AES-GCM sealing of fragments binds each to its key, payload and position.

import Foundation
import Packaging
import SedgateCore
import Testing

@Suite("Fragment cipher")
struct FragmentCipherTests {
    @Test("a sealed fragment opens with the same key, payload id and index, and adds only the 16-byte tag")
    func roundTrip() throws {
        let key = FragmentCipher.makeKey()
        let plain = TestBytes.random(5_000, seed: 3)
        let sealed = try FragmentCipher.seal(index: 7, plaintext: plain, key: key, payloadID: "p")
        #expect(sealed.count == plain.count + FragmentCipher.overhead)
        #expect(sealed.prefix(100) != plain.prefix(100))
        #expect(try FragmentCipher.open(index: 7, sealed: sealed, key: key, payloadID: "p") == plain)
        #expect(Array(FragmentCipher.nonce(index: 258)) == [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2])
    }

    @Test("a flipped bit, another index, another payload or another key fails, naming the fragment")
    func tampering() throws {
        let key = FragmentCipher.makeKey()
        var sealed = try FragmentCipher.seal(index: 3, plaintext: Data("secret".utf8), key: key, payloadID: "p")
        let attempts: [() throws -> Data] = [
            { try FragmentCipher.open(index: 4, sealed: sealed, key: key, payloadID: "p") },
            { try FragmentCipher.open(index: 3, sealed: sealed, key: key, payloadID: "q") },
            { try FragmentCipher.open(index: 3, sealed: sealed, key: FragmentCipher.makeKey(), payloadID: "p") },
            { try FragmentCipher.open(index: 3, sealed: sealed.prefix(5), key: key, payloadID: "p") },
        ]
        for attempt in attempts {
            let error = #expect(throws: SedgateError.self) { _ = try attempt() }
            #expect(error?.code == .protocolViolation)
        }
        sealed[0] ^= 0x80
        let error = #expect(throws: SedgateError.self) {
            try FragmentCipher.open(index: 3, sealed: sealed, key: key, payloadID: "p")
        }
        #expect(error?.message.contains("fragment 3 of payload p does not authenticate") == true)
    }
}
