// FragmentManifest+XML: the manifest as a small XML element in urn:sedgate:fragments:1, both ways.
// Parsing goes through Documents' safe XMLTree; the result is checked like any other manifest.

public import Documents
public import Foundation
public import SedgateCore

extension FragmentManifest {
    /// The manifest as an XML element (with its namespace declared), e.g. for a SOAP header:
    ///
    /// ```xml
    /// <frag:Manifest xmlns:frag="urn:sedgate:fragments:1" payloadId="P1" totalSize="9" fragmentSize="4"
    ///     fragmentCount="3" sha256="..." contentType="application/pdf" fileName="a.pdf">
    ///   <frag:Fragment index="0" size="20" sha256="..."/>
    /// </frag:Manifest>
    /// ```
    public var xml: String {
        var text = "<frag:Manifest xmlns:frag=\"\(Self.namespace)\" payloadId=\"\(payloadID.xmlEscaped)\""
        text += " totalSize=\"\(totalSize)\" fragmentSize=\"\(fragmentSize)\" fragmentCount=\"\(fragmentCount)\""
        text += " sha256=\"\(sha256)\" contentType=\"\(contentType.xmlEscaped)\""
        if let fileName { text += " fileName=\"\(fileName.xmlEscaped)\"" }
        text += ">\n"
        for fragment in fragments {
            text +=
                "  <frag:Fragment index=\"\(fragment.index)\" size=\"\(fragment.size)\" sha256=\"\(fragment.sha256)\"/>\n"
        }
        return text + "</frag:Manifest>\n"
    }

    /// Parses a manifest document (its root is the Manifest element); `source` names it in errors.
    public init(xml: Data, source: String = "the fragment manifest") throws(SedgateError) {
        try self.init(element: XMLTree.parse(Array(xml), source: source).root)
    }

    /// Reads a Manifest element (for instance from a SOAP header) and checks it.
    public init(element: XMLNode) throws(SedgateError) {
        let source = element.tree.source
        guard element.localName == "Manifest", element.namespaceURI == Self.namespace else {
            throw SedgateError(
                .protocolViolation,
                "expected a Manifest element in \(Self.namespace), found \(element.localName) in "
                    + "\(element.namespaceURI ?? "no namespace")",
                location: .init(file: source, line: element.line, field: element.path))
        }
        let reader = AttributeReader(source: source)
        var fragments: [Fragment] = []
        for child in element.children {
            guard child.localName == "Fragment", child.namespaceURI == Self.namespace else {
                throw SedgateError(
                    .protocolViolation, "a manifest holds only Fragment elements; found \(child.localName)",
                    location: .init(file: source, line: child.line, field: child.path))
            }
            fragments.append(
                Fragment(
                    index: try reader.integer(child, "index"), size: try reader.integer(child, "size"),
                    sha256: try reader.string(child, "sha256")))
        }
        let count: Int = try reader.integer(element, "fragmentCount")
        guard count == fragments.count else {
            throw SedgateError(
                .protocolViolation,
                "the manifest says fragmentCount=\(count) but lists \(fragments.count) fragments; it is inconsistent",
                location: .init(file: source, line: element.line, field: element.path))
        }
        try self.init(
            payloadID: try reader.string(element, "payloadId"), totalSize: try reader.integer(element, "totalSize"),
            fragmentSize: try reader.integer(element, "fragmentSize"), fragments: fragments,
            sha256: try reader.string(element, "sha256"), contentType: try reader.string(element, "contentType"),
            fileName: element.attribute("fileName"))
    }
}

/// Reads required attributes, with errors naming the element and attribute.
private struct AttributeReader {
    let source: String

    func string(_ element: XMLNode, _ name: String) throws(SedgateError) -> String {
        guard let value = element.attribute(name) else {
            throw SedgateError(
                .protocolViolation, "the \(element.localName) element has no \(name) attribute",
                location: .init(file: source, line: element.line, field: element.path))
        }
        return value
    }

    /// A non-negative decimal integer (digits only: no sign, spaces or exponent).
    func integer<Value: FixedWidthInteger>(_ element: XMLNode, _ name: String) throws(SedgateError) -> Value {
        let text = try string(element, name)
        guard !text.isEmpty, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let value = Value(text) else {
            throw SedgateError(
                .protocolViolation,
                "the \(name) attribute of \(element.localName) is '\(text.prefix(40))', not a non-negative integer",
                location: .init(file: source, line: element.line, field: element.path))
        }
        return value
    }
}
