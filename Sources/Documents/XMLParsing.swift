// XMLParsing: what every libxml2 parse of untrusted XML in sedgate shares, whether it builds a tree (XMLTree) or
// streams events (XMLStreamParser): the parser options, the checks made before libxml2 sees a byte, diagnostics
// kept off stderr with the first error remembered, a DOCTYPE stopped the moment it starts, and libxml2's errors
// turned into SedgateErrors with line and column.

import CLibXML2
import SedgateCore

/// The safety settings and error handling shared by the tree and the streaming parser.
enum XMLParsing {
    /// Parser options: forbid the network, keep entity references unexpanded, report big line numbers, and keep
    /// libxml2 quiet (errors are read back from the context instead).
    static let options: Int32 = Int32(
        bitPattern: XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOERROR.rawValue
            | XML_PARSE_NOWARNING.rawValue)

    /// Refuses, before parsing, a document over `limits.maxBytes`, an empty one, and one whose attribute or node
    /// counts would cost libxml2 quadratic time.
    static func check(_ bytes: [UInt8], source: String, limits: XMLLimits) throws(SedgateError) {
        LibXML.initialize()
        guard bytes.count <= limits.maxBytes, bytes.count < Int(Int32.max) else {
            throw SedgateError(
                .hostileInput,
                "the document is \(bytes.count) bytes long; at most \(limits.maxBytes) are accepted. "
                    + "Split it, or send large attachments as fragments",
                location: .init(file: source))
        }
        guard !bytes.isEmpty else {
            throw SedgateError(
                .malformedXML, "the file is empty; an XML document with one root element was expected",
                location: .init(file: source, line: 1, column: 1))
        }
        // Attribute-count and node-count bombs are refused before libxml2 spends quadratic time on them.
        try XMLPrescan.check(bytes, source: source, limits: limits)
    }

    /// A new parser context (free it with `xmlFreeParserCtxt`).
    static func newContext(source: String) throws(SedgateError) -> xmlParserCtxtPtr {
        guard let context = xmlNewParserCtxt() else {
            throw SedgateError(
                .io, "libxml2 could not allocate a parser; the node is out of memory, retry later",
                location: .init(file: source))
        }
        return context
    }

    /// Routes the context's diagnostics to a no-op handler and refuses a DOCTYPE as soon as the parser sees one.
    /// The context's `_private` must point at a `FirstError` while it parses.
    static func silence(_ context: xmlParserCtxtPtr) {
        guard let sax = context.pointee.sax else { return }
        // The structured handler wins over the generic one that prints to stderr; it keeps the first error.
        sax.pointee.serror = { userData, error in
            guard let userData, let error else { return }
            let context = userData.assumingMemoryBound(to: xmlParserCtxt.self)
            guard let box = context.pointee._private else { return }
            Unmanaged<FirstError>.fromOpaque(box).takeUnretainedValue().keep(error.pointee)
        }
        // Called at `<!DOCTYPE name ...`, before any internal subset is read: stop there, declare nothing.
        sax.pointee.internalSubset = { userData, _, _, _ in
            guard let userData else { return }
            let context = userData.assumingMemoryBound(to: xmlParserCtxt.self)
            if let box = context.pointee._private {
                Unmanaged<FirstError>.fromOpaque(box).takeUnretainedValue().sawDoctype = true
            }
            xmlStopParser(context)
        }
        sax.pointee.entityDecl = nil
        sax.pointee.externalSubset = nil
        sax.pointee.resolveEntity = nil
    }

    /// The refusal of a document with a DOCTYPE.
    static func doctypeError(_ context: xmlParserCtxtPtr, source: String) -> SedgateError {
        SedgateError(
            .hostileInput,
            "the document has a DOCTYPE declaration; sedgate refuses DTDs in exchanged documents (they can "
                + "declare entities that read files or expand without bound). Remove the DOCTYPE",
            location: .init(file: source, line: Int(context.pointee.input?.pointee.line ?? 0)))
    }

    /// The error libxml2 recorded for a failed parse, as a SedgateError with line and column.
    static func parseError(_ context: xmlParserCtxtPtr, first: FirstError, source: String) -> SedgateError {
        guard let error = first.error ?? xmlCtxtGetLastError(UnsafeMutableRawPointer(context))?.pointee else {
            return SedgateError(.malformedXML, "the document is not well-formed XML", location: .init(file: source))
        }
        let message = first.message ?? LibXML.message(error.message)
        let location = SedgateError.Location(
            file: source, line: error.line > 0 ? Int(error.line) : nil,
            column: error.int2 > 0 ? Int(error.int2) : nil)
        let lowered = message.lowercased()
        // libxml2's own safety limits (depth, huge text or names, entity loops). Matched on phrases, never single
        // words: messages quote element names, and an element may well be called <huge>.
        let limitPhrases = [
            "xml_parse_huge", "excessive depth", "huge input lookup", "huge text node", "too big found",
            "length too long",
        ]
        if limitPhrases.contains(where: { lowered.contains($0) })
            || error.code == Int32(XML_ERR_ENTITY_LOOP.rawValue)
        {
            return SedgateError(
                .hostileInput, "the document exceeds a parser safety limit: \(message). Simplify the document",
                location: location)
        }
        return SedgateError(
            .malformedXML, "the document is not well-formed XML: \(message). Fix the file and send it again",
            location: location)
    }
}

/// The first error libxml2 reports during one parse (its message copied: libxml2 reuses the buffer), and whether
/// the parser met a DOCTYPE.
class FirstError {
    var error: xmlError?
    var message: String?
    var sawDoctype = false

    func keep(_ error: xmlError) {
        guard self.error == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        self.error = error
        self.message = LibXML.message(error.message)
    }
}
