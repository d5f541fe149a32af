// XMLStreamParser: safe streaming parse of untrusted XML with libxml2's SAX2 interface. The same options and
// refusals as XMLTree (no network, no DTD so no entity is declared or expanded, the size, attribute and node
// prescan, a depth limit, errors with line and column), but elements and text go to a handler as libxml2 reads
// them, and no tree is built: for readers that want a few values out of many documents (the flat writer).
//
// One parser keeps one libxml2 context for document after document (a new one when its name dictionary grows
// past a bound, so memory stays flat whatever the names in the input).

import CLibXML2
import Glibc
package import SedgateCore

/// Receives a document's elements and text, in document order, while `XMLStreamParser` reads it.
package protocol XMLStreamHandler: AnyObject {
    /// An element starts (its attributes are readable only during this call).
    func startElement(_ element: XMLStreamElement)
    /// The innermost open element ends.
    func endElement()
    /// Character data (text or CDATA, entities and character references already replaced) of the open element.
    func text(_ bytes: UnsafeBufferPointer<UInt8>)
}

/// An element name to compare against what the parser reads: a local name and a namespace (nil: none).
package struct XMLStreamName: Sendable, Hashable {
    /// The local name, NUL-terminated.
    let local: [CChar]
    /// The namespace URI, NUL-terminated; nil for no namespace.
    let namespace: [CChar]?

    /// The name `local` in `namespace` (nil: in no namespace).
    package init(local: String, namespace: String?) {
        self.local = Array(local.utf8CString)
        self.namespace = namespace.map { Array($0.utf8CString) }
    }
}

