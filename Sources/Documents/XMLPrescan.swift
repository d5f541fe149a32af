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
        guard let base = bytes.baseAddress else { return }
        let count = bytes.count
        var nodes = 0
        var index = 0
        /// The index just past the first `terminator` at or after `from` (searching from the `<`, as a reader of
        /// `<!-->` or `<?>` would), or the end.
        func past(_ terminator: StaticString, from: Int) -> Int {
            let length = terminator.utf8CodeUnitCount
            let first = Int32(terminator.utf8Start.pointee)
            var position = from
            while position + length <= count {
                guard let found = memchr(base + position, first, count - position) else { return count }
                position = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                guard position + length <= count else { return count }
                if memcmp(base + position, terminator.utf8Start, length) == 0 { return position + length }
                position += 1
            }
            return count
        }
        func at(_ offset: Int) -> UInt8 { index + offset < count ? bytes[index + offset] : 0 }
        while index < count {
            // Lines are counted only for an error message (see `line(at:)`), so the scan jumps from `<` to `<`.
            guard let found = memchr(base + index, Int32(UInt8(ascii: "<")), count - index) else { return }
            index = base.distance(to: found.assumingMemoryBound(to: UInt8.self))
            nodes += 1
            if nodes > limits.maxNodes {
                throw SedgateError(
                    .hostileInput,
                    "the document holds more than \(limits.maxNodes) markup nodes; split it into several documents",
                    location: .init(file: source, line: line(at: index, in: bytes)))
            }
            switch at(1) {
            case UInt8(ascii: "!") where at(2) == UInt8(ascii: "-") && at(3) == UInt8(ascii: "-"):
                index = past("-->", from: index)
            case UInt8(ascii: "!") where index + 9 <= count && memcmp(base + index, "<![CDATA[", 9) == 0:
                index = past("]]>", from: index)
            case UInt8(ascii: "?"):
                index = past("?>", from: index)
            case UInt8(ascii: "!"), UInt8(ascii: "/"):
                index = past(">", from: index)
            default:
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
