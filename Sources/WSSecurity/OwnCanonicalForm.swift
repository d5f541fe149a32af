// OwnCanonicalForm: exclusive XML canonicalisation (exc-c14n, without comments) of an element this node wrote
// itself, straight from its text: no parse into a tree, no xmlsec node sets. Used to digest what a node signs.
//
// Takes only the XML sedgate writes: elements, attributes in either quotes, text with the predefined entities and
// character references. A comment, processing instruction, CDATA section or DOCTYPE is refused (the caller then
// signs through xmlsec). Never used on received bytes: those are verified through libxml2 and xmlsec.

import SedgateCore

/// The exclusive canonical form of one element written by this node.
struct OwnCanonicalForm {
    /// The canonical bytes.
    private(set) var bytes: [UInt8] = []

    /// Namespace declarations in scope in the document (prefix, URI; "" is the default namespace), innermost last.
    private var declared: [(prefix: [UInt8], uri: [UInt8])]
    /// Namespace declarations already written to the output, innermost last.
    private var rendered: [(prefix: [UInt8], uri: [UInt8])] = []
    /// For each open element: how many entries it added to `declared` and to `rendered`, and its name.
    private var open: [(declared: Int, rendered: Int, name: ArraySlice<UInt8>)] = []

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

    private mutating func run(_ input: UnsafeBufferPointer<UInt8>) throws(SedgateError) {
        var index = 0
        while index < input.count {
            if input[index] != UInt8(ascii: "<") {
                var end = index
                while end < input.count, input[end] != UInt8(ascii: "<") { end += 1 }
                try text(input, index..<end)
                index = end
                continue
            }
            guard index + 1 < input.count else { throw Self.refuse("the text ends inside a tag") }
            switch input[index + 1] {
            case UInt8(ascii: "/"):
                var end = index + 2
                while end < input.count, input[end] != UInt8(ascii: ">") { end += 1 }
                guard end < input.count, let element = open.popLast(),
                    element.name.elementsEqual(input[(index + 2)..<end].prefix { !Self.isSpace($0) })
                else { throw Self.refuse("an unmatched end tag") }
                close(element)
                index = end + 1
            case UInt8(ascii: "!"), UInt8(ascii: "?"):
                throw Self.refuse("a comment, CDATA section, DOCTYPE or processing instruction")
            default:
                index = try startTag(input, from: index + 1)
            }
        }
        guard open.isEmpty else { throw Self.refuse("an element is not closed") }
    }

    private mutating func close(_ element: (declared: Int, rendered: Int, name: ArraySlice<UInt8>)) {
        bytes.append(contentsOf: "</".utf8)
        bytes.append(contentsOf: element.name)
        bytes.append(UInt8(ascii: ">"))
        declared.removeLast(element.declared)
        rendered.removeLast(element.rendered)
    }

