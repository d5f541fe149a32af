// XMLTree: safe parsing of untrusted XML with libxml2 into an immutable tree.
//
// Reads bytes only: no network, no DTD (a DOCTYPE is refused outright, so no entity can be declared, expanded or
// fetched), no XInclude, no XML_PARSE_HUGE. Errors never reach stderr; they become a SedgateError with the line
// and column libxml2 reported.

package import CLibXML2
public import SedgateCore

/// A parsed XML document; immutable after parsing, so it may be shared between tasks.
///
/// Made only by `parse(_:source:limits:)`, which refuses hostile input (`.hostileInput`: a DOCTYPE, too many
/// bytes, too deep) and malformed input (`.malformedXML`, with line and column). Frees its libxml2 document
/// when the last `XMLTree` or `XMLNode` referring to it goes away.
public final class XMLTree: @unchecked Sendable {
    /// The libxml2 document; never mutated after `parse` returns.
    let document: xmlDocPtr
    /// The source name given to `parse`, for error locations.
    public let source: String

    private init(document: xmlDocPtr, source: String) {
        self.document = document
        self.source = source
    }

    /// Set by `takeDocument`: the document then belongs to the caller.
    private var handedOver = false

    deinit {
        if !handedOver { xmlFreeDoc(document) }
    }

    /// The root element.
    public var root: XMLNode {
        // parse() checked that a root element exists.
        XMLNode(tree: self, node: xmlDocGetRootElement(document)!)
    }

    /// A deep copy of the parsed libxml2 document, owned by the caller (free it with `xmlFreeDoc`); nil when out of
    /// memory. For code that must mutate a document parsed safely here, e.g. xmlsec signing and decryption.
    package func copyDocument() -> xmlDocPtr? {
        xmlCopyDoc(document, 1)
    }

    /// The libxml2 document, for package code that only reads it (as any reader of the tree may, from any thread):
    /// it must not be mutated or freed.
    package var documentForReading: xmlDocPtr {
        document
    }

    /// Hands the libxml2 document over to the caller (who frees it, and may mutate it): for a document read here
    /// first and then verified, parsed once. Neither this tree nor any node of it may be read afterwards.
    package func handOverDocument() -> xmlDocPtr {
        handedOver = true
        return document
    }

    /// A tree over a document that `parseDocument` made and the caller has since only read or had xmlsec verify
    /// (no mutation that changes what readers see); the tree owns it from now on.
    package static func adopting(_ document: xmlDocPtr, source: String) -> XMLTree {
        XMLTree(document: document, source: source)
    }

    /// Throws `.hostileInput` when elements nest deeper than `limit` (as `parse` does with its limits).
    package func checkNesting(limit: Int) throws(SedgateError) {
        try checkDepth(limit: limit)
    }

    /// Parses `bytes` as `parse` does and hands the libxml2 document over to the caller (free it with
    /// `xmlFreeDoc`), for code that mutates a safely parsed document without paying for a copy.
    package static func parseDocument(
        _ bytes: [UInt8], source: String, limits: XMLLimits = .default
    ) throws(SedgateError) -> xmlDocPtr {
        let tree = try parse(bytes, source: source, limits: limits)
        tree.handedOver = true
        return tree.document
    }

    /// Parser options: forbid the network, keep entity references unexpanded, report big line numbers, and keep
    /// libxml2 quiet (errors are read back from the context instead).
    private static let options: Int32 = Int32(
        bitPattern: XML_PARSE_NONET.rawValue | XML_PARSE_BIG_LINES.rawValue | XML_PARSE_NOERROR.rawValue
            | XML_PARSE_NOWARNING.rawValue)

    /// Parses `bytes` safely; `source` names the input in error messages (e.g. `outbound/claim.xml`).
    ///
    /// Throws `.hostileInput` for a document with a DOCTYPE, over `limits.maxBytes` bytes or nested deeper than
    /// `limits.maxDepth`; `.malformedXML` (with line and column) for anything that is not well-formed XML,
    /// including bytes that are illegal in XML.
    public static func parse(
        _ bytes: [UInt8], source: String, limits: XMLLimits = .default
    ) throws(SedgateError)
        -> XMLTree
    {
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
        guard let context = xmlNewParserCtxt() else {
            throw SedgateError(
                .io, "libxml2 could not allocate a parser; the node is out of memory, retry later",
                location: .init(file: source))
        }
        defer { xmlFreeParserCtxt(context) }
        silence(context)
        // The first error is the one a user can act on; libxml2 keeps only the last (often "premature end").
        let first = FirstError()
        context.pointee._private = Unmanaged.passUnretained(first).toOpaque()
        defer { context.pointee._private = nil }

        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                xmlCtxtReadMemory(context, start, Int32(buffer.count), nil, nil, options)
            }
        }
        if context.pointee.errNo == Int32(XML_ERR_USER_STOP.rawValue) || document?.pointee.intSubset != nil
            || document?.pointee.extSubset != nil
        {
            if let document { xmlFreeDoc(document) }
            throw SedgateError(
                .hostileInput,
                "the document has a DOCTYPE declaration; sedgate refuses DTDs in exchanged documents (they can "
                    + "declare entities that read files or expand without bound). Remove the DOCTYPE",
                location: .init(file: source, line: Int(context.pointee.input?.pointee.line ?? 0)))
        }
        guard let document else {
            throw parseError(context, first: first, source: source)
        }
        let tree = XMLTree(document: document, source: source)
        guard xmlDocGetRootElement(document) != nil else {
            throw SedgateError(.malformedXML, "the document has no root element", location: .init(file: source))
        }
        try tree.checkDepth(limit: limits.maxDepth)
        return tree
    }

    /// Routes the context's diagnostics to a no-op handler and refuses a DOCTYPE as soon as the parser sees one.
    private static func silence(_ context: xmlParserCtxtPtr) {
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
            xmlStopParser(userData.assumingMemoryBound(to: xmlParserCtxt.self))
        }
        sax.pointee.entityDecl = nil
        sax.pointee.externalSubset = nil
        sax.pointee.resolveEntity = nil
    }

    /// The error libxml2 recorded for a failed parse, as a SedgateError with line and column.
    private static func parseError(_ context: xmlParserCtxtPtr, first: FirstError, source: String) -> SedgateError {
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

    /// Walks the element tree without recursion and refuses nesting deeper than `limit`.
    private func checkDepth(limit: Int) throws(SedgateError) {
        var stack: [(xmlNodePtr, Int)] = [(xmlDocGetRootElement(document)!, 1)]
        while let (node, depth) = stack.popLast() {
            if depth > limit {
                let element = XMLNode(tree: self, node: node)
                throw SedgateError(
                    .hostileInput,
                    "elements are nested \(depth) deep; at most \(limit) levels are accepted. Flatten the document",
                    location: .init(file: source, line: element.line, field: element.path))
            }
            var child = node.pointee.children
            while let current = child {
                if current.pointee.type == XML_ELEMENT_NODE { stack.append((current, depth + 1)) }
                child = current.pointee.next
            }
        }
    }
}

/// The first error libxml2 reports during one parse (its message copied: libxml2 reuses the buffer).
private final class FirstError {
    var error: xmlError?
    var message: String?

    func keep(_ error: xmlError) {
        guard self.error == nil, error.level.rawValue >= XML_ERR_ERROR.rawValue else { return }
        self.error = error
        self.message = LibXML.message(error.message)
    }
}
