// FileNameTemplate: file names built from envelope fields, e.g. `{receiver}_{sedType}_{sedId}.xml`.
// Pure: parses a template from configuration and renders names; touches no files.

public import SedgateCore

/// A file-name template over envelope fields, used to name documents written to `inbound/` so that routing data
/// can be read from the name. Placeholders are `EnvelopeField` raw names in braces: `{sedId}`, `{sender}`, ...
///
/// Rendering always yields one safe path component: values have `:` turned into `-` and `/`, `\`, NUL and control
/// characters turned into `_`; the whole name never starts with a dot, never contains `/`, is never empty, and is
/// at most 200 bytes long. A field the envelope lacks renders as empty text.
public struct FileNameTemplate: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a template: literal text or a field.
    enum Piece: Sendable, Hashable {
        case literal(String)
        case field(EnvelopeField)
    }

    let pieces: [Piece]
    /// The template as written.
    public let description: String

    /// Parses `template`; throws `.configuration` naming an unknown field or an unbalanced brace.
    public init(_ template: String) throws(SedgateError) {
        var pieces: [Piece] = []
        var literal = ""
        var rest = Substring(template)
        while let first = rest.first {
            rest = rest.dropFirst()
            if first == "}" {
                throw Self.invalid(template, "has a '}' without a matching '{'")
            }
            guard first == "{" else {
                literal.append(first)
                continue
            }
            guard let close = rest.firstIndex(of: "}") else {
                throw Self.invalid(template, "has a '{' without a matching '}'")
            }
            let key = String(rest[..<close])
            guard let field = EnvelopeField(rawValue: key) else {
                let known = EnvelopeField.allCases.map { "{\($0.rawValue)}" }.joined(separator: ", ")
                throw Self.invalid(template, "names the unknown field '{\(key)}'; use one of \(known)")
            }
            if !literal.isEmpty { pieces.append(.literal(literal)) }
            literal = ""
            pieces.append(.field(field))
            rest = rest[rest.index(after: close)...]
        }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        guard !pieces.isEmpty else { throw Self.invalid(template, "is empty; give a name such as {sedId}.xml") }
        self.pieces = pieces
        self.description = template
    }

    /// The fields the template uses, in order.
    public var fields: [EnvelopeField] {
        pieces.compactMap { if case .field(let field) = $0 { field } else { nil } }
    }

    /// The file name for `envelope`: one safe path component (see the type's documentation).
    public func render(_ envelope: Envelope) -> String {
        let text = pieces.map { piece in
            switch piece {
            case .literal(let literal): literal
            case .field(let field): envelope[field] ?? ""
            }
        }.joined()
        // Sanitizing the whole name also covers a literal `/` a template might carry.
        return PathComponent.safe(text)
    }

    private static func invalid(_ template: String, _ reason: String) -> SedgateError {
        SedgateError(.configuration, "the file-name template '\(template)' \(reason)")
    }
}
