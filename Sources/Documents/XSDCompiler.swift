// XSDCompiler: compiles an XSD file with libxml2 for SchemaValidator and the content schemas of the rules
// folder, catching the first compile error (message and line) instead of letting libxml2 print it.

import CLibXML2
import SedgateCore

/// Compiles XSD files.
enum XSDCompiler {
    /// The first error libxml2 reports while compiling (its text copied: libxml2 reuses the buffer).
    private final class FirstError {
        var message: String?
        var line: Int?

        static let callback: xmlStructuredErrorFunc = { userData, error in
            guard let userData, let error else { return }
            let box = Unmanaged<FirstError>.fromOpaque(userData).takeUnretainedValue()
            guard box.message == nil else { return }
            box.message = LibXML.message(error.pointee.message)
            box.line = error.pointee.line > 0 ? Int(error.pointee.line) : nil
        }
    }

    /// Compiles the XSD at `path`; `what` names it in errors ("schema", "content schema") and `remedy` ends them.
    /// Throws `.configuration` naming the file and, when libxml2 gives one, the line.
    static func compile(_ path: String, what: String, remedy: String) throws(SedgateError) -> xmlSchemaPtr {
        LibXML.initialize()
        guard let parser = xmlSchemaNewParserCtxt(path) else {
            throw SedgateError(
                .configuration, "cannot read the \(what) \(path); check the path", location: .init(file: path))
        }
        defer { xmlSchemaFreeParserCtxt(parser) }
        let first = FirstError()
        let opaque = Unmanaged.passUnretained(first).toOpaque()
        xmlSchemaSetParserStructuredErrors(parser, FirstError.callback, opaque)
        // Reading the file (and its includes) goes through an inner parser that reports on the thread's
        // structured handler, not the schema context's: route those here too, just for this call.
        let savedHandler = __xmlStructuredError().pointee
        let savedContext = __xmlStructuredErrorContext().pointee
        xmlSetStructuredErrorFunc(opaque, FirstError.callback)
        let compiled = withExtendedLifetime(first) { xmlSchemaParse(parser) }
        xmlSetStructuredErrorFunc(savedContext, savedHandler)
        guard let compiled else {
            throw SedgateError(
                .configuration,
                "the \(what) \(path) cannot be used: \(first.message ?? "libxml2 could not compile it"). \(remedy)",
                location: .init(file: path, line: first.line))
        }
        return compiled
    }
}
