// XMLNode+Standalone: one element written out as a document of its own, with every namespace it uses declared,
// so a part of a message (an xenc:EncryptedData in a SOAP body, say) can be handed to code that reads documents.

import CLibXML2

extension XMLNode {
    /// The element and its descendants as a standalone UTF-8 document (no XML declaration). Namespaces declared on
    /// ancestors are re-declared on the copy, so the bytes parse on their own. Nil only when libxml2 is out of memory.
    public func standaloneBytes() -> [UInt8]? {
        guard let document = xmlNewDoc(nil) else { return nil }
        defer { xmlFreeDoc(document) }
        guard let copy = xmlDocCopyNode(node, document, 1) else { return nil }
        xmlDocSetRootElement(document, copy)
        _ = xmlReconciliateNs(document, copy)
        guard let buffer = xmlBufferCreate() else { return nil }
        defer { xmlBufferFree(buffer) }
        guard xmlNodeDump(buffer, document, copy, 0, 0) >= 0, let content = xmlBufferContent(buffer) else {
            return nil
        }
        let length = Int(xmlBufferLength(buffer))
        return content.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }
}
