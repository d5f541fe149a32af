// SchematronEvaluation: runs one compiled Schematron file over one document and collects findings.
//
// Follows ISO Schematron's processing model: schema variables first, then each pattern; in a pattern every node is
// checked by the first rule whose context matches it; asserts fire when false, reports when true. A budget of XPath
// steps (libxml2's operation limit, counting nodes visited) bounds the whole run, so a costly rule cannot hang it.

import CLibXML2
import SedgateCore

/// One evaluation of a `SchematronProgram` over an `XMLTree`; made and used by `Schematron.validate` only.
struct SchematronEvaluation {
    let rules: SchematronRules
    let program: SchematronProgram
    let tree: XMLTree
    /// The name findings give as their rule file.
    let name: String
    let context: xmlXPathContextPtr
    private(set) var findings: [ValidationReport.Finding] = []

    /// Why an expression could not be evaluated.
    private struct Failure: Error {
        var budget: Bool
        var reason: String
        var expression: Int
    }

    /// Runs the rules over `tree` with at most `budget` XPath steps; returns the findings in document order per
    /// pattern. Never throws: failures of the rules themselves become `.configuration` findings.
    static func run(
        _ rules: SchematronRules, program: SchematronProgram, tree: XMLTree, name: String, budget: Int
    ) -> [ValidationReport.Finding] {
        guard let context = SchematronXPath.context(tree.document, namespaces: rules.namespaces) else {
            return [
                .init(
                    severity: .error, message: "libxml2 could not allocate an XPath context; retry later",
                    ruleFile: name, code: .io)
            ]
        }
        defer { xmlXPathFreeContext(context) }
        context.pointee.opLimit = UInt(max(budget, 1))
        context.pointee.opCount = 0
        var evaluation = SchematronEvaluation(
            rules: rules, program: program, tree: tree, name: name, context: context)
        SchematronXPath.quietly { evaluation.run() }
        return evaluation.findings
    }

    /// The document node, as the node type XPath contexts take (libxml2 lays xmlDoc out like an xmlNode head).
    private var documentNode: xmlNodePtr {
        UnsafeMutableRawPointer(tree.document).assumingMemoryBound(to: xmlNode.self)
    }

    private mutating func run() {
        do {
            try declare(rules.lets, at: documentNode)
        } catch {
            report(error, pattern: nil, rule: nil, node: nil)
            return
        }
        for pattern in rules.patterns {
            do {
                try declare(pattern.lets, at: documentNode)
                try run(pattern)
                forget(pattern.lets)
            } catch {
                report(error, pattern: pattern, rule: nil, node: nil)
                // The budget is shared by the whole file: once spent, nothing more can be checked.
                if error.budget { return }
                forget(pattern.lets)
            }
        }
    }

    /// Checks each node matched by the pattern's rules with the first rule that matches it.
    private mutating func run(_ pattern: SchematronRules.Pattern) throws(Failure) {
        var claimed: Set<UnsafeMutableRawPointer> = []
        var fired: [(node: xmlNodePtr, finding: ValidationReport.Finding)] = []
        defer { findings += Self.documentOrder(fired) }
        for rule in pattern.rules {
            let matched: [xmlNodePtr]
            do {
                matched = try nodes(rule.contextExpression, at: documentNode)
            } catch {
                if error.budget { throw error }
                report(error, pattern: pattern, rule: rule, node: nil)
                continue
            }
            for node in matched where claimed.insert(UnsafeMutableRawPointer(node)).inserted {
                do {
                    try declare(rule.lets, at: node)
                    for check in rule.checks {
                        let value = try boolean(check.test, at: node)
                        guard value == check.isReport else { continue }
                        let message = try message(check.message, at: node)
                        fired.append((node, finding(check, message: message, pattern: pattern, rule: rule, node: node)))
                    }
                    forget(rule.lets)
                } catch {
                    forget(rule.lets)
                    if error.budget { throw error }
                    // One broken rule on one node: report it and carry on with the rest.
                    report(error, pattern: pattern, rule: rule, node: node)
                }
            }
        }
    }

    /// Findings sorted into document order (stable: findings on the same node keep the rules' order).
    private static func documentOrder(
        _ fired: [(node: xmlNodePtr, finding: ValidationReport.Finding)]
    ) -> [ValidationReport.Finding] {
        fired.enumerated().sorted { a, b in
            if a.element.node == b.element.node { return a.offset < b.offset }
            // xmlXPathCmpNodes returns 1 when its first argument comes first in the document.
            let order = xmlXPathCmpNodes(a.element.node, b.element.node)
            return order == 0 || order == -2 ? a.offset < b.offset : order == 1
        }.map(\.element.finding)
    }

