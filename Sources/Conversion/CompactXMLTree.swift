// CompactXMLTree: a SED document read by a strict byte scanner into a small element tree, for the flat writer's
// common case: UTF-8 XML of elements, attributes, text, namespace declarations and the predefined entities.
//
// Anything else (a comment, CDATA, a DOCTYPE, a processing instruction, a carriage return, a non-ASCII name, an
// undeclared prefix, a document over its limits, any well-formedness error) is declined: `parse` returns false
// and the caller parses with libxml2, which accepts or explains. So this reader accepts only documents libxml2
// accepts, and gives the same elements, text (entities replaced, descendants' text concatenated), attributes,
// lines and paths. It reuses its memory from one document to the next.

import Documents
import Glibc

/// The elements of one SED document, parsed without libxml2; declines what it does not fully understand.
final class CompactXMLTree {
    struct Element {
        /// The local name, as a range of the document's bytes.
        var local: Range<Int>
        /// The qualified name as written (for the end tag).
        var qualified: Range<Int>
        /// The namespace: an index into `uris`, or -1 for none.
        var uri: Int
        var parent: Int
        var firstChild = -1
        var lastChild = -1
        var next = -1
        /// The text of the element and its descendants, in document order, in `text`.
        var text: Range<Int>
        /// The element's attributes, in `attributes`.
        var attributes: Range<Int>
        /// The offset of the start tag's `>` (or of the `/` of `/>`), where libxml2 takes the element's line.
        var tagEnd: Int
    }

    struct Attribute {
        var local: Range<Int>
        var uri: Int
        /// The value, entities replaced, in `text`.
        var value: Range<Int>
    }

    private(set) var bytes: [UInt8] = []
    private(set) var elements: [Element] = []
    private(set) var attributes: [Attribute] = []
    /// Decoded character data, in document order (an element's text is one range of it).
    private(set) var text: [UInt8] = []
    /// Decoded attribute values and namespace URIs.
    private(set) var values: [UInt8] = []
    /// Namespace URIs, decoded, one entry per distinct URI of the document.
    private(set) var uris: [[UInt8]] = []

    /// The root element, once `parse` succeeded.
    var root: Node { Node(tree: self, index: 0) }

    /// Reads `document`; false (the tree then holds nothing useful) when the document is not in the plain form
    /// this reader understands, or breaks `limits`.
    func parse(_ document: [UInt8], limits: XMLLimits = .default) -> Bool {
        bytes = document
        elements.removeAll(keepingCapacity: true)
        attributes.removeAll(keepingCapacity: true)
        text.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
        uris.removeAll(keepingCapacity: true)
        guard !document.isEmpty, document.count <= limits.maxBytes else { return false }
        return document.withUnsafeBufferPointer { buffer in
            var scanner = CompactXMLScanner(bytes: buffer, tree: self, limits: limits)
            return scanner.document()
        }
    }

    // Mutators for the scanner (kept here so the arrays stay private(set)).

    fileprivate func addElement(_ element: Element) -> Int {
        elements.append(element)
        let index = elements.count - 1
        let parent = element.parent
        if parent >= 0 {
            if elements[parent].lastChild >= 0 {
                elements[elements[parent].lastChild].next = index
            } else {
                elements[parent].firstChild = index
            }
            elements[parent].lastChild = index
        }
        return index
    }

    fileprivate func closeElement(_ index: Int) {
        elements[index].text = elements[index].text.lowerBound..<text.count
    }

    fileprivate func addAttribute(_ attribute: Attribute) {
        attributes.append(attribute)
    }

    fileprivate func setAttributeURI(_ index: Int, _ uri: Int) {
        attributes[index].uri = uri
    }

    fileprivate func append(_ run: UnsafeBufferPointer<UInt8>, toValues: Bool) {
        if toValues { values.append(contentsOf: run) } else { text.append(contentsOf: run) }
    }

    fileprivate func append(_ byte: UInt8, toValues: Bool) {
        if toValues { values.append(byte) } else { text.append(byte) }
    }

    fileprivate var textCount: Int { text.count }
    fileprivate var valuesCount: Int { values.count }

    /// The index of `uri` (decoded bytes in `values[range]`) in `uris`, added on first use.
    fileprivate func intern(uri range: Range<Int>) -> Int {
        let value = values[range]
        if let found = uris.firstIndex(where: { $0.elementsEqual(value) }) { return found }
        uris.append(Array(value))
        return uris.count - 1
    }

