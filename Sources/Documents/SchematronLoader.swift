// SchematronLoader: reads a `.sch` file (through the safe XML parser) into SchematronRules, refusing what the
// sedgate subset of ISO Schematron does not support with a `.configuration` error naming the file and line.

import CLibXML2
import SedgateCore

/// Turns a parsed Schematron document into `SchematronRules`; one loader per file, used once.
struct SchematronLoader {
    /// The ISO Schematron namespace.
    static let namespace = "http://purl.oclc.org/dsdl/schematron"
    /// Elements that only document a schema; skipped wherever they appear.
    private static let documentation: Set<String> = ["title", "p", "phase", "diagnostics", "properties"]

    private let tree: XMLTree
    private var expressions: [SchematronRules.Expression] = []

    private init(tree: XMLTree) {
        self.tree = tree
    }

    /// Reads the rules in `tree` (already parsed safely); throws `.configuration` for anything unsupported.
    static func load(_ tree: XMLTree) throws(SedgateError) -> SchematronRules {
        var loader = SchematronLoader(tree: tree)
        return try loader.schema(tree.root)
    }

    private var source: String { tree.source }

    private mutating func schema(_ root: XMLNode) throws(SedgateError) -> SchematronRules {
        guard root.localName == "schema", root.namespaceURI == Self.namespace else {
            throw refusal(
                "is not a Schematron schema: its root is <\(root.localName)>; expected <sch:schema "
                    + "xmlns:sch=\"\(Self.namespace)\">", at: root)
        }
        if let binding = root.attribute("queryBinding"),
            !["xslt", "xslt1", "xpath", "xpath1"].contains(binding.lowercased())
        {
            throw refusal(
                "asks for queryBinding=\"\(binding)\"; sedgate evaluates XPath 1.0 only. Use queryBinding=\"xslt\" "
                    + "and XPath 1.0 expressions", at: root)
        }
        var namespaces: [SchematronRules.Namespace] = []
        var lets: [SchematronRules.Let] = []
        var patterns: [SchematronRules.Pattern] = []
        for child in try elements(of: root) {
            switch child.localName {
            case "ns":
                namespaces.append(.init(prefix: try required("prefix", of: child), uri: try required("uri", of: child)))
            case "let":
                lets.append(try variable(child, scope: lets.map(\.name)))
            case "pattern":
                patterns.append(try pattern(child, outer: lets.map(\.name)))
            default:
                try unsupported(child)
            }
        }
        return SchematronRules(
            source: source, namespaces: namespaces, lets: lets, patterns: patterns, expressions: expressions)
    }

    private mutating func pattern(_ element: XMLNode, outer: [String]) throws(SedgateError) -> SchematronRules.Pattern {
        if element.attribute("abstract") == "true" || element.attribute("is-a") != nil {
            throw refusal("uses an abstract pattern; sedgate does not support them. Write the pattern out", at: element)
        }
        var lets: [SchematronRules.Let] = []
        var rules: [SchematronRules.Rule] = []
        for child in try elements(of: element) {
            switch child.localName {
            case "let":
                lets.append(try variable(child, scope: outer + lets.map(\.name)))
            case "rule":
                rules.append(try rule(child, outer: outer + lets.map(\.name)))
            default:
                try unsupported(child)
            }
        }
        return .init(id: element.attribute("id"), lets: lets, rules: rules)
    }

    private mutating func rule(_ element: XMLNode, outer: [String]) throws(SedgateError) -> SchematronRules.Rule {
        if element.attribute("abstract") == "true" {
            throw refusal("uses an abstract rule; sedgate does not support them. Write the rule out", at: element)
        }
        let context = try required("context", of: element)
        let contextExpression = expression(Self.matchExpression(context), at: element)
        var lets: [SchematronRules.Let] = []
        var checks: [SchematronRules.Check] = []
        for child in try elements(of: element) {
            switch child.localName {
            case "let":
                lets.append(try variable(child, scope: outer + lets.map(\.name)))
            case "assert", "report":
                checks.append(try check(child))
            default:
                try unsupported(child)
            }
        }
        return .init(
            context: context, contextExpression: contextExpression, lets: lets, checks: checks, line: element.line)
    }

    private mutating func check(_ element: XMLNode) throws(SedgateError) -> SchematronRules.Check {
        let test = expression(try required("test", of: element), at: element)
        let severity = ValidationReport.Severity(schematronRole: element.attribute("role") ?? element.attribute("flag"))
        return .init(
            isReport: element.localName == "report", test: test, id: element.attribute("id"), severity: severity,
            message: try message(element), line: element.line)
    }