    private func finding(
        _ check: SchematronRules.Check, message: String, pattern: SchematronRules.Pattern,
        rule: SchematronRules.Rule, node: xmlNodePtr
    ) -> ValidationReport.Finding {
        .init(
            severity: check.severity, message: message, path: NodeLocator.path(node), line: NodeLocator.line(node),
            pattern: pattern.id, ruleContext: rule.context, ruleID: check.id, ruleFile: name, ruleLine: check.line)
    }

    /// Records a failure of the rules themselves as a `.configuration` error finding.
    private mutating func report(
        _ failure: Failure, pattern: SchematronRules.Pattern?, rule: SchematronRules.Rule?, node: xmlNodePtr?
    ) {
        let expression = rules.expressions[failure.expression]
        let message =
            failure.budget
            ? "validation stopped: the rules needed more than \(context.pointee.opLimit) XPath steps on this "
                + "document (while evaluating \"\(expression.text)\"). The rule is too costly (nested // steps?) "
                + "or the document too large; simplify the rule or raise the budget"
            : "the rule could not be evaluated: the XPath \"\(expression.text)\" failed (\(failure.reason)); "
                + "fix the rule file"
        findings.append(
            .init(
                severity: .error, message: message, path: node.map(NodeLocator.path),
                line: node.flatMap(NodeLocator.line),
                pattern: pattern?.id, ruleContext: rule?.context, ruleFile: name, ruleLine: expression.line,
                code: .configuration))
    }

    // MARK: Evaluating expressions

    /// Evaluates expression `index` with `node` as the context node; the caller frees the result.
    private func evaluate(_ index: Int, at node: xmlNodePtr) throws(Failure) -> xmlXPathObjectPtr {
        SchematronXPath.resetError(context)
        context.pointee.node = node
        context.pointee.contextSize = 1
        context.pointee.proximityPosition = 1
        guard let result = xmlXPathCompiledEval(program.expressions[index], context) else {
            throw failure(index)
        }
        return result
    }

    private func failure(_ index: Int) -> Failure {
        Failure(
            budget: SchematronXPath.budgetExhausted(context), reason: SchematronXPath.lastError(context).message,
            expression: index)
    }

    /// The nodes an expression selects, in document order; a rule context that is not a node-set is an error.
    private func nodes(_ index: Int, at node: xmlNodePtr) throws(Failure) -> [xmlNodePtr] {
        let result = try evaluate(index, at: node)
        defer { xmlXPathFreeObject(result) }
        guard result.pointee.type == XPATH_NODESET else {
            throw Failure(budget: false, reason: "a rule context must select nodes", expression: index)
        }
        guard let set = result.pointee.nodesetval, let table = set.pointee.nodeTab else { return [] }
        return (0..<Int(set.pointee.nodeNr)).compactMap { table[$0] }
    }

    private func boolean(_ index: Int, at node: xmlNodePtr) throws(Failure) -> Bool {
        let result = try evaluate(index, at: node)
        defer { xmlXPathFreeObject(result) }
        return xmlXPathCastToBoolean(result) != 0
    }

    private func string(_ index: Int, at node: xmlNodePtr) throws(Failure) -> String {
        let result = try evaluate(index, at: node)
        defer { xmlXPathFreeObject(result) }
        return LibXML.take(xmlXPathCastToString(result)) ?? ""
    }

    /// The message text with `value-of` and `name` filled in and white space collapsed.
    private func message(_ parts: [SchematronRules.MessagePart], at node: xmlNodePtr) throws(Failure) -> String {
        var text = ""
        for part in parts {
            switch part {
            case .text(let literal):
                text += literal
            case .valueOf(let index):
                text += try string(index, at: node)
            case .name(nil):
                text += NodeLocator.qualifiedName(node)
            case .name(.some(let index)):
                text += try nodes(index, at: node).first.map(NodeLocator.qualifiedName) ?? ""
            }
        }
        return text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    // MARK: Variables

    /// Evaluates each `let` at `node` and binds it, in order, so later ones may use earlier ones.
    private func declare(_ lets: [SchematronRules.Let], at node: xmlNodePtr) throws(Failure) {
        for variable in lets {
            // The context takes ownership of the value.
            xmlXPathRegisterVariable(context, variable.name, try evaluate(variable.value, at: node))
        }
    }

    private func forget(_ lets: [SchematronRules.Let]) {
        for variable in lets { xmlXPathRegisterVariable(context, variable.name, nil) }
    }
}