/// An element start as the parser reports it; valid only during `XMLStreamHandler.startElement`.
package struct XMLStreamElement {
    /// The 1-based line of the start tag (as `XMLNode.line` gives it).
    package let line: Int
    let localName: UnsafePointer<xmlChar>
    /// The prefix as written; a prefix no namespace was declared for makes it part of the name, as in a tree.
    let prefix: UnsafePointer<xmlChar>?
    let namespace: UnsafePointer<xmlChar>?
    /// libxml2's attribute array: local name, prefix, URI, value start, value end, for each attribute.
    let attributes: UnsafeMutablePointer<UnsafePointer<xmlChar>?>?
    let attributeCount: Int

    /// The name as `XMLNode.localName` gives it, for messages: the local name, or `prefix:local` when the prefix
    /// is undeclared.
    package var localNameText: String { Self.name(localName, prefix: prefix, namespace: namespace) }

    static func name(
        _ local: UnsafePointer<xmlChar>, prefix: UnsafePointer<xmlChar>?, namespace: UnsafePointer<xmlChar>?
    ) -> String {
        guard let prefix, namespace == nil else { return String(cString: local) }
        return String(cString: prefix) + ":" + String(cString: local)
    }

    /// Whether the element is `name` (never, when its prefix is undeclared: its name then holds a colon).
    package func isNamed(_ name: XMLStreamName) -> Bool {
        Self.same(localName, name.local) && Self.same(namespace, name.namespace) && (prefix == nil || namespace != nil)
    }

    /// The value of the attribute `name` (an unprefixed attribute has no namespace), as `XMLNode.attribute` reads it.
    package func attribute(_ name: XMLStreamName) -> String? {
        guard let attributes else { return nil }
        for index in 0..<attributeCount {
            let base = index * 5
            // An undeclared prefix stays part of the attribute's name, as in a tree: it matches no name asked for.
            guard let local = attributes[base], Self.same(local, name.local),
                Self.same(attributes[base + 2], name.namespace),
                attributes[base + 1] == nil || attributes[base + 2] != nil, let start = attributes[base + 3],
                let end = attributes[base + 4]
            else { continue }
            return Self.attributeValue(UnsafeBufferPointer(start: start, count: start.distance(to: end)))
        }
        return nil
    }

    /// An attribute value as SAX2 gives it, decoded. Entity references are not replaced (sedgate never asks for
    /// it), so libxml2 leaves an `&` written as `&amp;`, `&#38;` or `&#x26;` as the text `&#38;`, to be read again by
    /// whoever builds a tree; every other reference is already replaced, and no entity can be declared.
    static func attributeValue(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        guard bytes.contains(UInt8(ascii: "&")) else { return String(decoding: bytes, as: UTF8.self) }
        let escaped: [UInt8] = Array("&#38;".utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "&"), index + escaped.count <= bytes.count,
                bytes[index..<(index + escaped.count)].elementsEqual(escaped)
            {
                decoded.append(UInt8(ascii: "&"))
                index += escaped.count
            } else {
                decoded.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func same(_ found: UnsafePointer<xmlChar>?, _ wanted: [CChar]?) -> Bool {
        switch (found, wanted) {
        case (nil, nil): return true
        case (let found?, let wanted?):
            let found = UnsafeRawPointer(found).assumingMemoryBound(to: CChar.self)
            return wanted.withUnsafeBufferPointer { strcmp(found, $0.baseAddress!) == 0 }
        default: return false
        }
    }
}

/// Parses documents one after another with one libxml2 context, sending each one's events to a handler.
///
/// Refuses what `XMLTree.parse` refuses, with the same errors: `.hostileInput` for a DOCTYPE, a document over the
/// limits or nested deeper than `limits.maxDepth`; `.malformedXML` (line and column) for anything not well-formed.
/// A handler may have seen events of a document that is then refused: it must keep nothing of it. Not `Sendable`:
/// one parser belongs to one reader at a time.
package final class XMLStreamParser {
    private let limits: XMLLimits
    private var context: xmlParserCtxtPtr?
    /// A context whose name dictionary holds more entries is replaced before the next document.
    private static let dictionaryBound = 100_000

    /// A parser that refuses documents over `limits`.
    package init(limits: XMLLimits = .default) {
        self.limits = limits
    }

    deinit {
        if let context { xmlFreeParserCtxt(context) }
    }

    /// Parses `bytes` (`source` names it in errors), calling `handler` for every element and text.
    package func parse(_ bytes: [UInt8], source: String, into handler: some XMLStreamHandler) throws(SedgateError) {
        try XMLParsing.check(bytes, source: source, limits: limits)
        let context = try readyContext(source: source)
        let state = StreamState(handler: handler, limit: limits.maxDepth, source: source)
        context.pointee._private = Unmanaged.passUnretained(state).toOpaque()
        defer { context.pointee._private = nil }
        let document = bytes.withUnsafeBufferPointer { buffer in
            buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) { start in
                xmlCtxtReadMemory(context, start, Int32(buffer.count), nil, nil, XMLParsing.options)
            }
        }
        if let document { xmlFreeDoc(document) }
        let progress = state.progress
        if let error = progress.depthError { throw error }
        if state.sawDoctype || context.pointee.errNo == Int32(XML_ERR_USER_STOP.rawValue) {
            throw XMLParsing.doctypeError(context, source: source)
        }
        guard document != nil else { throw XMLParsing.parseError(context, first: state, source: source) }
        guard progress.sawRoot else {
            throw SedgateError(.malformedXML, "the document has no root element", location: .init(file: source))
        }
    }

    /// The context to parse with: the one kept, unless its dictionary outgrew the bound.
    private func readyContext(source: String) throws(SedgateError) -> xmlParserCtxtPtr {
        if let context {
            if xmlDictSize(context.pointee.dict) <= Self.dictionaryBound { return context }
            xmlFreeParserCtxt(context)
            self.context = nil
        }
        let made = try XMLParsing.newContext(source: source)
        XMLParsing.silence(made)
        Self.route(made)
        context = made
        return made
    }

    /// Points the context's SAX2 callbacks at the handler in `_private`, and builds no tree.
    private static func route(_ context: xmlParserCtxtPtr) {
        guard let sax = context.pointee.sax else { return }
        sax.pointee.startElementNs = { userData, localName, prefix, uri, _, _, attributeCount, _, attributes in
            guard let userData, let localName, let state = StreamState.of(userData) else { return }
            let context = userData.assumingMemoryBound(to: xmlParserCtxt.self)
            let element = XMLStreamElement(
                line: Int(context.pointee.input?.pointee.line ?? 0), localName: localName, prefix: prefix,
                namespace: uri, attributes: attributes, attributeCount: Int(attributeCount))
            if state.progress.enter(element, limit: state.limit, source: state.source) {
                state.handler.startElement(element)
            } else {
                xmlStopParser(context)
            }
        }
        sax.pointee.endElementNs = { userData, _, _, _ in
            guard let state = StreamState.of(userData) else { return }
            state.progress.names.removeLast()
            state.handler.endElement()
        }
        let text: charactersSAXFunc = { userData, characters, length in
            guard let state = StreamState.of(userData), let characters, length > 0 else { return }
            state.handler.text(UnsafeBufferPointer(start: characters, count: Int(length)))
        }
        sax.pointee.characters = text
        sax.pointee.ignorableWhitespace = text
        sax.pointee.cdataBlock = text
        // Comments, processing instructions and references carry nothing a reader asks for; no node is made.
        sax.pointee.comment = nil
        sax.pointee.processingInstruction = nil
        sax.pointee.reference = nil
        sax.pointee.startElement = nil
        sax.pointee.endElement = nil
    }
}

/// One parse's state behind the context's `_private`: the first error, the handler, the open elements' names.
private final class StreamState: FirstError {
    let handler: any XMLStreamHandler
    let limit: Int
    let source: String
    /// What the callbacks change, in one struct. Only libxml2's callbacks touch it, one at a time on the parsing
    /// thread, so the per-access exclusivity check (a thread-local look-up per event) is left out.
    @exclusivity(unchecked) var progress = Progress()

    struct Progress {
        /// The names of the open elements (libxml2's dictionary strings, alive for the parse), for messages.
        var names:
            [(local: UnsafePointer<xmlChar>, prefix: UnsafePointer<xmlChar>?, namespace: UnsafePointer<xmlChar>?)] =
                []
        var sawRoot = false
        var depthError: SedgateError?

        /// Opens `element`; false (the error kept) when it is nested deeper than `limit`.
        mutating func enter(_ element: XMLStreamElement, limit: Int, source: String) -> Bool {
            sawRoot = true
            names.append((element.localName, element.prefix, element.namespace))
            guard names.count > limit else { return true }
            let path =
                "/"
                + names.map { XMLStreamElement.name($0.local, prefix: $0.prefix, namespace: $0.namespace) }
                .joined(separator: "/")
            depthError = SedgateError(
                .hostileInput,
                "elements are nested \(names.count) deep; at most \(limit) levels are accepted. Flatten the document",
                location: .init(file: source, line: element.line, field: path))
            return false
        }
    }

    init(handler: any XMLStreamHandler, limit: Int, source: String) {
        self.handler = handler
        self.limit = limit
        self.source = source
    }

    static func of(_ userData: UnsafeMutableRawPointer?) -> StreamState? {
        guard let userData, let box = userData.assumingMemoryBound(to: xmlParserCtxt.self).pointee._private else {
            return nil
        }
        // Only `XMLStreamParser.parse` sets `_private` on a context with these callbacks, always to a StreamState.
        return Unmanaged<StreamState>.fromOpaque(box).takeUnretainedValue()
    }
}
