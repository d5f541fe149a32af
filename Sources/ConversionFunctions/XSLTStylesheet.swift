// XSLTStylesheet: a compiled XSLT 1.0 stylesheet (libxslt + EXSLT + the library's functions) for XML ⇄ XML migration.
//
// Reads the stylesheet file once (refusing a DOCTYPE, like every XML sedgate reads); transforms input bytes that
// pass the same safe parsing. A stylesheet may not write files, create directories or touch the network, and may
// read only files in its own folder; templates may nest at most `maxTemplateDepth` deep.

import CLibXML2
import CLibXSLT
import Documents
import Foundation
public import SedgateCore
import Synchronization

/// A compiled stylesheet with the conversion functions callable as `dt:`, `num:`, `code:`, `re:`, `str:`, `tr:`
/// (namespaces `urn:eessi:sedgate:fn:dt` and so on) next to EXSLT's `exsl:`, `str:`, `date:`, `func:`, ....
///
/// Compile once, then call `transform` from any thread: libxslt only reads a compiled stylesheet.
public final class XSLTStylesheet: @unchecked Sendable {
    /// The stylesheet file, for messages.
    public let path: String
    /// The functions the stylesheet calls.
    public let library: FunctionLibrary
    /// The deepest template recursion allowed (libxslt's default is 3000).
    public let maxTemplateDepth: Int
    /// The compiled stylesheet; read-only after init.
    private let stylesheet: xsltStylesheetPtr

