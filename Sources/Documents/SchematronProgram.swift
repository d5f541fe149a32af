// SchematronProgram: every XPath of one Schematron file compiled with xmlXPathCtxtCompile, checked by a dry run.
//
// libxml2 caches function look-ups inside a compiled expression while evaluating it, so one compiled copy must not
// be evaluated by two threads at once: `Schematron` keeps a pool and lends each copy to one evaluation at a time.

import CLibXML2
import SedgateCore

/// The compiled expressions of one `SchematronRules`, indexed like `rules.expressions`.
///
/// `@unchecked Sendable`: a program is only ever used by the one evaluation that borrowed it from the pool.
final class SchematronProgram: @unchecked Sendable {
    let expressions: [xmlXPathCompExprPtr]

    /// Compiles every expression of `rules`; throws `.configuration` naming the file, line and bad XPath.
    ///
    /// Then evaluates each expression once on an empty document, in its variables' scope, so that an unknown
    /// function, variable or namespace prefix is refused now rather than on the first SED.
    init(compiling rules: SchematronRules) throws(SedgateError) {
        expressions = try SchematronXPath.quietly { () throws(SedgateError) in try Self.compile(rules) }
    }

    deinit {
        for expression in expressions { xmlXPathFreeCompExpr(expression) }
    }

    /// Compiles and dry-runs every expression of `rules`; frees what it compiled when it throws.
    private static func compile(_ rules: SchematronRules) throws(SedgateError) -> [xmlXPathCompExprPtr] {
        LibXML.initialize()
        guard let document = xmlNewDoc("1.0") else {
            throw SedgateError(.io, "libxml2 could not allocate a document; the node is out of memory, retry later")
        }
        defer { xmlFreeDoc(document) }
        xmlDocSetRootElement(document, xmlNewDocNode(document, nil, "sedgate-dry-run", nil))
        guard let context = SchematronXPath.context(document, namespaces: rules.namespaces) else {
            throw SedgateError(.io, "libxml2 could not allocate an XPath context; retry later")
        }
        defer { xmlXPathFreeContext(context) }

        var compiled: [xmlXPathCompExprPtr] = []
        for expression in rules.expressions {
            SchematronXPath.resetError(context)
            guard let expressionCode = xmlXPathCtxtCompile(context, expression.text) else {
                for done in compiled { xmlXPathFreeCompExpr(done) }
                throw Self.refusal(rules, expression, context, problem: "is not a valid XPath 1.0 expression")
            }
            compiled.append(expressionCode)
        }
        do {
            try dryRun(rules, compiled, context: context)
        } catch {
            for done in compiled { xmlXPathFreeCompExpr(done) }
            throw error
        }
        return compiled
    }

    /// Evaluates every expression once on the empty document with the variables of its scope declared.
    private static func dryRun(
        _ rules: SchematronRules, _ expressions: [xmlXPathCompExprPtr], context: xmlXPathContextPtr
    ) throws(SedgateError) {
        let root = xmlDocGetRootElement(context.pointee.doc)
        func probe(_ index: Int) throws(SedgateError) {
            SchematronXPath.resetError(context)
            context.pointee.node = root
            let result = xmlXPathCompiledEval(expressions[index], context)
            if let result { xmlXPathFreeObject(result) }
            if result == nil, SchematronXPath.lastErrorIsStatic(context) {
                throw Self.refusal(rules, rules.expressions[index], context, problem: "cannot be evaluated")
            }
        }
        func declare(_ lets: [SchematronRules.Let]) throws(SedgateError) {
            for variable in lets {
                try probe(variable.value)
                xmlXPathRegisterVariable(context, variable.name, xmlXPathNewCString(""))
            }
        }
        func forget(_ lets: [SchematronRules.Let]) {
            for variable in lets { xmlXPathRegisterVariable(context, variable.name, nil) }
        }
        try declare(rules.lets)
        for pattern in rules.patterns {
            try declare(pattern.lets)
            for rule in pattern.rules {
                try probe(rule.contextExpression)
                try declare(rule.lets)
                for check in rule.checks {
                    try probe(check.test)
                    for part in check.message {
                        switch part {
                        case .valueOf(let index), .name(.some(let index)): try probe(index)
                        case .text, .name(.none): break
                        }
                    }
                }
                forget(rule.lets)
            }
            forget(pattern.lets)
        }
    }

    /// A `.configuration` error naming the file, the line, the expression and libxml2's reason.
    private static func refusal(
        _ rules: SchematronRules, _ expression: SchematronRules.Expression, _ context: xmlXPathContextPtr,
        problem: String
    ) -> SedgateError {
        let (reason, offset) = SchematronXPath.lastError(context)
        let at = offset.map { " at character \($0 + 1)" } ?? ""
        return SedgateError(
            .configuration,
            "the Schematron file \(rules.source) line \(expression.line): the XPath \"\(expression.text)\" "
                + "\(problem): \(reason)\(at). Fix the expression; the rules were not loaded",
            location: .init(file: rules.source, line: expression.line, field: expression.text))
    }
}