    /// Whether the bytes of `range` in the document equal `name`'s UTF-8.
    func bytes(_ range: Range<Int>, equal name: String) -> Bool {
        var name = name
        return name.withUTF8 { utf8 in
            guard utf8.count == range.count else { return false }
            return bytes.withUnsafeBufferPointer { buffer in
                utf8.count == 0 || memcmp(buffer.baseAddress! + range.lowerBound, utf8.baseAddress!, utf8.count) == 0
            }
        }
    }

    /// Whether namespace `uri` (-1: none) is `namespace` (nil: none).
    func uri(_ uri: Int, is namespace: String?) -> Bool {
        guard let namespace else { return uri < 0 }
        guard uri >= 0 else { return false }
        var wanted = namespace
        return wanted.withUTF8 { utf8 in
            uris[uri].withUnsafeBufferPointer { found in
                found.count == utf8.count
                    && (utf8.isEmpty || memcmp(found.baseAddress!, utf8.baseAddress!, utf8.count) == 0)
            }
        }
    }

    /// One element of the tree, with the look-ups the flat writer makes.
    struct Node {
        let tree: CompactXMLTree
        let index: Int

        private var element: Element { tree.elements[index] }

        /// Whether the element is `local` in `namespace` (nil: no namespace).
        func isNamed(_ local: String, namespace: String?) -> Bool {
            tree.bytes(element.local, equal: local) && tree.uri(element.uri, is: namespace)
        }

        /// The element's text and its descendants', as libxml2's xmlNodeGetContent gives it.
        var text: String {
            let range = element.text
            return tree.text.withUnsafeBufferPointer {
                String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self)
            }
        }

        /// The value of the attribute `local` in `namespace` (nil: an unprefixed attribute).
        func attribute(_ local: String, namespace: String?) -> String? {
            for index in element.attributes {
                let attribute = tree.attributes[index]
                guard tree.bytes(attribute.local, equal: local), tree.uri(attribute.uri, is: namespace) else {
                    continue
                }
                return tree.values.withUnsafeBufferPointer {
                    String(decoding: UnsafeBufferPointer(rebasing: $0[attribute.value]), as: UTF8.self)
                }
            }
            return nil
        }

        /// The element children named `name`, in document order, while `body` returns true.
        func forEachChild(_ name: QName, _ body: (Node) -> Bool) {
            var child = element.firstChild
            while child >= 0 {
                let node = Node(tree: tree, index: child)
                if node.isNamed(name.local, namespace: name.namespace), !body(node) { return }
                child = tree.elements[child].next
            }
        }

        /// Every element child, in document order.
        var children: [Node] {
            var result: [Node] = []
            var child = element.firstChild
            while child >= 0 {
                result.append(Node(tree: tree, index: child))
                child = tree.elements[child].next
            }
            return result
        }

        /// The 1-based line of the start tag's end, where libxml2 places an element.
        var line: Int {
            let end = element.tagEnd
            return tree.bytes.withUnsafeBufferPointer { buffer in
                var line = 1
                for byte in buffer[..<end] where byte == 0x0A { line += 1 }
                return line
            }
        }

        /// The element's path from the root by local names, e.g. `/SED/Content/ae:Claim` → `/SED/Content/Claim`.
        var path: String {
            var names: [String] = []
            var current = index
            while current >= 0 {
                let local = tree.elements[current].local
                names.append(String(decoding: tree.bytes[local], as: UTF8.self))
                current = tree.elements[current].parent
            }
            return "/" + names.reversed().joined(separator: "/")
        }
    }
}

/// The byte scanner behind `CompactXMLTree.parse`: one pass, declining (false) at the first thing it does not
/// handle exactly as libxml2 would.
private struct CompactXMLScanner {
    let bytes: UnsafeBufferPointer<UInt8>
    let base: UnsafePointer<UInt8>
    let count: Int
    let tree: CompactXMLTree
    let limits: XMLLimits
    var index = 0
    /// In-scope namespace declarations, innermost last: the prefix (nil range for the default) and its URI (-1:
    /// undeclared, from `xmlns=""`).
    var scopes: [(prefix: Range<Int>?, uri: Int)] = []

    init(bytes: UnsafeBufferPointer<UInt8>, tree: CompactXMLTree, limits: XMLLimits) {
        self.bytes = bytes
        self.base = bytes.baseAddress!
        self.count = bytes.count
        self.tree = tree
        self.limits = limits
    }

