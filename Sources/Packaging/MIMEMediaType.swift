// MIMEMediaType: a parsed Content-Type value: type, subtype and parameters (quoted strings unescaped).
// Reads the value an HTTP peer sent; refuses what is not `type/subtype *(; name=value)`.

public import SedgateCore

/// A media type such as `multipart/related; type="application/xop+xml"; boundary=abc`.
public struct MIMEMediaType: Sendable, Hashable {
    /// The type, lowercased (`multipart`).
    public var type: String
    /// The subtype, lowercased (`related`).
    public var subtype: String
    /// The parameters by lowercased name, values as given (quotes removed, escapes resolved).
    public var parameters: [String: String]

    /// `type/subtype`, lowercased.
    public var essence: String { "\(type)/\(subtype)" }

    /// Parses a Content-Type value; `.protocolViolation` naming the problem when it is not one.
    public init(parsing text: String) throws(SedgateError) {
        var scanner = Scanner(Array(text.utf8))
        scanner.skipSpaces()
        let type = scanner.token()
        guard !type.isEmpty, scanner.take(0x2F) else {
            throw Self.error(text, "it does not start with type/subtype")
        }
        let subtype = scanner.token()
        guard !subtype.isEmpty else { throw Self.error(text, "the subtype is missing") }
        var parameters: [String: String] = [:]
        while true {
            scanner.skipSpaces()
            if scanner.atEnd { break }
            guard scanner.take(0x3B) else { throw Self.error(text, "a ';' was expected after \(type)/\(subtype)") }
            scanner.skipSpaces()
            if scanner.atEnd { break }
            let name = scanner.token().lowercased()
            scanner.skipSpaces()
            guard !name.isEmpty, scanner.take(0x3D) else {
                throw Self.error(text, "a parameter is not name=value")
            }
            scanner.skipSpaces()
            let value: String
            if scanner.peek == 0x22 {
                guard let quoted = scanner.quotedString() else {
                    throw Self.error(text, "the quoted value of parameter \(name) is not closed")
                }
                value = quoted
            } else {
                value = scanner.token()
                guard !value.isEmpty else { throw Self.error(text, "parameter \(name) has no value") }
            }
            guard parameters[name] == nil else { throw Self.error(text, "parameter \(name) is given twice") }
            parameters[name] = value
        }
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters
    }

    private static func error(_ text: String, _ problem: String) -> SedgateError {
        SedgateError(
            .protocolViolation,
            "the Content-Type '\(text.prefix(200))' is malformed: \(problem); send type/subtype; name=value")
    }

    /// A cursor over the bytes of a header value.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[index] }

        mutating func skipSpaces() {
            while let byte = peek, byte == 0x20 || byte == 0x09 { index += 1 }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            guard peek == byte else { return false }
            index += 1
            return true
        }

        /// A run of token characters (RFC 2045: no spaces, controls or tspecials).
        mutating func token() -> String {
            let start = index
            while let byte = peek, byte > 0x20, byte < 0x7F, !Array("()<>@,;:\\\"/[]?=".utf8).contains(byte) {
                index += 1
            }
            return String(decoding: bytes[start..<index], as: UTF8.self)
        }

        /// A quoted string starting at `"`, unescaped; nil when it is not closed.
        mutating func quotedString() -> String? {
            index += 1
            var value: [UInt8] = []
            while let byte = peek {
                index += 1
                switch byte {
                case 0x22: return String(decoding: value, as: UTF8.self)
                case 0x5C:
                    guard let escaped = peek else { return nil }
                    value.append(escaped)
                    index += 1
                default: value.append(byte)
                }
            }
            return nil
        }
    }
}
