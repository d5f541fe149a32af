// SchemaValidator: XSD validation of parsed documents with libxml2 (reads an .xsd file once, then only memory).

import CLibXML2
public import SedgateCore

/// One way a document breaks its schema: libxml2's sentence, the line, and the element path when known.
public struct ValidationIssue: Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, as libxml2 words it (it names the element and the rule).
    public var message: String
    /// The 1-based line of the offending element, or 0 when unknown.
    public var line: Int
    /// The offending element's path, e.g. `/SED/Envelope/Sender`.
    public var path: String?

    /// Makes an issue.
    public init(message: String, line: Int, path: String?) {
        self.message = message
        self.line = line
        self.path = path
    }

    public var description: String {
        "line \(line)" + (path.map { " \($0)" } ?? "") + ": " + message
    }
}

/// A compiled XML Schema that validates `XMLTree`s.
///
/// Loads and compiles the XSD once (`init(xsdPath:)`); the compiled schema is never modified afterwards and
/// each `validate` call gets its own libxml2 validation context, so one validator may serve many tasks at once.
public final class SchemaValidator: @unchecked Sendable {
    /// The compiled schema; read-only after init.
    private let schema: xmlSchemaPtr
    /// The file the schema came from, for messages.
    public let xsdPath: String

    /// Loads and compiles the XSD at `xsdPath`; throws `.configuration` naming the file if it cannot.
    public init(xsdPath: String) throws(SedgateError) {
        self.xsdPath = xsdPath
        schema = try XSDCompiler.compile(xsdPath, what: "schema", remedy: "Fix the schema file")
    }

    deinit {
        xmlSchemaFree(schema)
    }

    /// Validates `tree` against the schema; returns the issues in document order (empty when it conforms).
    ///
    /// `source` names the document in messages. Never throws: a failure to set up validation is reported as an
    /// issue at line 0.
    public func validate(_ tree: XMLTree, source: String) -> [ValidationIssue] {
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            return [
                ValidationIssue(
                    message: "\(source): libxml2 could not allocate a validation context", line: 0,
                    path: nil)
            ]
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        let collector = IssueCollector(tree: tree)
        xmlSchemaSetValidStructuredErrors(
            context, IssueCollector.callback, Unmanaged.passUnretained(collector).toOpaque())
        let result = withExtendedLifetime(collector) { xmlSchemaValidateDoc(context, tree.document) }
        if result != 0 && collector.issues.isEmpty {
            return [ValidationIssue(message: "\(source) does not conform to \(xsdPath)", line: 0, path: nil)]
        }
        return collector.issues
    }
}

/// Gathers libxml2's structured errors for one parse or validation (one per call, never shared).
private final class IssueCollector {
    let tree: XMLTree?
    var issues: [ValidationIssue] = []

    init(tree: XMLTree?) {
        self.tree = tree
    }

    /// The libxml2 structured-error callback; `userData` is an unretained IssueCollector.
    static let callback: xmlStructuredErrorFunc = { userData, error in
        guard let userData, let error else { return }
        let collector = Unmanaged<IssueCollector>.fromOpaque(userData).takeUnretainedValue()
        var path: String?
        var line = Int(error.pointee.line)
        if let tree = collector.tree, let raw = error.pointee.node {
            let node = raw.assumingMemoryBound(to: xmlNode.self)
            if node.pointee.type == XML_ELEMENT_NODE {
                let element = XMLNode(tree: tree, node: node)
                path = element.path
                if line <= 0 { line = element.line }
            }
        }
        collector.issues.append(
            ValidationIssue(message: LibXML.message(error.pointee.message), line: max(line, 0), path: path))
    }
}
