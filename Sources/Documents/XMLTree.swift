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
        try XMLParsing.check(bytes, source: source, limits: limits)
        let context = try XMLParsing.newContext(source: source)
        defer { xmlFreeParserCtxt(context) }
        XMLParsing.silence(context)
        // The first error is the one a user can act on; libxml2 keeps only the last (often "premature end").
        let first = FirstError()
        context.pointee._private = Unmanaged.passUnretained(first).toOpaque()
        defer { context.pointee._private = nil }

        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                xmlCtxtReadMemory(context, start, Int32(buffer.count), nil, nil, XMLParsing.options)
            }
        }
        if context.pointee.errNo == Int32(XML_ERR_USER_STOP.rawValue) || document?.pointee.intSubset != nil
            || document?.pointee.extSubset != nil
        {
            if let document { xmlFreeDoc(document) }
            throw XMLParsing.doctypeError(context, source: source)
        }
        guard let document else {
            throw XMLParsing.parseError(context, first: first, source: source)
        }
        let tree = XMLTree(document: document, source: source)
        guard xmlDocGetRootElement(document) != nil else {
            throw SedgateError(.malformedXML, "the document has no root element", location: .init(file: source))
        }
        try tree.checkDepth(limit: limits.maxDepth)
        return tree
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
