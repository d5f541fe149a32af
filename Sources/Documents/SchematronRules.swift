// SchematronRules: the parsed, immutable content of one Schematron file (patterns, rules, checks, variables).
//
// Plain values: every XPath is kept as text plus the line it was written on, and referred to by its index in
// `expressions`, so a compiled copy (SchematronProgram) can be made for each concurrent user.

/// The content of one `.sch` file, as read by `SchematronLoader`.
struct SchematronRules: Sendable {
    /// One XPath expression of the file: its text and the line of the element that holds it.
    struct Expression: Sendable {
        var text: String
        var line: Int
    }

    /// A namespace binding from `<sch:ns prefix="" uri=""/>`.
    struct Namespace: Sendable {
        var prefix: String
        var uri: String
    }

    /// A variable from `<sch:let name="" value=""/>`; `value` indexes `expressions`.
    struct Let: Sendable {
        var name: String
        var value: Int
    }

    /// One part of an assert's or report's message.
    enum MessagePart: Sendable {
        /// Literal text.
        case text(String)
        /// `<sch:value-of select=""/>`: the string value of an expression.
        case valueOf(Int)
        /// `<sch:name/>` (nil: the context node) or `<sch:name path=""/>`: a node's qualified name.
        case name(Int?)
    }

    /// An `<sch:assert>` (fires when the test is false) or `<sch:report>` (fires when it is true).
    struct Check: Sendable {
        var isReport: Bool
        var test: Int
        var id: String?
        var severity: ValidationReport.Severity
        var message: [MessagePart]
        var line: Int
    }

    /// An `<sch:rule context="">`: the checks made on every node its context matches (first rule wins per node).
    struct Rule: Sendable {
        var context: String
        /// The context rewritten as an XPath from the document root (`pe:Period` → `//pe:Period`).
        var contextExpression: Int
        var lets: [Let]
        var checks: [Check]
        var line: Int
    }

    /// An `<sch:pattern>`: rules tried in order; each node is checked by the first rule whose context matches.
    struct Pattern: Sendable {
        var id: String?
        var lets: [Let]
        var rules: [Rule]
    }

    /// The file's name, for findings and errors.
    var source: String
    var namespaces: [Namespace]
    /// Schema-level variables, evaluated once per document with the document node as context.
    var lets: [Let]
    var patterns: [Pattern]
    var expressions: [Expression]
}
