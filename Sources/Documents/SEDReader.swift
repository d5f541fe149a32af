// SEDReader: bytes → SEDDocument. Parses safely, validates against the envelope schema, reads the envelope.

public import SedgateCore

/// Reads a SED from bytes: safe parse, the envelope XSD, then the envelope's own field rules.
///
/// Errors: `.hostileInput` / `.malformedXML` from parsing; `.unsupportedInput` when the root is not a SED;
/// `.schemaViolation` with the line and element path of the first schema issue; `.invalidEnvelope` naming the field.
public enum SEDReader {
    /// The compiled envelope schema, loaded once on first use.
    private static let envelopeValidator = Result { () throws(SedgateError) -> SchemaValidator in
        try SchemaValidator(xsdPath: DocumentsResources.envelopeSchemaPath)
    }

    /// The shared validator for `sed-envelope-1.xsd`; throws `.configuration` if the bundled schema is unusable.
    public static func envelopeSchema() throws(SedgateError) -> SchemaValidator {
        try envelopeValidator.get()
    }

    /// Reads and checks one SED; `source` names it in errors (e.g. `outbound/claim.xml`).
    public static func read(
        _ bytes: [UInt8], source: String, limits: XMLLimits = .default
    ) throws(SedgateError)
        -> SEDDocument
    {
        let tree = try XMLTree.parse(bytes, source: source, limits: limits)
        let root = tree.root
        guard root.localName == "SED", root.namespaceURI == EnvelopeXML.namespace else {
            let found = "<\(root.localName)>" + (root.namespaceURI.map { " in namespace \($0)" } ?? " in no namespace")
            throw SedgateError(
                .unsupportedInput,
                "this is not a SED: its root element is \(found). A SED is <SED xmlns=\"\(EnvelopeXML.namespace)\"> "
                    + "holding <Envelope> (the routing fields) and then <Content> (the business document)",
                location: .init(file: source, line: root.line, field: root.path))
        }
        let issues = try envelopeSchema().validate(tree, source: source)
        if let first = issues.first {
            let more = issues.count > 1 ? " (and \(issues.count - 1) more issue(s))" : ""
            throw SedgateError(
                .schemaViolation,
                "the SED does not conform to the envelope schema: \(first.message)\(more). "
                    + "Correct the element and send the file again",
                location: .init(file: source, line: first.line > 0 ? first.line : nil, field: first.path))
        }
        guard let envelopeNode = root.firstChild("Envelope", namespace: EnvelopeXML.namespace) else {
            // The schema requires it; this guards against a schema edited out of step.
            throw SedgateError(
                .invalidEnvelope, "the SED has no <Envelope> element; add one before <Content>",
                location: .init(file: source, line: root.line, field: "/SED/Envelope"))
        }
        let envelope = try EnvelopeXML.parse(envelopeNode, source: source)
        return SEDDocument(bytes: bytes, envelope: envelope, tree: tree)
    }
}
