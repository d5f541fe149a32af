// ContentID: checks Content-ID values before they are written and converts them to and from `cid:` URLs.

import SedgateCore

/// Content-ID rules shared by the writer, the reader and XOP.
enum ContentID {
    /// Checks an id (without angle brackets) before writing: 1-250 characters from RFC 5322 `atext`, `.`, `@`.
    static func check(_ id: String, part: String) throws(SedgateError) {
        let allowed = Array("!#$%&'*+-/=?^_`{|}~.@".utf8)
        let valid =
            !id.isEmpty && id.utf8.count <= 250
            && id.utf8.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || allowed.contains(byte)
            }
        guard valid else {
            throw SedgateError(
                .protocolViolation,
                "\(part): '\(id.prefix(80))' is not a usable Content-ID; use 1 to 250 letters, digits and "
                    + "'.-_@' (for example 'part1.4f2a@sedgate'), without angle brackets")
        }
    }

    /// The id of a received Content-ID header value: angle brackets and white space removed.
    static func fromHeader(_ value: String) -> String {
        var text = value.trimmingSpaces
        if text.hasPrefix("<") && text.hasSuffix(">") && text.count >= 2 {
            text = String(text.dropFirst().dropLast()).trimmingSpaces
        }
        return text
    }

    /// The `cid:` URL of an id (RFC 2392): bytes other than letters, digits and `-._~@` percent-encoded.
    static func url(_ id: String) -> String {
        var url = "cid:"
        for byte in id.utf8 {
            let plain =
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                || Array("-._~@".utf8).contains(byte)
            url += plain ? String(UnicodeScalar(byte)) : percentEncoded(byte)
        }
        return url
    }

    /// The id a `cid:` URL names, percent-decoded; nil when it is not a `cid:` URL or is badly encoded.
    static func fromURL(_ url: String) -> String? {
        let trimmed = url.trimmingSpaces
        guard trimmed.lowercased().hasPrefix("cid:") else { return nil }
        let encoded = Array(trimmed.utf8.dropFirst(4))
        var bytes: [UInt8] = []
        var index = 0
        while index < encoded.count {
            if encoded[index] == 0x25 {
                guard index + 2 < encoded.count,
                    let value = UInt8(String(decoding: encoded[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
                index += 3
            } else {
                bytes.append(encoded[index])
                index += 1
            }
        }
        let id = String(decoding: bytes, as: UTF8.self)
        return id.isEmpty ? nil : id
    }

    private static func percentEncoded(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "%" + (hex.count == 1 ? "0" + hex : hex)
    }
}
