// Layout: the flat side of a mapping: records, their fields, and the physical profiles (MTF, CFF).

/// A value computed on write and checked on read: `count(detail)` or `sum(detail.amount)`.
enum Derivation: Sendable, Hashable, CustomStringConvertible {
    case count(record: String)
    case sum(record: String, field: String)

    var description: String {
        switch self {
        case .count(let record): return "count(\(record))"
        case .sum(let record, let field): return "sum(\(record).\(field))"
        }
    }

    /// Parses `count(detail)` or `sum(detail.amount)`.
    init?(_ text: String) {
        let trimmed = text.filter { $0 != " " }
        if trimmed.hasPrefix("count("), trimmed.hasSuffix(")") {
            let inner = String(trimmed.dropFirst(6).dropLast())
            guard !inner.isEmpty, !inner.contains(".") else { return nil }
            self = .count(record: inner)
        } else if trimmed.hasPrefix("sum("), trimmed.hasSuffix(")") {
            let parts = trimmed.dropFirst(4).dropLast().split(separator: ".", omittingEmptySubsequences: false)
            guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
            self = .sum(record: String(parts[0]), field: String(parts[1]))
        } else {
            return nil
        }
    }

    /// The record type this derivation reads.
    var record: String {
        switch self {
        case .count(let record), .sum(let record, _): return record
        }
    }
}

/// One field of a record: where it is, how it is stored, and what it means.
struct FieldLayout: Sendable {
    /// The field name, unique within its record (`amount`).
    let name: String
    let picture: Picture
    let usage: Usage
    let sign: SignStyle
    /// A value the field always has (checked on read, written as is).
    let constant: String?
    /// A date pattern for `dt:parse` / `dt:format` (`yyyyMMdd`); the logical value is ISO `YYYY-MM-DD`.
    let datePattern: String?
    let pivot: String?
    /// Raw values that mean "no value" (`00000000`); the first is written for an absent value.
    let nulls: [String]
    /// Whether text too long for the field is cut (true) or refused (false, the default).
    let truncate: Bool
    /// Text alignment: left (padded on the right, the default) or right (padded on the left).
    let alignRight: Bool
    let derive: Derivation?
    /// Written when nothing binds the field (e.g. a filler); the field's content is not carried to XML.
    let defaultValue: String?
    /// Whether the field is deliberately not carried to XML (fillers, reserved areas).
    let ignored: Bool
    /// For an opaque field (`opaque: true`): what is written into it. Its bytes are never decoded or checked on
    /// read (a filler may hold LOW-VALUES, HIGH-VALUES or anything else), and never carried to XML.
    let opaqueFill: OpaqueFill?
    /// 0-based byte offset in the MTF record.
    let offset: Int
    /// Bytes in the MTF record.
    let length: Int
    /// The line of the field in the mapping file.
    let line: Int

    var isNumber: Bool {
        if case .number = picture.kind { return datePattern == nil }
        return false
    }

    /// Whether the PIC is numeric (`9(8)`), dates included: such a field is never blank.
    var hasNumericPicture: Bool {
        if case .number = picture.kind { return true }
        return false
    }

    /// The number of fraction digits of a numeric field (0 for text).
    var scale: Int {
        if case .number(_, let scale, _) = picture.kind { return scale }
        return 0
    }

    /// Whether the CFF profile has a column for this field (constants and ignored fields have none).
    var inCFF: Bool { constant == nil && !ignored }
}

/// What an opaque field is filled with when a flat file is written (COBOL's figurative constants).
enum OpaqueFill: String, Sendable, CaseIterable {
    /// Spaces in the file's code page (0x20, or 0x40 in EBCDIC): the default.
    case spaces
    /// The digit zero in the file's code page.
    case zeros
    /// LOW-VALUES: bytes 0x00.
    case lowValues = "low-values"
    /// HIGH-VALUES: bytes 0xFF.
    case highValues = "high-values"
}

/// One record type: its dispatch key, its parent record type, and its fields in order.
struct RecordLayout: Sendable {
    let name: String
    /// The value of the dispatch field that selects this record type.
    let key: String
    /// The record type this one nests under (details under their header), if any.
    let parent: String?
    let fields: [FieldLayout]
    let fieldIndex: [String: Int]
    let line: Int

    func field(_ name: String) -> FieldLayout? { fieldIndex[name].map { fields[$0] } }
}

/// The line separator between MTF records.
enum Separator: String, Sendable {
    case lf = "LF"
    case crlf = "CRLF"
    case none = "NONE"

    var text: String {
        switch self {
        case .lf: return "\n"
        case .crlf: return "\r\n"
        case .none: return ""
        }
    }
}

/// The fixed-width MTF profile: code page, record length, separator and the dispatch key's position.
package struct MTFProfile: Sendable {
    let charset: Charset
    package let recordLength: Int
    let separator: Separator
    /// The separator in the file's code page (LF is 0x25 in EBCDIC).
    let separatorBytes: [UInt8]
    let dispatchOffset: Int
    let dispatchLength: Int
}