    /// Compiles the stylesheet at `path`. Throws `.io` when it cannot be read, `.hostileInput` for a DOCTYPE,
    /// `.malformedXML` with line and column, `.configuration` when it is not valid XSLT (with libxslt's words).
    public init(path: String, library: FunctionLibrary, maxTemplateDepth: Int = 500) throws(SedgateError) {
        _ = XSLTRuntime.ready
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        self.path = path
        self.library = library
        self.maxTemplateDepth = maxTemplateDepth
        let bytes: [UInt8]
        do {
            bytes = Array(try Data(contentsOf: URL(fileURLWithPath: absolute)))
        } catch {
            throw SedgateError(
                .io, "cannot read stylesheet \(path); check that it exists and is readable",
                location: .init(file: path), cause: error)
        }
        // The same refusals as every other XML sedgate reads (DOCTYPE, depth, size), with line and column.
        _ = try XMLTree.parse(bytes, source: path)
        XSLTRuntime.readableRoots.withLock {
            _ = $0.insert(URL(fileURLWithPath: absolute).deletingLastPathComponent().path)
        }

        let run = TransformRun(library: library)
        let collector = MessageCollector(run: run)
        XSLTRuntime.compileLock.lock()
        defer { XSLTRuntime.compileLock.unlock() }
        let compiled: xsltStylesheetPtr? = try collector.withTarget { target throws(SedgateError) in
            sedgate_xslt_set_generic_errors(target)
            defer { sedgate_xslt_set_generic_errors(nil) }
            let document = bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                    xmlReadMemory(start, Int32(buffer.count), absolute, nil, sedgate_xslt_safe_parse_options())
                }
            }
            guard let document else {
                throw SedgateError(
                    .malformedXML, "stylesheet \(path) is not well-formed XML", location: .init(file: path))
            }
            guard let style = xsltParseStylesheetDoc(document) else {
                xmlFreeDoc(document)
                return nil
            }
            if style.pointee.errors > 0 {
                xsltFreeStylesheet(style)
                return nil
            }
            return style
        }
        guard let compiled else {
            throw SedgateError(
                .configuration,
                "stylesheet \(path) is not valid XSLT 1.0: \(run.text.isEmpty ? "libxslt gave no reason" : run.text); "
                    + "correct it (sedgate runs XSLT 1.0 with EXSLT)",
                location: .init(file: path))
        }
        stylesheet = compiled
    }

    deinit {
        xsltFreeStylesheet(stylesheet)
    }

    /// Transforms the XML document `bytes` (named `source` in messages), passing each parameter as a string
    /// (`<xsl:param name="runDate"/>`), and returns the serialised result as `xsl:output` asks.
    ///
    /// Throws what safe parsing throws for the input; the extension function's own error when one fails;
    /// `.hostileInput` when the stylesheet tries to write, create a directory, use the network or read outside
    /// its folder; `.schemaViolation` for `xsl:message terminate="yes"` (the stylesheet refused the input);
    /// `.configuration` for other run-time errors (too deep recursion, an unknown function).
    public func transform(
        _ bytes: [UInt8], source: String = "input", parameters: [String: String] = [:]
    )
        throws(SedgateError) -> [UInt8]
    {
        _ = try XMLTree.parse(bytes, source: source)
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                xmlReadMemory(start, Int32(buffer.count), nil, nil, sedgate_xslt_safe_parse_options())
            }
        }
        guard let document else {
            throw SedgateError(.malformedXML, "\(source) is not well-formed XML", location: .init(file: source))
        }
        defer { xmlFreeDoc(document) }
        guard let context = xsltNewTransformContext(stylesheet, document) else {
            throw SedgateError(.io, "libxslt could not start a transformation; the node is out of memory, retry later")
        }
        defer { xsltFreeTransformContext(context) }

        let run = TransformRun(library: library)
        let collector = MessageCollector(run: run)
        return try collector.withTarget { target throws(SedgateError) in
            sedgate_xslt_set_transform_errors(context, target)
            xsltSetCtxtSecurityPrefs(XSLTRuntime.preferences, context)
            _ = xsltSetCtxtParseOptions(context, sedgate_xslt_safe_parse_options())
            context.pointee.maxTemplateDepth = Int32(maxTemplateDepth)
            context.pointee._private = Unmanaged.passUnretained(run).toOpaque()
            defer { context.pointee._private = nil }
            try quote(parameters, into: context)

            // libxml2 reports XPath errors through its own (per-thread) handler: keep them in this run's messages.
            xmlSetStructuredErrorFunc(target.pointee.user) { user, error in
                guard let user, let error, let message = error.pointee.message else { return }
                Unmanaged<TransformRun>.fromOpaque(user).takeUnretainedValue().append(String(cString: message))
            }
            defer { xmlSetStructuredErrorFunc(nil, nil) }
            let result = xsltApplyStylesheetUser(stylesheet, document, nil, nil, nil, context)
            defer { if let result { xmlFreeDoc(result) } }
            if let error = run.error {
                throw SedgateError(
                    error.code, error.message + " (in stylesheet \(path))",
                    location: .init(file: source, field: error.location?.field))
            }
            guard let result, context.pointee.state == XSLT_STATE_OK else {
                throw failure(run, source: source, terminated: context.pointee.state == XSLT_STATE_STOPPED)
            }
            var buffer: UnsafeMutablePointer<xmlChar>?
            var length: Int32 = 0
            guard xsltSaveResultToString(&buffer, &length, result, stylesheet) == 0 else {
                throw SedgateError(.io, "could not serialise the result of \(path); the node may be out of memory")
            }
            defer { sedgate_xml_free(buffer) }
            guard let buffer, length > 0 else { return [] }
            return Array(UnsafeBufferPointer(start: buffer, count: Int(length)))
        }
    }

    /// Hands the parameters to libxslt as string literals (xsltQuoteUserParams), never as XPath expressions.
    private func quote(_ parameters: [String: String], into context: xsltTransformContextPtr) throws(SedgateError) {
        guard !parameters.isEmpty else { return }
        var pointers: [UnsafePointer<CChar>?] = []
        for (name, value) in parameters.sorted(by: { $0.key < $1.key }) {
            pointers.append(UnsafePointer(strdup(name)))
            pointers.append(UnsafePointer(strdup(value)))
        }
        pointers.append(nil)
        defer { for pointer in pointers { free(UnsafeMutablePointer(mutating: pointer)) } }
        let status = pointers.withUnsafeMutableBufferPointer { xsltQuoteUserParams(context, $0.baseAddress) }
        guard status == 0 else {
            throw SedgateError(
                .configuration,
                "stylesheet \(path) refused the parameters \(parameters.keys.sorted()); check their names")
        }
    }

    /// The error for a transformation libxslt stopped, classified from its messages.
    private func failure(_ run: TransformRun, source: String, terminated: Bool) -> SedgateError {
        let text = run.text.isEmpty ? "libxslt gave no reason" : run.text
        let lowered = text.lowercased()
        let location = SedgateError.Location(file: source)
        if lowered.contains("denied") || lowered.contains("forbidden") {
            return SedgateError(
                .hostileInput,
                "stylesheet \(path) tried an operation sedgate forbids (writing files, creating directories, the "
                    + "network, or reading outside its folder) and was stopped: \(text). Remove the exsl:document "
                    + "or document() call", location: location)
        }
        if terminated {
            // Only xsl:message terminate="yes" stops a run without an error state (extension errors return above).
            return SedgateError(
                .schemaViolation, "stylesheet \(path) refused the document: \(text)", location: location)
        }
        return SedgateError(
            .configuration, "stylesheet \(path) failed while transforming: \(text); correct the stylesheet",
            location: location)
    }
}
