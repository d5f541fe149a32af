// OwnCanonicalForm: exclusive XML canonicalisation (exc-c14n, without comments) of an element this node wrote
// itself, straight from its text: no parse into a tree, no xmlsec node sets. Used to digest what a node signs.
//
// Takes only the XML sedgate writes: elements, attributes in either quotes, text with the predefined entities and
// character references. A comment, processing instruction, CDATA section or DOCTYPE is refused (the caller then
// signs another way). Never used on received bytes: those are verified through libxml2 (MessageSignature.verify).
// Names and values are kept as ranges of the text, so an element costs no copies.

import SedgateCore

/// The exclusive canonical form of one element written by this node.
struct OwnCanonicalForm {
    /// The canonical bytes.
    private(set) var bytes: [UInt8] = []

    /// Namespace declarations in scope in the document (prefix, URI; "" is the default namespace), innermost last.
    private var declared: [(prefix: [UInt8], uri: [UInt8])]
    /// Namespace declarations already written to the output, innermost last.
    private var rendered: [(prefix: [UInt8], uri: [UInt8])] = []
    /// For each open element: how many entries it added to `declared` and to `rendered`, and its name in the text.
    private var open: [(declared: Int, rendered: Int, name: Range<Int>)] = []
    /// The attributes of the start tag being read (name and raw value in the text), reused from tag to tag.
    private var attributes: [(name: Range<Int>, value: Range<Int>)] = []
    /// The prefixes the start tag being read uses (an empty range: the default namespace), reused from tag to tag.
    private var used: [Range<Int>] = []

    /// Canonicalises `text`, one element and its content, whose ancestors declare `namespaces` (prefix → URI).
    /// Throws `.protocolViolation` for markup this canonicaliser does not take (the caller signs another way).
    init(_ text: [UInt8], namespaces: [String: String]) throws(SedgateError) {
        declared = namespaces.map { (Array($0.key.utf8), Array($0.value.utf8)) }
        bytes.reserveCapacity(text.count + 256)
        try text.withUnsafeBufferPointer { (input) throws(SedgateError) in try run(input) }
    }

