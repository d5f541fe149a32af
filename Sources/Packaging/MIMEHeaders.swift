// MIMEHeaders: the header fields of one MIME part, in order, looked up without regard to case.
// Parses a part's header block (CRLF lines, folded continuation lines) and checks fields before writing.

import SedgateCore

/// The header fields of a MIME part, in the order they appear. Names compare case-insensitively.
public struct MIMEHeaders: Sendable, Hashable, Sequence {
    /// One header field.
    public struct Field: Sendable, Hashable {
        /// The field name as written, e.g. `Content-Type`.
        public var name: String
        /// The field value with surrounding white space removed and folded lines joined.
        public var value: String

        /// Makes a field.
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    /// The fields in order.
    public private(set) var fields: [Field]

    /// Makes headers from fields.
    public init(_ fields: [Field] = []) {
        self.fields = fields
    }

    /// Makes headers from `(name, value)` pairs, e.g. `["Content-Encoding": "gzip"]` order kept.
    public init(_ pairs: KeyValuePairs<String, String>) {
        self.fields = pairs.map { Field(name: $0.key, value: $0.value) }
    }

    /// The value of the first field called `name` (any case), or nil.
    public subscript(name: String) -> String? {
        let wanted = name.lowercased()
        return fields.first { $0.name.lowercased() == wanted }?.value
    }

    /// Adds a field at the end.
    public mutating func append(name: String, value: String) {
        fields.append(Field(name: name, value: value))
    }

    /// Iterates over the fields in order.
    public func makeIterator() -> IndexingIterator<[Field]> {
        fields.makeIterator()
    }
}

extension MIMEHeaders {
    /// Parses a header block (without its terminating empty line). `part` names the part in errors.
    static func parse(_ bytes: [UInt8], part: String) throws(SedgateError) -> MIMEHeaders {
        var lines: [[UInt8]] = []
        var start = 0
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0D, index + 1 < bytes.count, bytes[index + 1] == 0x0A {
                lines.append(Array(bytes[start..<index]))
                index += 2
                start = index
            } else {
                index += 1
            }
        }
        if start < bytes.count { lines.append(Array(bytes[start...])) }

        var headers = MIMEHeaders()
        for line in lines {
            if let first = line.first, first == 0x20 || first == 0x09 {
                // A folded line continues the previous field (RFC 5322 section 2.2.3).
                guard var last = headers.fields.popLast() else {
                    throw SedgateError(
                        .protocolViolation,
                        "\(part): the header block starts with a continuation line; each header must start with "
                            + "'Name: value'")
                }
                last.value = (last.value + " " + trimmed(line)).trimmingSpaces
                headers.fields.append(last)
                continue
            }
            guard let colon = line.firstIndex(of: 0x3A), colon > 0,
                line[..<colon].allSatisfy(isTokenByte)
            else {
                let shown = String(decoding: line.prefix(60), as: UTF8.self)
                throw SedgateError(
                    .protocolViolation,
                    "\(part): the header line '\(shown)' is not 'Name: value'; the part's headers are malformed")
            }
            headers.append(
                name: String(decoding: line[..<colon], as: UTF8.self), value: trimmed(line[(colon + 1)...]))
        }
        return headers
    }

    /// The bytes as text without leading and trailing spaces and tabs.
    private static func trimmed(_ bytes: some Collection<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self).trimmingSpaces
    }

    /// Whether a byte may appear in a header name (an RFC 7230 token character).
    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A: return true
        default: return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }

    /// Checks a field before it is written: a token name and a value without line breaks or NUL.
    static func check(_ field: Field, part: String) throws(SedgateError) {
        guard !field.name.isEmpty, field.name.utf8.allSatisfy(isTokenByte) else {
            throw SedgateError(
                .protocolViolation,
                "\(part): '\(field.name)' is not a valid header name; use letters, digits and '-' only")
        }
        guard !field.value.unicodeScalars.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
            throw SedgateError(
                .protocolViolation,
                "\(part): the value of header \(field.name) contains a line break or NUL, which would let it "
                    + "forge headers; remove it")
        }
    }
}

extension String {
    /// The string without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
        let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })!
        return String(scalars[first...last])
    }
}
