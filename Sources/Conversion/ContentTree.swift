// ContentTree: the business part of one SED being built from records: elements found or made along the
// mapping's paths, rendered as indented XML in the SED envelope. Names are interned once per file (ContentNames)
// and values are kept escaped in one byte store, so building and rendering a SED allocates almost nothing.

import Documents
import SedgateCore

/// The element and attribute names a mapping's bindings use, each with a small number and its output bytes.
struct ContentNames {
    private(set) var ids: [QName: Int] = [:]
    private(set) var names: [QName] = []
    /// Every name's `ae:Amount` as UTF-8, one after the other (one buffer, so rendering retains nothing per name).
    private(set) var bytes: [UInt8] = []
    /// Where each name's bytes are in `bytes`, by id.
    private(set) var spans: [Range<Int>] = []

    /// The id of `name`, made on first use.
    mutating func id(_ name: QName) -> Int {
        if let id = ids[name] { return id }
        ids[name] = names.count
        names.append(name)
        let start = bytes.count
        bytes.append(contentsOf: name.qualified.utf8)
        spans.append(start..<bytes.count)
        return names.count - 1
    }
}

/// A binding's path with its names interned.
struct CompiledPath {
    let steps: [Int]
    let attribute: Int?
}

/// A small ordered element tree for one SED's `<Content>`.
struct ContentTree {
    struct Element {
        let name: Int
        var firstChild = -1
        var lastChild = -1
        var next = -1
        var firstAttribute = -1
        var lastAttribute = -1
        /// The escaped text in `store`, if any.
        var text: Range<Int>?
    }

    struct Attribute {
        let name: Int
        let value: Range<Int>
        var next = -1
    }

    private(set) var elements: [Element] = []
    private var attributes: [Attribute] = []
    /// Escaped values.
    private var store: [UInt8] = []

    init(root: Int) {
        reset(root: root)
    }

    /// Empties the tree (keeping its memory) for the next SED.
    mutating func reset(root: Int) {
        elements.removeAll(keepingCapacity: true)
        attributes.removeAll(keepingCapacity: true)
        store.removeAll(keepingCapacity: true)
        elements.append(Element(name: root))
    }

    /// The element under `base` along `steps`, made where missing; with `fresh`, the last step is always new
    /// (one element per repeated record).
    mutating func element(under base: Int, steps: [Int], fresh: Bool = false) -> Int {
        var current = base
        for (index, step) in steps.enumerated() {
            let isLast = index == steps.count - 1
            if !(fresh && isLast) {
                var child = elements[current].firstChild
                while child >= 0 && elements[child].name != step { child = elements[child].next }
                if child >= 0 {
                    current = child
                    continue
                }
            }
            let made = elements.count
            elements.append(Element(name: step))
            if elements[current].lastChild >= 0 {
                elements[elements[current].lastChild].next = made
            } else {
                elements[current].firstChild = made
            }
            elements[current].lastChild = made
            current = made
        }
        return current
    }

    /// Sets the value at `path` under `base` (an element's text, or an attribute).
    mutating func set(_ path: CompiledPath, under base: Int, to value: String) {
        let target = element(under: base, steps: path.steps)
        let start = store.count
        store.appendXMLEscaped(value)
        let range = start..<store.count
        if let attribute = path.attribute {
            let made = attributes.count
            attributes.append(Attribute(name: attribute, value: range))
            if elements[target].lastAttribute >= 0 {
                attributes[elements[target].lastAttribute].next = made
            } else {
                elements[target].firstAttribute = made
            }
            elements[target].lastAttribute = made
        } else {
            elements[target].text = range
        }
    }

    /// The complete SED document: XML declaration, `<SED>`, the envelope's lines, and this tree inside
    /// `<Content>`; `declarations` are the namespace declarations of the content root (` xmlns:ae="…"`), as UTF-8.
    func document(envelope: EnvelopeLines, declarations: [UInt8], names: ContentNames) -> [UInt8] {
        var xml: [UInt8] = []
        xml.reserveCapacity(1024 + store.count + elements.count * 48)
        xml.append(contentsOf: Self.head)
        envelope.append(to: &xml)
        xml.append(contentsOf: Self.envelopeEnd)
        elements.withUnsafeBufferPointer { elements in
            attributes.withUnsafeBufferPointer { attributes in
                store.withUnsafeBufferPointer { store in
                    names.bytes.withUnsafeBufferPointer { nameBytes in
                        names.spans.withUnsafeBufferPointer { spans in
                            declarations.withUnsafeBufferPointer { declarations in
                                let renderer = Renderer(
                                    elements: elements, attributes: attributes, store: store, names: nameBytes,
                                    spans: spans)
                                renderer.render(0, depth: 2, extra: declarations, into: &xml)
                            }
                        }
                    }
                }
            }
        }
        xml.append(contentsOf: Self.documentEnd)
        return xml
    }

