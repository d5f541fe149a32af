// Digest+Hex: SHA-256 digests as lowercase hex, the form manifests carry.

import Crypto
import Foundation

extension SHA256.Digest {
    /// The digest as 64 lowercase hex digits.
    var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in self {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}

extension SHA256 {
    /// The SHA-256 of `data` as lowercase hex.
    static func hex(_ data: Data) -> String {
        hash(data: data).hex
    }
}
