// Binding: the XML side of a mapping: element paths under the SED's content root, the record fields bound to
// them, the function calls applied each way, and the envelope built from constants and fields.

import SedgateCore

/// A namespace-qualified XML name as written in the mapping (`ae:Amount`), with its namespace resolved.
struct QName: Sendable, Hashable {
    let prefix: String?
    let local: String
    let namespace: String?

    /// The name as written in output (`ae:Amount`).
    var qualified: String { prefix.map { "\($0):\(local)" } ?? local }
}

/// A relative path of elements, optionally ending in an attribute: `ae:Period/ae:From`, `ae:Amount/@currency`.
struct ElementPath: Sendable, Hashable, CustomStringConvertible {
    let steps: [QName]
    let attribute: QName?
    /// The path as written in the mapping.
    let text: String

    var description: String { text }
}

/// A function call written in a mapping: `code:lookup(gender, .)`; `.` stands for the value being converted.
/// A bare name (`tr:to-latin1`) is called with the value as its only argument.
struct FunctionCall: Sendable, Hashable, CustomStringConvertible {
    enum Argument: Sendable, Hashable {
        case value
        case literal(String)
    }

    let name: String
    let arguments: [Argument]
    let text: String

    var description: String { text }

    /// Parses `name`, `name(.)`, `name(list, ., 'default')`; nil when the text is not a call.
    init?(_ text: String) {
        self.text = text
        let trimmed = text.trimmingSpaces
        guard let open = trimmed.firstIndex(of: "(") else {
            guard !trimmed.isEmpty, !trimmed.contains(" ") else { return nil }
            name = trimmed
            arguments = [.value]
            return
        }
        guard trimmed.hasSuffix(")") else { return nil }
        name = String(trimmed[..<open]).trimmingSpaces
        let inner = trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)]
        var parts: [Argument] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
            let argument = String(part).trimmingSpaces
            if argument == "." {
                parts.append(.value)
            } else if argument.count >= 2, argument.first == "'", argument.last == "'" {
                parts.append(.literal(String(argument.dropFirst().dropLast())))
            } else {
                parts.append(.literal(argument))
            }
        }
        guard !name.isEmpty else { return nil }
        arguments = inner.trimmingSpaces.isEmpty ? [] : parts
    }

    /// The argument list for a call on `value`.
    func arguments(for value: String) -> [String] {
        arguments.map { argument in
            switch argument {
            case .value: return value
            case .literal(let text): return text
            }
        }
    }
}

/// One binding: an element path and where its value comes from and goes to.
struct FieldBinding: Sendable {
    let path: ElementPath
    /// The record field bound (two-way unless `oneWay`).
    let field: String?
    /// A constant written to XML on read (always one-way).
    let constant: String?
    /// Applied to the field's value on its way to XML.
    let read: FunctionCall?
    /// Applied to the element's value on its way to the flat file.
    let write: FunctionCall?
    /// Whether the binding only works flat → XML (declared with `one-way: true`, or a constant).
    let oneWay: Bool
    let line: Int
}

/// The bindings of one record type; `repeat` makes one element per record (children of the SED's unit).
struct RecordBinding: Sendable {
    let record: String
    let repeatPath: ElementPath?
    let entries: [FieldBinding]
}

/// A text template for an envelope field: literals and `{record.field}` references.
struct Template: Sendable {
    enum Part: Sendable {
        case literal(String)
        case field(record: String, field: String)
    }

    let parts: [Part]
    let text: String

    /// Parses `S080`, `{detail.claim-ref}`, `{header.creditor-country}:{header.creditor-id}`.
    init?(_ text: String) {
        self.text = text
        var parts: [Part] = []
        var rest = Substring(text)
        while !rest.isEmpty {
            if let open = rest.firstIndex(of: "{") {
                if open > rest.startIndex { parts.append(.literal(String(rest[..<open]))) }
                guard let close = rest[open...].firstIndex(of: "}") else { return nil }
                let reference = rest[rest.index(after: open)..<close].split(separator: ".")
                guard reference.count == 2 else { return nil }
                parts.append(.field(record: String(reference[0]), field: String(reference[1])))
                rest = rest[rest.index(after: close)...]
            } else {
                parts.append(.literal(String(rest)))
                rest = ""
            }
        }
        self.parts = parts
    }
}

/// Which record makes one SED, the content root element, and the envelope.
struct SEDSpec: Sendable {
    /// The record type of which each occurrence makes one SED (with its parents' data and its children).
    let unit: String
    /// The element under `<Content>` that holds the bound data.
    let contentRoot: QName
    let envelope: [(field: EnvelopeField, template: Template)]
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs.
    var trimmingSpaces: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { $0 != " " && $0 != "\t" }),
            let last = scalars.lastIndex(where: { $0 != " " && $0 != "\t" })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
