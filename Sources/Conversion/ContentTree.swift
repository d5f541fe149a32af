// ContentTree: the business part of one SED being built from records: elements found or made along the
// mapping's paths, rendered as indented XML in the SED envelope.

import Documents
import SedgateCore

/// A small ordered element tree for one SED's `<Content>`.
struct ContentTree {
    struct Element {
        let name: QName
        var attributes: [(name: QName, value: String)] = []
        var text: String?
        var children: [Int] = []
    }

    private(set) var elements: [Element]

    init(root: QName) {
        elements = [Element(name: root)]
    }

    /// The element under `base` along `steps`, made where missing; with `fresh`, the last step is always new
    /// (one element per repeated record).
    mutating func element(under base: Int, steps: [QName], fresh: Bool = false) -> Int {
        var current = base
        for (index, step) in steps.enumerated() {
            let isLast = index == steps.count - 1
            if !(fresh && isLast), let existing = elements[current].children.first(where: { elements[$0].name == step })
            {
                current = existing
                continue
            }
            elements.append(Element(name: step))
            elements[current].children.append(elements.count - 1)
            current = elements.count - 1
        }
        return current
    }

    /// Sets the value at `path` under `base` (an element's text, or an attribute).
    mutating func set(_ path: ElementPath, under base: Int, to value: String) {
        let target = element(under: base, steps: path.steps)
        if let attribute = path.attribute {
            elements[target].attributes.append((attribute, value))
        } else {
            elements[target].text = value
        }
    }

    /// The complete SED document: XML declaration, `<SED>`, the envelope, and this tree inside `<Content>`.
    func document(envelope: Envelope, namespaces: [(prefix: String, uri: String)]) -> [UInt8] {
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SED xmlns=\"\(EnvelopeXML.namespace)\">\n  <Envelope>\n"
        for (field, value) in envelope.fields {
            xml += "    <\(field.xmlName)>\(value.xmlEscaped)</\(field.xmlName)>\n"
        }
        xml += "  </Envelope>\n  <Content>\n"
        var declarations = ""
        for (prefix, uri) in namespaces { declarations += " xmlns:\(prefix)=\"\(uri.xmlEscaped)\"" }
        if elements[0].name.prefix == nil { declarations += " xmlns=\"\"" }
        render(0, depth: 2, extra: declarations, into: &xml)
        xml += "  </Content>\n</SED>\n"
        return Array(xml.utf8)
    }

    private func render(_ index: Int, depth: Int, extra: String, into xml: inout String) {
        let element = elements[index]
        let indent = String(repeating: "  ", count: depth)
        xml += indent + "<" + element.name.qualified + extra
        for (name, value) in element.attributes { xml += " \(name.qualified)=\"\(value.xmlEscaped)\"" }
        if element.children.isEmpty {
            if let text = element.text {
                xml += ">" + text.xmlEscaped + "</" + element.name.qualified + ">\n"
            } else {
                xml += "/>\n"
            }
            return
        }
        xml += ">\n"
        for child in element.children { render(child, depth: depth + 1, extra: "", into: &xml) }
        xml += indent + "</" + element.name.qualified + ">\n"
    }
}

extension XMLNode {
    /// The first child element with this name (namespace nil: no namespace).
    func child(_ name: QName) -> XMLNode? {
        children.first { $0.localName == name.local && $0.namespaceURI == name.namespace }
    }

    /// The node at the end of `steps`, or nil where an element is missing.
    func descendant(_ steps: [QName]) -> XMLNode? {
        var current: XMLNode? = self
        for step in steps { current = current?.child(step) }
        return current
    }

    /// Every element at the end of `steps` (the last step may repeat), in document order.
    func all(_ steps: [QName]) -> [XMLNode] {
        guard let last = steps.last, let parent = descendant(Array(steps.dropLast())) else { return [] }
        return parent.children.filter { $0.localName == last.local && $0.namespaceURI == last.namespace }
    }

    /// The value at `path`: the element's text or the attribute; nil when absent.
    func value(at path: ElementPath) -> (value: String, node: XMLNode)? {
        guard let node = descendant(path.steps) else { return nil }
        if let attribute = path.attribute {
            return node.attribute(attribute.local, namespace: attribute.namespace).map { ($0, node) }
        }
        return (node.text, node)
    }
}