    /// The message parts of an assert or report: text, `sch:value-of`, `sch:name`; other markup gives its text.
    private mutating func message(_ element: XMLNode) throws(SedgateError) -> [SchematronRules.MessagePart] {
        var parts: [SchematronRules.MessagePart] = []
        var child = element.node.pointee.children
        while let current = child {
            defer { child = current.pointee.next }
            switch current.pointee.type {
            case XML_TEXT_NODE, XML_CDATA_SECTION_NODE:
                parts.append(.text(LibXML.take(xmlNodeGetContent(current)) ?? ""))
            case XML_ELEMENT_NODE:
                let markup = XMLNode(tree: tree, node: current)
                guard markup.namespaceURI == Self.namespace else {
                    parts.append(.text(markup.text))
                    continue
                }
                switch markup.localName {
                case "value-of":
                    parts.append(.valueOf(expression(try required("select", of: markup), at: markup)))
                case "name":
                    parts.append(.name(markup.attribute("path").map { expression($0, at: markup) }))
                default:
                    parts.append(.text(markup.text))
                }
            default:
                continue
            }
        }
        return parts
    }

    private mutating func variable(_ element: XMLNode, scope: [String]) throws(SedgateError) -> SchematronRules.Let {
        let name = try required("name", of: element)
        if scope.contains(name) {
            throw refusal(
                "declares the variable $\(name) twice in the same scope; rename one of them", at: element)
        }
        guard let value = element.attribute("value") else {
            throw refusal(
                "has <sch:let name=\"\(name)\"> without a value attribute; sedgate needs value=\"XPath\"",
                at: element)
        }
        return .init(name: name, value: expression(value, at: element))
    }

    /// Records an XPath for compiling and returns its index.
    private mutating func expression(_ text: String, at element: XMLNode) -> Int {
        expressions.append(.init(text: text, line: element.line))
        return expressions.count - 1
    }

    /// The Schematron element children of `element`; foreign elements are skipped, except XSLT, which
    /// sedgate cannot run.
    private func elements(of element: XMLNode) throws(SedgateError) -> [XMLNode] {
        var result: [XMLNode] = []
        for child in element.children {
            if child.namespaceURI == Self.namespace {
                if !Self.documentation.contains(child.localName) { result.append(child) }
            } else if child.namespaceURI == "http://www.w3.org/1999/XSL/Transform" {
                throw refusal(
                    "uses XSLT (<\(child.localName)>); sedgate evaluates Schematron with XPath 1.0 only. Remove it",
                    at: child)
            }
        }
        return result
    }

    private func unsupported(_ element: XMLNode) throws(SedgateError) {
        throw refusal(
            "has <sch:\(element.localName)> where sedgate does not support it (supported: ns, let, pattern, rule, "
                + "assert, report, value-of, name). Remove it or write the rule out", at: element)
    }

    private func required(_ attribute: String, of element: XMLNode) throws(SedgateError) -> String {
        guard let value = element.attribute(attribute), !value.isEmpty else {
            throw refusal("has <sch:\(element.localName)> without its \(attribute) attribute; add it", at: element)
        }
        return value
    }

    private func refusal(_ problem: String, at element: XMLNode) -> SedgateError {
        SedgateError(
            .configuration, "the Schematron file \(source) \(problem)",
            location: .init(file: source, line: element.line, field: element.path))
    }

    /// An XSLT match pattern as an XPath selecting every node it matches: relative alternatives get `//`.
    static func matchExpression(_ pattern: String) -> String {
        alternatives(pattern).map { alternative in
            alternative.hasPrefix("/") ? alternative : "//" + alternative
        }.joined(separator: " | ")
    }

    /// The top-level `|` alternatives of a pattern (not inside predicates, parentheses or string literals).
    private static func alternatives(_ pattern: String) -> [String] {
        var result: [String] = []
        var current = ""
        var depth = 0
        var quote: Character?
        for character in pattern {
            if let open = quote {
                if character == open { quote = nil }
            } else if character == "'" || character == "\"" {
                quote = character
            } else if character == "[" || character == "(" {
                depth += 1
            } else if character == "]" || character == ")" {
                depth -= 1
            } else if character == "|" && depth == 0 {
                result.append(current.trimmingSpaces)
                current = ""
                continue
            }
            current.append(character)
        }
        result.append(current.trimmingSpaces)
        return result
    }
}

extension String {
    /// The string without leading and trailing spaces, tabs and newlines (no Foundation needed).
    fileprivate var trimmingSpaces: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