    private static func refuse(_ what: String) -> SedgateError {
        SedgateError(.protocolViolation, "cannot canonicalise the element to sign directly: \(what)")
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    private mutating func run(_ input: UnsafeBufferPointer<UInt8>) throws(SedgateError) {
        var index = 0
        while index < input.count {
            if input[index] != UInt8(ascii: "<") {
                var end = index
                while end < input.count, input[end] != UInt8(ascii: "<") { end += 1 }
                try write(input, index..<end, attribute: false)
                index = end
                continue
            }
            guard index + 1 < input.count else { throw Self.refuse("the text ends inside a tag") }
            switch input[index + 1] {
            case UInt8(ascii: "/"):
                var end = index + 2
                while end < input.count, input[end] != UInt8(ascii: ">") { end += 1 }
                var nameEnd = index + 2
                while nameEnd < end, !Self.isSpace(input[nameEnd]) { nameEnd += 1 }
                guard end < input.count, let element = open.popLast(),
                    input[element.name].elementsEqual(input[(index + 2)..<nameEnd])
                else { throw Self.refuse("an unmatched end tag") }
                close(input, element)
                index = end + 1
            case UInt8(ascii: "!"), UInt8(ascii: "?"):
                throw Self.refuse("a comment, CDATA section, DOCTYPE or processing instruction")
            default:
                index = try startTag(input, from: index + 1)
            }
        }
        guard open.isEmpty else { throw Self.refuse("an element is not closed") }
    }

    private mutating func close(
        _ input: UnsafeBufferPointer<UInt8>, _ element: (declared: Int, rendered: Int, name: Range<Int>)
    ) {
        bytes.append(contentsOf: "</".utf8)
        bytes.append(contentsOf: input[element.name])
        bytes.append(UInt8(ascii: ">"))
        declared.removeLast(element.declared)
        rendered.removeLast(element.rendered)
    }

    /// Reads a start tag from just after its "<" and writes it; returns the index after its ">".
    private mutating func startTag(_ input: UnsafeBufferPointer<UInt8>, from start: Int) throws(SedgateError) -> Int {
        var index = start
        while index < input.count, !Self.isSpace(input[index]), input[index] != UInt8(ascii: "/"),
            input[index] != UInt8(ascii: ">")
        {
            index += 1
        }
        let name = start..<index
        attributes.removeAll(keepingCapacity: true)
        var declarations = 0
        var empty = false
        while true {
            while index < input.count, Self.isSpace(input[index]) { index += 1 }
            guard index < input.count else { throw Self.refuse("the text ends inside a start tag") }
            if input[index] == UInt8(ascii: ">") {
                index += 1
                break
            }
            if input[index] == UInt8(ascii: "/") {
                guard index + 1 < input.count, input[index + 1] == UInt8(ascii: ">") else {
                    throw Self.refuse("a stray / in a start tag")
                }
                empty = true
                index += 2
                break
            }
            let nameStart = index
            while index < input.count, input[index] != UInt8(ascii: "="), !Self.isSpace(input[index]) { index += 1 }
            let attributeName = nameStart..<index
            while index < input.count, input[index] != UInt8(ascii: "=") { index += 1 }
            index += 1
            while index < input.count, Self.isSpace(input[index]) { index += 1 }
            guard index < input.count, input[index] == UInt8(ascii: "\"") || input[index] == UInt8(ascii: "'") else {
                throw Self.refuse("an attribute value without quotes")
            }
            let quote = input[index]
            let valueStart = index + 1
            index = valueStart
            while index < input.count, input[index] != quote { index += 1 }
            guard index < input.count else { throw Self.refuse("an attribute value is not closed") }
            let value = valueStart..<index
            index += 1
            let attribute = input[attributeName]
            if attribute.elementsEqual("xmlns".utf8) {
                declared.append(([], try Self.decode(input, value)))
                declarations += 1
            } else if attribute.starts(with: "xmlns:".utf8) {
                declared.append((Array(attribute.dropFirst(6)), try Self.decode(input, value)))
                declarations += 1
            } else {
                attributes.append((attributeName, value))
            }
        }
        try element(input, name, declarations: declarations)
        if empty, let element = open.popLast() { close(input, element) }
        return index
    }

    /// Writes a start tag: the namespaces it visibly uses that the output does not have yet, then its attributes
    /// sorted by namespace URI and local name.
    private mutating func element(
        _ input: UnsafeBufferPointer<UInt8>, _ name: Range<Int>, declarations: Int
    ) throws(SedgateError) {
        used.removeAll(keepingCapacity: true)
        used.append(Self.prefix(of: name, in: input) ?? name.lowerBound..<name.lowerBound)
        // Each attribute's namespace (an index in `declared`; nil: none; -1: the xml namespace).
        var namespaces: [Int?] = []
        for attribute in attributes {
            guard let prefix = Self.prefix(of: attribute.name, in: input) else {
                namespaces.append(nil)
                continue
            }
            if input[prefix].elementsEqual("xml".utf8) {
                namespaces.append(-1)
                continue
            }
            guard let found = declaration(of: input[prefix], in: declared) else {
                throw Self.refuse("an undeclared prefix")
            }
            if !used.contains(where: { input[$0].elementsEqual(input[prefix]) }) { used.append(prefix) }
            namespaces.append(found)
        }
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: input[name])
        if used.count > 1 { used.sort { input[$0].lexicographicallyPrecedes(input[$1]) } }
        var renderedHere = 0
        for prefix in used {
            let uri = declaration(of: input[prefix], in: declared).map { declared[$0].uri } ?? []
            guard prefix.isEmpty || !uri.isEmpty else { throw Self.refuse("an undeclared prefix") }
            let current = declaration(of: input[prefix], in: rendered).map { rendered[$0].uri } ?? []
            guard current != uri else { continue }
            bytes.append(contentsOf: " xmlns".utf8)
            if !prefix.isEmpty {
                bytes.append(UInt8(ascii: ":"))
                bytes.append(contentsOf: input[prefix])
            }
            bytes.append(contentsOf: "=\"".utf8)
            Self.escape(uri, attribute: true, into: &bytes)
            bytes.append(UInt8(ascii: "\""))
            rendered.append((Array(input[prefix]), uri))
            renderedHere += 1
        }
        var order = Array(attributes.indices)
        if order.count > 1 {
            let xml = Array("http://www.w3.org/XML/1998/namespace".utf8)
            let keys: [(uri: [UInt8], local: Range<Int>)] = attributes.indices.map { index in
                let uri = namespaces[index].map { $0 < 0 ? xml : declared[$0].uri } ?? []
                let name = attributes[index].name
                let local = Self.prefix(of: name, in: input).map { ($0.upperBound + 1)..<name.upperBound } ?? name
                return (uri, local)
            }
            order.sort { left, right in
                keys[left].uri == keys[right].uri
                    ? input[keys[left].local].lexicographicallyPrecedes(input[keys[right].local])
                    : keys[left].uri.lexicographicallyPrecedes(keys[right].uri)
            }
        }
        for index in order {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: input[attributes[index].name])
            bytes.append(contentsOf: "=\"".utf8)
            try write(input, attributes[index].value, attribute: true)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
        open.append((declarations, renderedHere, name))
    }

