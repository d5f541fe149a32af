// SEDDocument: one SED as read from bytes: the original bytes, its checked envelope and its parsed tree.

public import SedgateCore

/// A SED that parsed safely, conforms to the envelope schema and has a valid envelope.
///
/// `bytes` are kept exactly as received: they are what is signed, sent and delivered, byte for byte.
public struct SEDDocument: Sendable {
    /// The document exactly as read.
    public let bytes: [UInt8]
    /// The checked envelope.
    public let envelope: Envelope
    /// The parsed document (root `<SED>`).
    public let tree: XMLTree

    /// Makes a document from parts already checked (SEDReader does the checking).
    public init(bytes: [UInt8], envelope: Envelope, tree: XMLTree) {
        self.bytes = bytes
        self.envelope = envelope
        self.tree = tree
    }

    /// The name the document was read under (as given to `SEDReader.read`).
    public var source: String { tree.source }

    /// The `<Envelope>` element.
    public var envelopeElement: XMLNode? {
        tree.root.firstChild("Envelope", namespace: EnvelopeXML.namespace)
    }

    /// The `<Content>` element: the business part, where the personal data is.
    public var content: XMLNode? {
        tree.root.firstChild("Content", namespace: EnvelopeXML.namespace)
    }

    /// The envelope fields actually written in the document (the `Envelope` value adds defaults, e.g. interaction).
    public var writtenFields: Set<EnvelopeField> {
        SEDDocument.writtenFields(in: tree)
    }

    /// The envelope fields written in the `<Envelope>` child of `tree`'s root (empty if there is none).
    static func writtenFields(in tree: XMLTree) -> Set<EnvelopeField> {
        guard let element = tree.root.firstChild("Envelope", namespace: EnvelopeXML.namespace) else { return [] }
        return Set(
            element.children.compactMap { child in
                child.namespaceURI == EnvelopeXML.namespace ? EnvelopeField(xmlName: child.localName) : nil
            })
    }
}