    private static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }

    /// Reads a start tag from just after its "<"; returns the index after its ">".
    private mutating func startTag(_ input: UnsafeBufferPointer<UInt8>, from start: Int) throws(SedgateError) -> Int {
        var index = start
        while index < input.count, !Self.isSpace(input[index]), input[index] != UInt8(ascii: "/"),
            input[index] != UInt8(ascii: ">")
        {
            index += 1
        }
        let name = Array(input[start..<index])[...]
        var attributes: [(name: [UInt8], value: [UInt8])] = []
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
            let attributeName = Array(input[nameStart..<index])
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
            let value = try Self.decode(input, valueStart..<index, attribute: true)
            index += 1
            if attributeName == Array("xmlns".utf8) {
                declared.append(([], value))
                declarations += 1
            } else if attributeName.starts(with: "xmlns:".utf8) {
                declared.append((Array(attributeName.dropFirst(6)), value))
                declarations += 1
            } else {
                attributes.append((attributeName, value))
            }
        }
        try element(name, attributes: attributes, declarations: declarations)
        if empty, let element = open.popLast() { close(element) }
        return index
    }

    /// Writes a start tag: the namespaces it visibly uses that the output does not have yet, then its attributes
    /// sorted by namespace URI and local name.
    private mutating func element(
        _ name: ArraySlice<UInt8>, attributes: [(name: [UInt8], value: [UInt8])], declarations: Int
    ) throws(SedgateError) {
        var used: [[UInt8]] = [Self.prefix(of: name) ?? []]
        var sorted: [(uri: [UInt8], local: [UInt8], name: [UInt8], value: [UInt8])] = []
        for attribute in attributes {
            guard let prefix = Self.prefix(of: attribute.name[...]) else {
                sorted.append(([], attribute.name, attribute.name, attribute.value))
                continue
            }
            let local = Array(attribute.name.dropFirst(prefix.count + 1))
            if prefix == Array("xml".utf8) {
                sorted.append(
                    (Array("http://www.w3.org/XML/1998/namespace".utf8), local, attribute.name, attribute.value))
                continue
            }
            guard let uri = lookup(prefix, in: declared) else { throw Self.refuse("an undeclared prefix") }
            if !used.contains(prefix) { used.append(prefix) }
            sorted.append((uri, local, attribute.name, attribute.value))
        }
        bytes.append(UInt8(ascii: "<"))
        bytes.append(contentsOf: name)
        var renderedHere = 0
        if used.count > 1 { used.sort { $0.lexicographicallyPrecedes($1) } }
        for prefix in used {
            let uri = lookup(prefix, in: declared) ?? []
            guard prefix.isEmpty || !uri.isEmpty else { throw Self.refuse("an undeclared prefix") }
            let current = lookup(prefix, in: rendered) ?? []
            guard current != uri else { continue }
            bytes.append(
                contentsOf: prefix.isEmpty ? Array(" xmlns=\"".utf8) : Array(" xmlns:".utf8) + prefix + [0x3D, 0x22])
            Self.escape(uri, attribute: true, into: &bytes)
            bytes.append(UInt8(ascii: "\""))
            rendered.append((prefix, uri))
            renderedHere += 1
        }
        sorted.sort {
            $0.uri == $1.uri ? $0.local.lexicographicallyPrecedes($1.local) : $0.uri.lexicographicallyPrecedes($1.uri)
        }
        for attribute in sorted {
            bytes.append(UInt8(ascii: " "))
            bytes.append(contentsOf: attribute.name)
            bytes.append(contentsOf: "=\"".utf8)
            Self.escape(attribute.value, attribute: true, into: &bytes)
            bytes.append(UInt8(ascii: "\""))
        }
        bytes.append(UInt8(ascii: ">"))
        open.append((declarations, renderedHere, name))
    }

    private func lookup(_ prefix: [UInt8], in scope: [(prefix: [UInt8], uri: [UInt8])]) -> [UInt8]? {
        scope.last { $0.prefix == prefix }?.uri
    }

    private static func prefix(of name: ArraySlice<UInt8>) -> [UInt8]? {
        guard let colon = name.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return Array(name[..<colon])
    }

    private mutating func text(_ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) throws(SedgateError) {
        // Most text (base64, ids) needs neither decoding nor escaping.
        if !input[range].contains(where: { $0 == 0x26 || $0 == 0x3E || $0 == 0x0D }) {
            bytes.append(contentsOf: input[range])
            return
        }
        Self.escape(try Self.decode(input, range, attribute: false), attribute: false, into: &bytes)
    }

    /// Text or an attribute value as the parser reports it: entities and character references replaced, line ends
    /// normalised, and in an attribute value white space characters written literally read as spaces.
    private static func decode(
        _ input: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, attribute: Bool
    ) throws(SedgateError) -> [UInt8] {
        // Most values (ids, URIs, names) hold nothing to replace.
        if !input[range].contains(where: { $0 == 0x26 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) {
            return Array(input[range])
        }
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
