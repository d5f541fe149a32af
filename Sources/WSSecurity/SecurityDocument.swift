// SecurityDocument: a private, mutable copy of a safely parsed document for xmlsec to sign, verify or decrypt, and
// its serialisation back to bytes.
//
// Untrusted bytes are parsed only by Documents' XMLTree (no DTD, no network, size and depth limits), which hands the
// parsed document over to this class; xmlsec works on it, and this class frees it.

import CLibXML2
import CXMLSec
import Documents
import Foundation
import SedgateCore

/// A libxml2 document owned by one Security operation.
final class SecurityDocument {
    /// The libxml2 document.
    let document: xmlDocPtr

    /// Parses `bytes` with the safe parser; `source` names the input in errors (e.g. "the received SOAP envelope").
    init(parsing bytes: Data, source: String) throws(SedgateError) {
        document = try XMLTree.parseDocument(Array(bytes), source: source)
    }

    /// Takes over a document made here (e.g. a copy of a cached template); frees it with this value.
    init(adopting document: xmlDocPtr) {
        self.document = document
    }

    /// Set by `release`: the document then belongs to the caller.
    private var released = false

    deinit {
        if !released { xmlFreeDoc(document) }
    }

    /// Hands the document over to the caller (e.g. to a read-only `XMLTree`); this value must not be used after.
    func release() -> xmlDocPtr {
        released = true
        return document
    }

    /// The root element (the safe parser refuses documents without one).
    var root: Element {
        Element(node: xmlDocGetRootElement(document)!)
    }

    /// The whole document, UTF-8, with an XML declaration.
    func serialized() -> Data {
        var bytes: UnsafeMutablePointer<xmlChar>?
        var size: Int32 = 0
        xmlDocDumpFormatMemoryEnc(document, &bytes, &size, "UTF-8", 0)
        defer { sedgate_xml_free(bytes) }
        guard let bytes, size > 0 else { return Data() }
        return Data(bytes: bytes, count: Int(size))
    }

    /// One element and its content, without an XML declaration (namespaces it uses must be declared on it).
    func serialized(_ element: Element) -> Data {
        guard let buffer = xmlBufferCreate() else { return Data() }
        defer { xmlBufferFree(buffer) }
        xmlNodeDump(buffer, document, element.node, 0, 0)
        guard let content = xmlBufferContent(buffer) else { return Data() }
        return Data(bytes: content, count: Int(xmlBufferLength(buffer)))
    }
}