    /// The index of the innermost declaration of `prefix` in `scope`.
    private func declaration(
        of prefix: Slice<UnsafeBufferPointer<UInt8>>, in scope: [(prefix: [UInt8], uri: [UInt8])]
    ) -> Int? {
        scope.lastIndex { $0.prefix.elementsEqual(prefix) }
    }

    /// The prefix of the qualified name at `name`, as a range of the text; nil when it has none.
    private static func prefix(of name: Range<Int>, in input: UnsafeBufferPointer<UInt8>) -> Range<Int>? {
        input[name].firstIndex(of: UInt8(ascii: ":")).map { name.lowerBound..<$0 }
    }

    /// Writes text or an attribute value from the text at `range`, canonically escaped; most of it (base64, ids,
    /// URIs) holds nothing to decode or escape and is copied as it is.
    private mutating func write(
        _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, attribute: Bool
    ) throws(SedgateError) {
        let plain = !input[range].contains { byte in
            byte == 0x26 || byte == 0x0D || (attribute ? byte == 0x09 || byte == 0x0A || byte == 0x22 : byte == 0x3E)
        }
        if plain {
            bytes.append(contentsOf: input[range])
        } else {
            Self.escape(try Self.decode(input, range, attribute: attribute), attribute: attribute, into: &bytes)
        }
    }

    /// Text or an attribute value as the parser reports it: entities and character references replaced, line ends
    /// normalised, and in an attribute value white space characters written literally read as spaces.
    private static func decode(
        _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, attribute: Bool = true
    ) throws(SedgateError) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(range.count)
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = input[index]
            switch byte {
            case 0x0D:
                if index + 1 < range.upperBound, input[index + 1] == 0x0A { index += 1 }
                output.append(attribute ? 0x20 : 0x0A)
            case 0x09, 0x0A:
                output.append(attribute ? 0x20 : byte)
            case 0x26:
                guard let semicolon = input[index..<range.upperBound].firstIndex(of: UInt8(ascii: ";")) else {
                    throw refuse("an unterminated entity reference")
                }
                let entity = String(decoding: input[(index + 1)..<semicolon], as: UTF8.self)
                switch entity {
                case "amp": output.append(0x26)
                case "lt": output.append(0x3C)
                case "gt": output.append(0x3E)
                case "quot": output.append(0x22)
                case "apos": output.append(0x27)
                default:
                    let number =
                        entity.hasPrefix("#x")
                        ? UInt32(entity.dropFirst(2), radix: 16)
                        : entity.hasPrefix("#") ? UInt32(entity.dropFirst()) : nil
                    guard let number, let scalar = Unicode.Scalar(number) else {
                        throw refuse("the entity &\(entity);")
                    }
                    output.append(contentsOf: String(Character(scalar)).utf8)
                }
                index = semicolon
            default:
                output.append(byte)
            }
            index += 1
        }
        return output
    }

    /// Appends `value` escaped as exc-c14n writes text or attribute values.
    private static func escape(_ value: [UInt8], attribute: Bool, into output: inout [UInt8]) {
        for byte in value {
            switch byte {
            case 0x26: output.append(contentsOf: "&amp;".utf8)
            case 0x3C: output.append(contentsOf: "&lt;".utf8)
            case 0x3E where !attribute: output.append(contentsOf: "&gt;".utf8)
            case 0x22 where attribute: output.append(contentsOf: "&quot;".utf8)
            case 0x09 where attribute: output.append(contentsOf: "&#x9;".utf8)
            case 0x0A where attribute: output.append(contentsOf: "&#xA;".utf8)
            case 0x0D: output.append(contentsOf: "&#xD;".utf8)
            default: output.append(byte)
            }
        }
    }
}
