// EnvelopeXML: writes an Envelope as a `<sed:Envelope>` element and reads one back from a parsed element.
//
// Used for the header of every SED (by SEDReader) and for the copy of the envelope in SOAP headers (Transport).

public import SedgateCore

/// Converts envelopes to and from their XML form in namespace `urn:eessi:sedgate:sed:1`.
public enum EnvelopeXML {
    /// The SED namespace, shared by `<SED>`, `<Envelope>`, its fields and `<Content>`.
    public static let namespace = "urn:eessi:sedgate:sed:1"

    /// An `<Envelope>` element with every present field in canonical order, values escaped.
    ///
    /// With the default prefix: `<sed:Envelope xmlns:sed="urn:eessi:sedgate:sed:1"><sed:SedId>…</sed:SedId>…`;
    /// an empty prefix declares the namespace as the default one instead.
    public static func render(_ envelope: Envelope, prefix: String = "sed") -> String {
        let qualifier = prefix.isEmpty ? "" : prefix + ":"
        let declaration = prefix.isEmpty ? "xmlns" : "xmlns:" + prefix
        var xml = "<\(qualifier)Envelope \(declaration)=\"\(namespace)\">"
        for (field, value) in envelope.fields {
            xml += "<\(qualifier)\(field.xmlName)>\(value.xmlEscaped)</\(qualifier)\(field.xmlName)>"
        }
        xml += "</\(qualifier)Envelope>"
        return xml
    }

    /// The field elements of an `<Envelope>` element, by field, with their text trimmed of surrounding white space.
    ///
    /// Throws `.invalidEnvelope` naming the element for an unknown or repeated field, a field in another namespace,
    /// or a field holding elements instead of text.
    public static func fieldElements(
        of node: XMLNode, source: String
    ) throws(SedgateError)
        -> [EnvelopeField: (node: XMLNode, value: String)]
    {
        guard node.localName == "Envelope", node.namespaceURI == namespace else {
            throw SedgateError(
                .invalidEnvelope,
                "expected the element Envelope in namespace \(namespace), found \(node.localName)"
                    + " in \(node.namespaceURI.map { "namespace \($0)" } ?? "no namespace")",
                location: .init(file: source, line: node.line, field: node.path))
        }
        var found: [EnvelopeField: (node: XMLNode, value: String)] = [:]
        for child in node.children {
            // Made only for an error: a path walks up to the root.
            var location: SedgateError.Location { .init(file: source, line: child.line, field: child.path) }
            guard child.namespaceURI == namespace, let field = EnvelopeField(xmlName: child.localName) else {
                let known = EnvelopeField.allCases.map(\.xmlName).joined(separator: ", ")
                throw SedgateError(
                    .invalidEnvelope,
                    "the envelope element \(child.localName) is not an envelope field; use one of \(known) "
                        + "in namespace \(namespace)",
                    location: location)
            }
            guard found[field] == nil else {
                throw SedgateError(
                    .invalidEnvelope, "the envelope field \(field.xmlName) appears twice; give it once",
                    location: location)
            }
            guard child.children.isEmpty else {
                throw SedgateError(
                    .invalidEnvelope, "the envelope field \(field.xmlName) holds elements; it must hold only text",
                    location: location)
            }
            found[field] = (child, child.text.trimmingXMLWhitespace)
        }
        return found
    }

    /// Reads an `<Envelope>` element (from a SED or a SOAP header) into an `Envelope`.
    ///
    /// Errors are `.invalidEnvelope` with `source`, the line of the offending field element (or of the envelope
    /// when a required field is missing) and the field's element path.
    public static func parse(_ node: XMLNode, source: String) throws(SedgateError) -> Envelope {
        let elements = try fieldElements(of: node, source: source)
        do {
            return try Envelope(fields: elements.mapValues(\.value))
        } catch {
            var located = error
            let named = EnvelopeField.allCases.first { error.location?.field == "Envelope/\($0.xmlName)" }
            if let named, let element = elements[named]?.node {
                located.location = .init(file: source, line: element.line, field: element.path)
            } else {
                located.location = .init(
                    file: source, line: node.line, field: node.path + (named.map { "/" + $0.xmlName } ?? ""))
            }
            throw located
        }
    }
}

extension String {
    /// This text without leading and trailing XML white space (space, tab, CR, LF), as xs:token reads it.
    var trimmingXMLWhitespace: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