    private static let head = Array(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<SED xmlns=\"\(EnvelopeXML.namespace)\">\n  <Envelope>\n".utf8)
    private static let envelopeEnd = Array("  </Envelope>\n  <Content>\n".utf8)
    private static let documentEnd = Array("  </Content>\n</SED>\n".utf8)

    /// The tree's arrays seen through buffers for one rendering: appending from them retains and releases nothing.
    private struct Renderer {
        let elements: UnsafeBufferPointer<Element>
        let attributes: UnsafeBufferPointer<Attribute>
        let store: UnsafeBufferPointer<UInt8>
        let names: UnsafeBufferPointer<UInt8>
        let spans: UnsafeBufferPointer<Range<Int>>

        private func name(_ id: Int) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: names[spans[id]])
        }

        private func value(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
            UnsafeBufferPointer(rebasing: store[range])
        }

        /// Two spaces per level.
        private static func indent(_ depth: Int, into xml: inout [UInt8]) {
            for _ in 0..<(depth * 2) { xml.append(0x20) }
        }

        private static func append(_ text: StaticString, into xml: inout [UInt8]) {
            xml.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
        }

        func render(_ index: Int, depth: Int, extra: UnsafeBufferPointer<UInt8>, into xml: inout [UInt8]) {
            let element = elements[index]
            let name = name(element.name)
            Self.indent(depth, into: &xml)
            xml.append(UInt8(ascii: "<"))
            xml.append(contentsOf: name)
            xml.append(contentsOf: extra)
            var attribute = element.firstAttribute
            while attribute >= 0 {
                let current = attributes[attribute]
                xml.append(0x20)
                xml.append(contentsOf: self.name(current.name))
                Self.append("=\"", into: &xml)
                xml.append(contentsOf: value(current.value))
                xml.append(UInt8(ascii: "\""))
                attribute = current.next
            }
            if element.firstChild < 0 {
                if let text = element.text {
                    xml.append(UInt8(ascii: ">"))
                    xml.append(contentsOf: value(text))
                    Self.append("</", into: &xml)
                    xml.append(contentsOf: name)
                    Self.append(">\n", into: &xml)
                } else {
                    Self.append("/>\n", into: &xml)
                }
                return
            }
            Self.append(">\n", into: &xml)
            var child = element.firstChild
            while child >= 0 {
                render(child, depth: depth + 1, extra: UnsafeBufferPointer(start: nil, count: 0), into: &xml)
                child = elements[child].next
            }
            Self.indent(depth, into: &xml)
            Self.append("</", into: &xml)
            xml.append(contentsOf: name)
            Self.append(">\n", into: &xml)
        }
    }
}

/// The `<Envelope>` lines of a SED, one per present field in case order (as `envelope.fields` lists them), each
/// kept as bytes so that the next SED renders again only the fields that changed.
struct EnvelopeLines {
    /// By the field's position in `EnvelopeField.allCases`; empty for an absent field.
    private var lines: [[UInt8]]

    /// `    <SedId>` and `</SedId>\n` for each envelope field, in case order, with the field's position.
    private static let tags = EnvelopeField.allCases.map { field in
        (open: Array("    <\(field.xmlName)>".utf8), close: Array("</\(field.xmlName)>\n".utf8))
    }

    /// The lines of every field of `envelope`.
    init(_ envelope: Envelope) {
        lines = EnvelopeField.allCases.indices.map { Self.line(at: $0, of: envelope) }
    }

    /// Renders `field` again from `envelope`.
    mutating func update(_ field: EnvelopeField, from envelope: Envelope) {
        guard let position = EnvelopeField.allCases.firstIndex(of: field) else { return }
        lines[position] = Self.line(at: position, of: envelope)
    }

    func append(to xml: inout [UInt8]) {
        for line in lines { xml.append(contentsOf: line) }
    }

    private static func line(at position: Int, of envelope: Envelope) -> [UInt8] {
        guard let value = envelope[EnvelopeField.allCases[position]] else { return [] }
        var line = tags[position].open
        line.appendXMLEscaped(value)
        line.append(contentsOf: tags[position].close)
        return line
    }
}

extension [UInt8] {
    /// Appends `text` escaped for XML as `String.xmlEscaped` does it (`&`, `<`, `>`, `"`, `'`).
    mutating func appendXMLEscaped(_ text: String) {
        var text = text
        text.withUTF8 { bytes in
            var start = 0
            for (index, byte) in bytes.enumerated() {
                let entity: StaticString
                switch byte {
                case UInt8(ascii: "&"): entity = "&amp;"
                case UInt8(ascii: "<"): entity = "&lt;"
                case UInt8(ascii: ">"): entity = "&gt;"
                case UInt8(ascii: "\""): entity = "&quot;"
                case UInt8(ascii: "'"): entity = "&apos;"
                default: continue
                }
                append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                append(contentsOf: UnsafeBufferPointer(start: entity.utf8Start, count: entity.utf8CodeUnitCount))
                start = index + 1
            }
            append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }
}
