// Element: read access to a libxml2 element of a document Security is working on (names, attributes, children).

import CLibXML2
import CXMLSec
import Foundation

/// A libxml2 element node of a `SecurityDocument`; valid while that document lives.
struct Element {
    /// The libxml2 node (always of type XML_ELEMENT_NODE).
    let node: xmlNodePtr

    /// The local name.
    var localName: String { String(cString: node.pointee.name) }

    /// The namespace URI; nil when the element has none.
    var namespaceURI: String? { node.pointee.ns?.pointee.href.map { String(cString: $0) } }

    /// Whether the element is `localName` in `namespace`.
    func isNamed(_ localName: String, _ namespace: String) -> Bool {
        self.localName == localName && namespaceURI == namespace
    }

    /// The qualified name as written (e.g. `soap:Body`), for messages.
    var qualifiedName: String {
        guard let prefix = node.pointee.ns?.pointee.prefix else { return localName }
        return String(cString: prefix) + ":" + localName
    }

    /// The child elements, in order.
    var children: [Element] {
        var result: [Element] = []
        var child = node.pointee.children
        while let current = child {
            if current.pointee.type == XML_ELEMENT_NODE { result.append(Element(node: current)) }
            child = current.pointee.next
        }
        return result
    }

    /// The child elements named `localName` in `namespace`.
    func children(_ localName: String, _ namespace: String) -> [Element] {
        children.filter { $0.isNamed(localName, namespace) }
    }

    /// The first child element named `localName` in `namespace`.
    func child(_ localName: String, _ namespace: String) -> Element? {
        children.first { $0.isNamed(localName, namespace) }
    }

    /// The value of the attribute `name` in `namespace` (nil: an unqualified attribute); nil when absent.
    func attribute(_ name: String, namespace: String? = nil) -> String? {
        let value =
            if let namespace {
                xmlGetNsProp(node, xmlChars(name), xmlChars(namespace))
            } else {
                xmlGetNoNsProp(node, xmlChars(name))
            }
        guard let value else { return nil }
        defer { sedgate_xml_free(value) }
        return String(cString: value)
    }

    /// The concatenated text content.
    var text: String {
        guard let content = xmlNodeGetContent(node) else { return "" }
        defer { sedgate_xml_free(content) }
        return String(cString: content)
    }

    /// This element and all elements below it, in document order.
    var descendantsAndSelf: [Element] {
        var result: [Element] = []
        var stack: [xmlNodePtr] = [node]
        while let current = stack.popLast() {
            result.append(Element(node: current))
            var child = current.pointee.last
            while let previous = child {
                if previous.pointee.type == XML_ELEMENT_NODE { stack.append(previous) }
                child = previous.pointee.prev
            }
        }
        return result
    }
}

/// A NUL-terminated libxml2 string for `text`, to pass where a C function takes `const xmlChar *`.
func xmlChars(_ text: String) -> [xmlChar] {
    Array(text.utf8) + [0]
}

/// Base64 text decoded, ignoring whitespace (line breaks are legal in XML Signature and Encryption base64); nil when
/// it is not base64.
func decodeBase64(_ text: String) -> Data? {
    // Most base64 here has no line breaks (sedgate writes none): then nothing needs filtering.
    if !text.utf8.contains(where: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) {
        return Data(base64Encoded: text)
    }
    return Data(base64Encoded: String(text.unicodeScalars.filter { !" \t\r\n".unicodeScalars.contains($0) }))
}
