// Identifiers: SED ids, node ids and institution addresses, validated at construction; random ids.

/// The globally unique identity of one SED: a lowercase UUID, fixed before anything irreversible happens.
public struct SEDID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    /// The canonical text form (lowercase UUID, 36 characters).
    public let rawValue: String

    /// Accepts a UUID in any case; returns nil for anything else.
    public init?(_ text: String) {
        let lower = text.lowercased()
        guard lower.utf8.count == 36 else { return nil }
        for (index, byte) in lower.utf8.enumerated() {
            switch index {
            case 8, 13, 18, 23: guard byte == UInt8(ascii: "-") else { return nil }
            default:
                guard (byte >= 0x30 && byte <= 0x39) || (byte >= 0x61 && byte <= 0x66) else { return nil }
            }
        }
        rawValue = lower
    }

    /// A fresh random (version 4) SED id.
    public static func random() -> SEDID {
        SEDID(uncheckedLowercase: RandomID.uuid())
    }

    /// `text` as it is: only for a lowercase UUID made here.
    private init(uncheckedLowercase text: String) {
        rawValue = text
    }

    public var description: String { rawValue }
    public static func < (lhs: SEDID, rhs: SEDID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = SEDID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a UUID"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The name of a node (an access point or the coordination node), e.g. `AP-BE` or `CN`.
/// Letters, digits, `-`, `_`, `.`; 1 to 32 characters; safe in file names and URLs.
public struct NodeID: Hashable, Sendable, Comparable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Returns nil unless `text` is 1-32 characters of `[A-Za-z0-9._-]` and not `.` or `..`.
    public init?(_ text: String) {
        guard (1...32).contains(text.utf8.count), text != ".", text != ".." else { return nil }
        for byte in text.utf8 {
            let ok =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
            guard ok else { return nil }
        }
        rawValue = text
    }

    public var description: String { rawValue }
    public static func < (lhs: NodeID, rhs: NodeID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let id = NodeID(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a node id"))
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// An institution address: `CC:INSTITUTION[:OFFICE[:EXTRA]]`.
///
/// `CC` is an ISO 3166 alpha-2 country code (with `UK` for the United Kingdom, as EESSI uses);
/// the institution id is 1-10 characters of `[A-Z0-9]`; office and extra are 1-10 of `[A-Z0-9_-]`.
public struct Address: Hashable, Sendable, CustomStringConvertible, Codable {
    public let country: String
    public let institution: String
    public let office: String?
    public let extra: String?

    /// Parses `CC:INSTITUTION[:OFFICE[:EXTRA]]`; nil if any part is out of shape.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard (2...4).contains(parts.count) else { return nil }
        func isUpperAlnum(_ s: String, max: Int, extra: Set<UInt8> = []) -> Bool {
            (1...max).contains(s.utf8.count)
                && s.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || extra.contains($0) }
        }
        let cc = parts[0]
        guard cc.utf8.count == 2, cc.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return nil }
        guard isUpperAlnum(parts[1], max: 10) else { return nil }
        let separators: Set<UInt8> = [UInt8(ascii: "-"), UInt8(ascii: "_")]
        if parts.count > 2 { guard isUpperAlnum(parts[2], max: 10, extra: separators) else { return nil } }
        if parts.count > 3 { guard isUpperAlnum(parts[3], max: 10, extra: separators) else { return nil } }
        country = cc
        institution = parts[1]
        office = parts.count > 2 ? parts[2] : nil
        extra = parts.count > 3 ? parts[3] : nil
    }

    public var description: String {
        [country, institution, office, extra].compactMap { $0 }.joined(separator: ":")
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = Address(text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath, debugDescription: "'\(text)' is not CC:INSTITUTION[:OFFICE[:EXTRA]]"
                ))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Random identifiers: version 4 UUIDs as lowercase text, from the standard library's generator (`getrandom`);
/// Foundation's `UUID()` opens, reads and closes /dev/urandom for every one, three system calls per SED and ticket.
public enum RandomID {
    /// A fresh random (version 4) UUID, lowercase, 36 characters.
    public static func uuid() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (generator.next(), generator.next())
        return withUnsafeBytes(of: bytes) { raw in
            let digits: StaticString = "0123456789abcdef"
            return String(unsafeUninitializedCapacity: 36) { out in
                var position = 0
                for index in 0..<16 {
                    var byte = raw[index]
                    if index == 6 { byte = (byte & 0x0F) | 0x40 }  // version 4
                    if index == 8 { byte = (byte & 0x3F) | 0x80 }  // the RFC 4122 variant
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    digits.withUTF8Buffer { hex in
                        out[position] = hex[Int(byte >> 4)]
                        out[position + 1] = hex[Int(byte & 0x0F)]
                    }
                    position += 2
                }
                return position
            }
        }
    }
}