    /// `<?xml version="1.0" encoding="UTF-8"?>`, as sedgate and most producers write it.
    static let declaration = Array(#"<?xml version="1.0" encoding="UTF-8"?>"#.utf8)

    mutating func document() -> Bool {
        // libxml2 turns CR and CRLF into LF; such documents take its path.
        guard memchr(base, 0x0D, count) == nil else { return false }
        let declaration = Self.declaration
        if count >= declaration.count, memcmp(base, declaration, declaration.count) == 0 {
            index = declaration.count
        } else if byte(0) == UInt8(ascii: "<") && byte(1) == UInt8(ascii: "?") {
            return false
        }
        skipSpace()
        guard byte(index) == UInt8(ascii: "<"), element(parent: -1, depth: 1) else { return false }
        skipSpace()
        return index == count
    }

    func byte(_ at: Int) -> UInt8 { at < count ? bytes[at] : 0 }

    mutating func skipSpace() {
        while index < count, Self.isSpace(bytes[index]) { index += 1 }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A }

    static func isNameStart(_ byte: UInt8) -> Bool {
        (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_")
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        isNameStart(byte) || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
            || byte == UInt8(ascii: ".")
    }

    /// A name with at most one colon, both parts plain ASCII names: the qualified range and the colon's index.
    mutating func qualifiedName() -> (name: Range<Int>, colon: Int?)? {
        let start = index
        guard index < count, Self.isNameStart(bytes[index]) else { return nil }
        index += 1
        var colon: Int?
        while index < count {
            let byte = bytes[index]
            if Self.isNameByte(byte) {
                index += 1
            } else if byte == UInt8(ascii: ":") && colon == nil && index + 1 < count
                && Self.isNameStart(bytes[index + 1])
            {
                colon = index
                index += 2
            } else {
                break
            }
        }
        // A name must end at a delimiter (a non-ASCII name character takes the libxml2 path).
        guard index < count, bytes[index] < 0x80, bytes[index] != UInt8(ascii: ":") else { return nil }
        return (start..<index, colon)
    }

    func equalBytes(_ a: Range<Int>, _ b: Range<Int>) -> Bool {
        a.count == b.count && memcmp(base + a.lowerBound, base + b.lowerBound, a.count) == 0
    }

    func isBytes(_ range: Range<Int>, _ text: StaticString) -> Bool {
        range.count == text.utf8CodeUnitCount && memcmp(base + range.lowerBound, text.utf8Start, range.count) == 0
    }

    /// The URI bound to `prefix` (nil: the default namespace): an index in `uris`, -1 for none, nil when the
    /// prefix is not declared.
    func resolve(_ prefix: Range<Int>?) -> Int? {
        for scope in scopes.reversed() {
            switch (scope.prefix, prefix) {
            case (nil, nil): return scope.uri
            case (let declared?, let wanted?) where equalBytes(declared, wanted): return scope.uri
            default: continue
            }
        }
        return prefix == nil ? -1 : nil
    }

    /// Whether the tag whose declarations start at `mark` in `scopes` already declared `prefix` (nil: default).
    func declares(_ prefix: Range<Int>?, since mark: Int) -> Bool {
        scopes[mark...].contains { scope in
            switch (scope.prefix, prefix) {
            case (nil, nil): return true
            case (let declared?, let wanted?): return equalBytes(declared, wanted)
            default: return false
            }
        }
    }

    /// One element from its `<`, with its content and end tag.
    mutating func element(parent: Int, depth: Int) -> Bool {
        // XMLPrescan counts start and end tags as nodes: two per element, at most.
        guard depth <= limits.maxDepth, (tree.elements.count + 1) * 2 <= limits.maxNodes else { return false }
        index += 1
        guard let (qualified, colon) = qualifiedName() else { return false }
        let scopeMark = scopes.count
        let firstAttribute = tree.attributes.count
        var prefixes: [Range<Int>?] = []
        // Attributes and namespace declarations, up to `>` or `/>`.
        var selfClosing = false
        while true {
            let spaced = index < count && Self.isSpace(bytes[index])
            skipSpace()
            guard index < count else { return false }
            if bytes[index] == UInt8(ascii: ">") { break }
            if bytes[index] == UInt8(ascii: "/") {
                guard byte(index + 1) == UInt8(ascii: ">") else { return false }
                selfClosing = true
                break
            }
            guard spaced, let (name, nameColon) = qualifiedName() else { return false }
            skipSpace()
            guard byte(index) == UInt8(ascii: "=") else { return false }
            index += 1
            skipSpace()
            guard let value = attributeValue() else { return false }
            let prefix = nameColon.map { name.lowerBound..<$0 }
            let local = nameColon.map { ($0 + 1)..<name.upperBound } ?? name
            if prefix == nil && isBytes(name, "xmlns") {
                guard !declares(nil, since: scopeMark) else { return false }
                scopes.append((nil, value.isEmpty ? -1 : tree.intern(uri: value)))
            } else if let prefix, isBytes(prefix, "xmlns") {
                // `xmlns:p=""`, re-binding xml or xmlns, and declaring a prefix twice are errors libxml2 reports.
                guard !value.isEmpty, !isBytes(local, "xml"), !isBytes(local, "xmlns"),
                    !declares(local, since: scopeMark)
                else { return false }
                scopes.append((local, tree.intern(uri: value)))
            } else {
                tree.addAttribute(CompactXMLTree.Attribute(local: local, uri: -1, value: value))
                prefixes.append(prefix)
            }
        }
        let attributeRange = firstAttribute..<tree.attributes.count
        let declarations = scopes.count - scopeMark
        // Many attributes take libxml2's path (which refuses attribute bombs); the pairwise check stays small.
        guard attributeRange.count + declarations <= limits.maxAttributes, attributeRange.count <= 32 else {
            return false
        }
        // Unprefixed attributes are in no namespace; a prefixed one takes its prefix's URI.
        for (offset, attributeIndex) in attributeRange.enumerated() {
            guard let prefix = prefixes[offset] else { continue }
            guard !isBytes(prefix, "xml"), let uri = resolve(prefix), uri >= 0 else { return false }
            tree.setAttributeURI(attributeIndex, uri)
        }
        for first in attributeRange {
            for second in attributeRange where second > first {
                let a = tree.attributes[first]
                let b = tree.attributes[second]
                if a.uri == b.uri && equalBytes(a.local, b.local) { return false }
            }
        }
        let prefix = colon.map { qualified.lowerBound..<$0 }
        if let prefix, isBytes(prefix, "xml") || isBytes(prefix, "xmlns") { return false }
        guard let uri = resolve(prefix) else { return false }
        let local = colon.map { ($0 + 1)..<qualified.upperBound } ?? qualified
        let made = tree.addElement(
            CompactXMLTree.Element(
                local: local, qualified: qualified, uri: uri, parent: parent,
                text: tree.textCount..<tree.textCount, attributes: attributeRange, tagEnd: index))
        if selfClosing {
            index += 2
        } else {
            index += 1
            guard content(of: made, qualified: qualified, depth: depth) else { return false }
        }
        tree.closeElement(made)
        scopes.removeSubrange(scopeMark...)
        return true
    }

    /// Text and child elements up to the matching end tag, which is consumed.
    mutating func content(of parent: Int, qualified: Range<Int>, depth: Int) -> Bool {
        while true {
            guard characters(stop: UInt8(ascii: "<")) else { return false }
            guard index < count else { return false }
            let next = byte(index + 1)
            if next == UInt8(ascii: "/") {
                index += 2
                guard let (name, _) = qualifiedName(), equalBytes(name, qualified) else { return false }
                skipSpace()
                guard byte(index) == UInt8(ascii: ">") else { return false }
                index += 1
                return true
            }
            // Comments, CDATA, processing instructions: libxml2's business.
            guard next != UInt8(ascii: "!"), next != UInt8(ascii: "?") else { return false }
            guard element(parent: parent, depth: depth + 1) else { return false }
        }
    }

    /// A quoted attribute value, entities replaced, appended to the tree's text; its range there.
    mutating func attributeValue() -> Range<Int>? {
        let quote = byte(index)
        guard quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") else { return nil }
        index += 1
        let start = tree.valuesCount
        // Tabs and line ends in values are normalised to spaces by libxml2: its path.
        guard characters(stop: quote, inAttribute: true), index < count else { return nil }
        index += 1
        return start..<tree.valuesCount
    }

    /// Character data up to `stop` (not consumed) or the end, appended to the tree's text with entities replaced;
    /// false for anything XML does not allow there or this reader leaves to libxml2.
    mutating func characters(stop: UInt8, inAttribute: Bool = false) -> Bool {
        var run = index
        func flush(_ end: Int) {
            if end > run {
                tree.append(UnsafeBufferPointer(start: base + run, count: end - run), toValues: inAttribute)
            }
        }
        while index < count {
            let byte = bytes[index]
            if byte == stop {
                flush(index)
                return true
            }
            if byte >= 0x20 && byte < 0x80 {
                switch byte {
                case UInt8(ascii: "&"):
                    flush(index)
                    guard reference(inAttribute: inAttribute) else { return false }
                    run = index
                    continue
                case UInt8(ascii: "<"):
                    return false
                case UInt8(ascii: ">") where !inAttribute:
                    // `]]>` is not allowed in text.
                    if index >= 2 && bytes[index - 1] == UInt8(ascii: "]") && bytes[index - 2] == UInt8(ascii: "]") {
                        return false
                    }
                default: break
                }
                index += 1
            } else if byte < 0x20 {
                guard !inAttribute, byte == 0x09 || byte == 0x0A else { return false }
                index += 1
            } else {
                guard let length = utf8Sequence(at: index) else { return false }
                index += length
            }
        }
        flush(index)
        return true
    }

    /// The length of the valid UTF-8 sequence of an XML character at `at` (lead byte 0x80 or more), nil if none.
    func utf8Sequence(at start: Int) -> Int? {
        let lead = bytes[start]
        func continuation(_ offset: Int, _ low: UInt8 = 0x80, _ high: UInt8 = 0xBF) -> Bool {
            start + offset < count && bytes[start + offset] >= low && bytes[start + offset] <= high
        }
        switch lead {
        case 0xC2...0xDF:
            return continuation(1) ? 2 : nil
        case 0xE0:
            return continuation(1, 0xA0) && continuation(2) ? 3 : nil
        case 0xED:
            return continuation(1, 0x80, 0x9F) && continuation(2) ? 3 : nil
        case 0xEF:
            guard continuation(1) && continuation(2) else { return nil }
            // U+FFFE and U+FFFF are not XML characters.
            if bytes[start + 1] == 0xBF && bytes[start + 2] >= 0xBE { return nil }
            return 3
        case 0xE1...0xEC, 0xEE:
            return continuation(1) && continuation(2) ? 3 : nil
        case 0xF0:
            return continuation(1, 0x90) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF1...0xF3:
            return continuation(1) && continuation(2) && continuation(3) ? 4 : nil
        case 0xF4:
            return continuation(1, 0x80, 0x8F) && continuation(2) && continuation(3) ? 4 : nil
        default:
            return nil
        }
    }

    /// A predefined entity or character reference from its `&`, its character appended to the tree's text.
    mutating func reference(inAttribute: Bool) -> Bool {
        let start = index + 1
        var end = start
        while end < count && end - start < 12 && bytes[end] != UInt8(ascii: ";") { end += 1 }
        guard end < count, bytes[end] == UInt8(ascii: ";") else { return false }
        let name = start..<end
        index = end + 1
        if isBytes(name, "amp") { tree.append(UInt8(ascii: "&"), toValues: inAttribute); return true }
        if isBytes(name, "lt") { tree.append(UInt8(ascii: "<"), toValues: inAttribute); return true }
        if isBytes(name, "gt") { tree.append(UInt8(ascii: ">"), toValues: inAttribute); return true }
        if isBytes(name, "quot") { tree.append(UInt8(ascii: "\""), toValues: inAttribute); return true }
        if isBytes(name, "apos") { tree.append(UInt8(ascii: "'"), toValues: inAttribute); return true }
        guard name.count >= 2, bytes[start] == UInt8(ascii: "#") else { return false }
        var value: UInt32 = 0
        let hex = bytes[start + 1] == UInt8(ascii: "x")
        let digits = (start + (hex ? 2 : 1))..<end
        guard !digits.isEmpty, digits.count <= 6 else { return false }
        for position in digits {
            let byte = bytes[position]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: return false
            }
            value = value * (hex ? 16 : 10) + digit
        }
        let isChar =
            value == 0x09 || value == 0x0A || value == 0x0D || (0x20...0xD7FF).contains(value)
            || (0xE000...0xFFFD).contains(value) || (0x10000...0x10FFFF).contains(value)
        guard isChar, let scalar = Unicode.Scalar(value) else { return false }
        for unit in UTF8.encode(scalar)! { tree.append(unit, toValues: inAttribute) }
        return true
    }
}
