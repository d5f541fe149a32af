// SchematronXPath: libxml2 XPath 1.0 contexts for Schematron: namespaces, a silent error handler, error texts.

import CLibXML2

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Small helpers around libxml2's XPath context used by the Schematron loader and evaluator.
enum SchematronXPath {
    /// A new XPath context on `document` with `namespaces` bound and errors kept in `lastError`, never printed.
    /// The caller frees it with `xmlXPathFreeContext`.
    static func context(_ document: xmlDocPtr, namespaces: [SchematronRules.Namespace]) -> xmlXPathContextPtr? {
        LibXML.initialize()
        guard let context = xmlXPathNewContext(document) else { return nil }
        // With an error function set, libxml2 records XPath errors in context.lastError instead of printing them.
        context.pointee.error = ignore
        for namespace in namespaces {
            xmlXPathRegisterNs(context, namespace.prefix, namespace.uri)
        }
        return context
    }

    /// Runs `body` with libxml2's generic (printf-style) error output sent to /dev/null on this thread.
    ///
    /// A few XPath failures (an unknown function, a prefix bound to nothing) are also printed through the generic
    /// handler; the structured `lastError` already says what is wrong, so the printed copy is dropped. The handler
    /// is per thread in libxml2 and `body` never suspends, so saving and restoring it here is safe.
    static func quietly<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        let handler = __xmlGenericError()
        let context = __xmlGenericErrorContext()
        let savedHandler = handler?.pointee
        let savedContext = context?.pointee
        // A nil function selects libxml2's default, which prints to the context as a FILE *.
        xmlSetGenericErrorFunc(UnsafeMutableRawPointer(devNull), nil)
        defer {
            handler?.pointee = savedHandler
            context?.pointee = savedContext
        }
        return try body()
    }

    /// Where `quietly` sends libxml2's generic error output (opened once; stdio locks each write).
    nonisolated(unsafe) private static let devNull = fopen("/dev/null", "w")

    /// A structured-error handler that drops the error; libxml2 still fills `lastError` before calling it.
    private static let ignore: xmlStructuredErrorFunc = { _, _ in }

    /// Whether the last error in `context` is libxml2's operation limit (the evaluation budget ran out).
    static func budgetExhausted(_ context: xmlXPathContextPtr) -> Bool {
        let limit = context.pointee.opLimit
        return (limit != 0 && context.pointee.opCount >= limit)
            || context.pointee.lastError.code == errorBase + Int32(XPATH_OP_LIMIT_EXCEEDED.rawValue)
    }

    /// The kind of the last XPath error in `context` and where in the expression it was found.
    static func lastError(_ context: xmlXPathContextPtr) -> (message: String, offset: Int?) {
        let error = context.pointee.lastError
        let index = Int(error.code - errorBase)
        let message =
            error.message.map { LibXML.message($0) }
            ?? (messages.indices.contains(index) ? messages[index] : "the expression cannot be evaluated")
        return (message, error.str1 != nil ? Int(error.int1) : nil)
    }

    /// Clears the last error, so a later failure is not confused with an earlier one.
    static func resetError(_ context: xmlXPathContextPtr) {
        xmlResetError(&context.pointee.lastError)
    }

    /// Whether the last error is one that a dry run can prove for every document: an unknown function,
    /// variable or namespace prefix (type errors depend on the data, so they are not judged at load time).
    static func lastErrorIsStatic(_ context: xmlXPathContextPtr) -> Bool {
        let code = context.pointee.lastError.code - errorBase
        return code == Int32(XPATH_UNDEF_VARIABLE_ERROR.rawValue) || code == Int32(XPATH_UNKNOWN_FUNC_ERROR.rawValue)
            || code == Int32(XPATH_UNDEF_PREFIX_ERROR.rawValue)
    }

    /// libxml2 reports XPath error `n` as `XML_XPATH_EXPRESSION_OK + n`.
    private static let errorBase = Int32(XML_XPATH_EXPRESSION_OK.rawValue)

    /// libxml2's XPath error texts, by `xmlXPathError` number (it does not export its own table).
    private static let messages = [
        "no error", "malformed number", "unfinished string literal", "a string literal was expected",
        "'$' must be followed by a variable name", "undefined variable", "invalid predicate", "invalid expression",
        "missing closing curly brace", "unknown function", "invalid operand", "invalid type",
        "wrong number of arguments", "invalid context size", "invalid context position", "out of memory",
        "syntax error", "resource error", "sub-resource error", "undefined namespace prefix (declare it with sch:ns)",
        "encoding error", "character not allowed in XML", "invalid or incomplete context", "stack usage error",
        "variables are not allowed here", "evaluation budget exhausted", "expression nested too deeply",
    ]
}
