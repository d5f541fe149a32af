// XMLPrescan: one linear pass over a document's bytes before libxml2 parses it, counting attributes per start
// tag and markup nodes, so inputs that would cost libxml2 quadratic time (an attribute-count bomb) are refused in
// microseconds. Reads bytes only; not a parser: anything it does not understand is left to libxml2 to refuse.

import Glibc
public import SedgateCore

/// Counts what makes parsing expensive, and refuses a document over its `XMLLimits`.
public enum XMLPrescan {
    /// Throws `.hostileInput` (with the line) when an element carries more than `limits.maxAttributes` attributes
    /// or the document holds more than `limits.maxNodes` markup nodes. Linear in the size of `bytes`.
    public static func check(_ bytes: [UInt8], source: String, limits: XMLLimits) throws(SedgateError) {
        try bytes.withUnsafeBufferPointer { (buffer) throws(SedgateError) in
            try check(buffer, source: source, limits: limits)
        }
    }

    static func check(_ bytes: UnsafeBufferPointer<UInt8>, source: String, limits: XMLLimits) throws(SedgateError) {
        let lt = UInt8(ascii: "<")
        var nodes = 0
        var index = 0
        let count = bytes.count
        /// Moves `index` past the first occurrence of `terminator` (or to the end).
        func skip(past terminator: [UInt8]) {
            while index < count {
                if bytes[index] == terminator[0], index + terminator.count <= count {
                    var matches = true
                    for offset in 1..<terminator.count where bytes[index + offset] != terminator[offset] {
                        matches = false
                        break
                    }
                    if matches {
                        index += terminator.count
                        return
                    }
                }
                index += 1
            }
        }
        func starts(with prefix: [UInt8]) -> Bool {
            guard index + prefix.count <= count else { return false }
            for offset in 0..<prefix.count where bytes[index + offset] != prefix[offset] { return false }
            return true
        }
        guard let base = bytes.baseAddress else { return }
        while index < count {
            // Lines are counted only for an error message (see `line(at:)`), so the scan jumps from `<` to `<`.
            guard let found = memchr(base + index, Int32(lt), count - index) else { return }
            index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            nodes += 1
            if nodes > limits.maxNodes {
                throw SedgateError(
                    .hostileInput,
                    "the document holds more than \(limits.maxNodes) markup nodes; split it into several documents",
                    location: .init(file: source, line: line(at: index, in: bytes)))
            }
            if starts(with: Markup.commentStart) {
                skip(past: Markup.commentEnd)
            } else if starts(with: Markup.cdataStart) {
                skip(past: Markup.cdataEnd)
            } else if starts(with: Markup.piStart) {
                skip(past: Markup.piEnd)
            } else if starts(with: Markup.declarationStart) || starts(with: Markup.endTagStart) {
                skip(past: Markup.tagEnd)
            } else {
                try startTag(&index, bytes, source: source, limits: limits)
            }
        }
    }

    /// The 1-based line of the byte at `index`.
    private static func line(at index: Int, in bytes: UnsafeBufferPointer<UInt8>) -> Int {
        var line = 1
        for byte in bytes[..<min(index, bytes.count)] where byte == UInt8(ascii: "\n") { line += 1 }
        return line
    }

    /// The delimiters the scan looks for, made once (not per `<`).
    private enum Markup {
        static let commentStart = Array("<!--".utf8)
        static let commentEnd = Array("-->".utf8)
        static let cdataStart = Array("<![CDATA[".utf8)
        static let cdataEnd = Array("]]>".utf8)
        static let piStart = Array("<?".utf8)
        static let piEnd = Array("?>".utf8)
        static let declarationStart = Array("<!".utf8)
        static let endTagStart = Array("</".utf8)
        static let tagEnd = Array(">".utf8)
    }

    /// Walks one start tag from its `<`, counting `=` outside quoted values: one per attribute.
    private static func startTag(
        _ index: inout Int, _ bytes: UnsafeBufferPointer<UInt8>, source: String, limits: XMLLimits
    ) throws(SedgateError) {
        let start = index
        var attributes = 0
        var quote: UInt8 = 0
        index += 1
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if quote != 0 {
                if byte == quote { quote = 0 }
            } else if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "'") {
                quote = byte
            } else if byte == UInt8(ascii: "=") {
                attributes += 1
                if attributes > limits.maxAttributes {
                    throw SedgateError(
                        .hostileInput,
                        "an element carries more than \(limits.maxAttributes) attributes; no SED needs that many. "
                            + "Send the data as elements",
                        location: .init(file: source, line: line(at: start, in: bytes)))
                }
            } else if byte == UInt8(ascii: ">") || byte == UInt8(ascii: "<") {
                // `<` inside a tag is malformed: libxml2 says so with the position.
                if byte == UInt8(ascii: "<") { index -= 1 }
                return
            }
        }
    }
}
