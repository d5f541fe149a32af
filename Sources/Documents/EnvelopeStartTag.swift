// EnvelopeStartTag: finds the `<…Envelope …>` start tag in the raw bytes of a SED, without parsing the rest.
//
// Used to splice envelope fields into a document while leaving every other byte as it was.

/// Where the `<Envelope>` start tag of a SED ends in its raw bytes, and how it is spelled.
struct EnvelopeStartTag: Equatable {
    /// The qualified name as written (`Envelope` or `sed:Envelope`).
    let qualifiedName: String
    /// The index of the tag's closing `>`.
    let end: Int
    /// True for `<Envelope/>`: then `end - 1` is the `/`.
    let selfClosing: Bool

    /// The prefix written on the element, or nil when it uses the default namespace.
    var prefix: String? {
        guard let colon = qualifiedName.firstIndex(of: ":") else { return nil }
        return String(qualifiedName[..<colon])
    }

    /// Scans `bytes` (an ASCII-compatible encoding): skips a BOM, the XML declaration, comments, processing
    /// instructions and white space, the root start tag (quoted attribute values may hold `>`), then the same
    /// again up to the first child's start tag, which must be the envelope. Nil if the bytes are not shaped so.
    static func find(in bytes: [UInt8]) -> EnvelopeStartTag? {
        var scanner = Scanner(bytes: bytes)
        scanner.skipBOM()
        scanner.skipMisc()
        guard let root = scanner.startTag(), !root.selfClosing else { return nil }
        scanner.skipMisc()
        guard let envelope = scanner.startTag() else { return nil }
        let local = envelope.name.split(separator: ":").last.map(String.init)
        guard local == "Envelope" else { return nil }
        return EnvelopeStartTag(qualifiedName: envelope.name, end: envelope.end, selfClosing: envelope.selfClosing)
    }

    /// A forward-only cursor over the bytes of an XML prolog and start tags.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) {
            self.bytes = bytes
        }

        mutating func skipBOM() {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        }

        func hasPrefix(_ text: String) -> Bool {
            let pattern = Array(text.utf8)
            guard index + pattern.count <= bytes.count else { return false }
            return bytes[index..<index + pattern.count].elementsEqual(pattern)
        }

        /// Moves past the next occurrence of `terminator`; false (and at the end) if there is none.
        mutating func skip(past terminator: String) -> Bool {
            while index < bytes.count {
                if hasPrefix(terminator) {
                    index += terminator.utf8.count
                    return true
                }
                index += 1
            }
            return false
        }

        /// Skips white space, comments and processing instructions (the XML declaration is one, syntactically).
        mutating func skipMisc() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x09, 0x0A, 0x0D:
                    index += 1
                default:
                    if hasPrefix("<!--") {
                        guard skip(past: "-->") else { return }
                    } else if hasPrefix("<?") {
                        guard skip(past: "?>") else { return }
                    } else {
                        return
                    }
                }
            }
        }

        /// Reads a start tag at the cursor: its name, the index of its `>`, and whether it is `/>`.
        mutating func startTag() -> (name: String, end: Int, selfClosing: Bool)? {
            guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "<") else { return nil }
            let first = bytes[index + 1]
            guard first != UInt8(ascii: "!"), first != UInt8(ascii: "?"), first != UInt8(ascii: "/") else {
                return nil
            }
            index += 1
            let nameStart = index
            while index < bytes.count, !Self.endsName(bytes[index]) { index += 1 }
            guard index > nameStart, let name = String(validating: bytes[nameStart..<index], as: UTF8.self) else {
                return nil
            }
            var quote: UInt8?
            while index < bytes.count {
                let byte = bytes[index]
                if let open = quote {
                    if byte == open { quote = nil }
                } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                    quote = byte
                } else if byte == UInt8(ascii: ">") {
                    let selfClosing = index > nameStart && bytes[index - 1] == UInt8(ascii: "/")
                    let end = index
                    index += 1
                    return (name, end, selfClosing)
                }
                index += 1
            }
            return nil
        }

        static func endsName(_ byte: UInt8) -> Bool {
            byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == UInt8(ascii: ">")
                || byte == UInt8(ascii: "/")
        }
    }
}
