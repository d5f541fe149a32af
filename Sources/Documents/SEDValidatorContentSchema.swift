// SEDValidatorContentSchema: an admin's content XSD, compiled once, applied to the business element inside
// <Content> (not to the whole SED: the envelope schema is SEDReader's job).

import CLibXML2
import SedgateCore

/// A compiled content schema from the rules directory; validates one element subtree per call.
///
/// Like `SchemaValidator`, the compiled schema is read-only after init and each call makes its own validation
/// context, so one instance serves many tasks. Unlike it, it validates an element (with
/// `xmlSchemaValidateOneElement`) and reports findings with prefixed paths.
final class ContentSchema: @unchecked Sendable {
    private let schema: xmlSchemaPtr
    /// The name findings show as their rule file (e.g. `P001/1.0/p001.xsd`).
    let name: String

    /// Loads and compiles the XSD at `path`; throws `.configuration` naming the file and line if it cannot.
    init(path: String, name: String) throws(SedgateError) {
        self.name = name
        schema = try XSDCompiler.compile(
            path, what: "content schema", remedy: "Fix the schema file; the rules were not loaded")
    }

    deinit {
        xmlSchemaFree(schema)
    }

    /// Validates `element` and its subtree against the schema's global element declarations.
    func validate(_ element: XMLNode) -> [ValidationReport.Finding] {
        guard let context = xmlSchemaNewValidCtxt(schema) else {
            return [
                .init(
                    severity: .error, message: "libxml2 could not allocate a validation context; retry later",
                    ruleFile: name, code: .io)
            ]
        }
        defer { xmlSchemaFreeValidCtxt(context) }
        let collector = FindingCollector(ruleFile: name)
        xmlSchemaSetValidStructuredErrors(
            context, FindingCollector.callback, Unmanaged.passUnretained(collector).toOpaque())
        let result = withExtendedLifetime(collector) { xmlSchemaValidateOneElement(context, element.node) }
        if result != 0 && collector.findings.isEmpty {
            return [
                .init(
                    severity: .error, message: "the content does not conform to \(name)",
                    path: NodeLocator.path(element.node), line: element.line, ruleFile: name)
            ]
        }
        return collector.findings
    }
}

/// Gathers libxml2's structured errors for one validation as findings (one per call, never shared).
private final class FindingCollector {
    let ruleFile: String
    var findings: [ValidationReport.Finding] = []

    init(ruleFile: String) {
        self.ruleFile = ruleFile
    }

    /// The libxml2 structured-error callback; `userData` is an unretained FindingCollector.
    static let callback: xmlStructuredErrorFunc = { userData, error in
        guard let userData, let error else { return }
        let collector = Unmanaged<FindingCollector>.fromOpaque(userData).takeUnretainedValue()
        var path: String?
        var line = error.pointee.line > 0 ? Int(error.pointee.line) : nil
        if let raw = error.pointee.node {
            let node = raw.assumingMemoryBound(to: xmlNode.self)
            path = NodeLocator.path(node)
            line = line ?? NodeLocator.line(node)
        }
        let severity: ValidationReport.Severity = error.pointee.level == XML_ERR_WARNING ? .warning : .error
        collector.findings.append(
            .init(
                severity: severity, message: LibXML.message(error.pointee.message), path: path, line: line,
                ruleFile: collector.ruleFile))
    }
}
