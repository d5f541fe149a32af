// FragmentCipher: AES-256-GCM for fragments, with the nonce derived from the fragment index and the payload
// id and index authenticated, so a fragment cannot be altered, swapped or moved to another payload.

public import Crypto
public import Foundation
public import SedgateCore

/// Encrypts and decrypts fragments with AES-GCM under a key made fresh for each payload (`makeKey()`; the key
/// travels encrypted for the destination, which is the Security target's job).
///
/// The nonce is 4 zero bytes then the index as 8 big-endian bytes: unique for every fragment under one key,
/// which is all GCM needs, because no key is ever used for two payloads. The authenticated data is the payload
/// id's UTF-8 bytes then the index as 8 big-endian bytes. A sealed fragment is the ciphertext followed by the
/// 16-byte tag.
public enum FragmentCipher {
    /// The bytes sealing adds to a fragment (the GCM tag).
    public static let overhead = 16

    /// The 32 bytes of `key`, to keep it or to wrap it for the payload's receiver.
    public static func bytes(of key: SymmetricKey) -> Data {
        key.withUnsafeBytes { Data($0) }
    }

    /// A key from its 32 bytes.
    public static func key(_ bytes: Data) -> SymmetricKey {
        SymmetricKey(data: bytes)
    }

    /// A fresh 256-bit key for one payload.
    public static func makeKey() -> SymmetricKey {
        SymmetricKey(size: .bits256)
    }

    /// The nonce of fragment `index`.
    public static func nonce(index: Int) -> AES.GCM.Nonce {
        var bytes = [UInt8](repeating: 0, count: 4)
        withUnsafeBytes(of: UInt64(index).bigEndian) { bytes.append(contentsOf: $0) }
        // Twelve bytes is always a valid GCM nonce.
        return try! AES.GCM.Nonce(data: bytes)
    }

    /// Fragment `index` of payload `payloadID` encrypted and authenticated: ciphertext then tag.
    public static func seal(
        index: Int, plaintext: Data, key: SymmetricKey, payloadID: String
    ) throws(SedgateError)
        -> Data
    {
        do {
            let box = try AES.GCM.seal(
                plaintext, using: key, nonce: nonce(index: index),
                authenticating: authenticatedData(index: index, payloadID: payloadID))
            // `ciphertext` is a slice of a larger buffer; build fresh zero-based Data so callers may index it.
            var sealed = Data(capacity: box.ciphertext.count + overhead)
            sealed.append(box.ciphertext)
            sealed.append(box.tag)
            return sealed
        } catch {
            throw SedgateError(
                .io, "fragment \(index) of payload \(payloadID) could not be encrypted; check the payload key",
                cause: error)
        }
    }

    /// The plaintext of a sealed fragment; `.protocolViolation` when it does not authenticate.
    public static func open(
        index: Int, sealed: Data, key: SymmetricKey, payloadID: String
    ) throws(SedgateError)
        -> Data
    {
        let failure = SedgateError(
            .protocolViolation,
            "fragment \(index) of payload \(payloadID) does not authenticate with the payload key: it was altered, "
                + "or belongs to another payload or position. Ask the sender to send it again")
        guard sealed.count >= overhead else { throw failure }
        do {
            let split = sealed.startIndex + sealed.count - overhead
            let box = try AES.GCM.SealedBox(
                nonce: nonce(index: index), ciphertext: sealed[..<split], tag: sealed[split...])
            return try AES.GCM.open(
                box, using: key, authenticating: authenticatedData(index: index, payloadID: payloadID))
        } catch {
            throw failure
        }
    }

    private static func authenticatedData(index: Int, payloadID: String) -> Data {
        var data = Data(payloadID.utf8)
        withUnsafeBytes(of: UInt64(index).bigEndian) { data.append(contentsOf: $0) }
        return data
    }
}
