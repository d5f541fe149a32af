// ElementRanges: the byte ranges of every element of a UTF-8 XML document, in document order.
// A lexical pass (comments, PIs, CDATA and quoted attribute values skipped) over a document that libxml2 has
// already parsed; XOP pairs its results with libxml2's elements by position to splice exact bytes.

import SedgateCore

/// Where one element lies in the document's bytes.
struct ElementRange: Equatable {
    /// The offset of the start tag's `<`.
    var start: Int
    /// The offset just after the start tag's `>` (where the content begins).
    var contentStart: Int
    /// The offset of the end tag's `<` (equal to `contentStart` for an empty-element tag).
    var contentEnd: Int
    /// The offset just after the element's last `>`.
    var end: Int
}

/// Finds element ranges in well-formed UTF-8 XML without a DOCTYPE.
enum ElementRanges {
    /// Every element's range, in document (start tag) order.
    static func scan(_ bytes: [UInt8], source: String) throws(SedgateError) -> [ElementRange] {
        var ranges: [ElementRange] = []
        var open: [Int] = []
        var index = 0
        let count = bytes.count
        func find(_ pattern: [UInt8], from start: Int) throws(SedgateError) -> Int {
            var position = start
            while position + pattern.count <= count {
                if bytes[position] == pattern[0], bytes[position..<position + pattern.count].elementsEqual(pattern) {
                    return position
                }
                position += 1
            }
            throw malformed(source, "an unterminated construct from byte \(start)")
        }
        while index < count {
            guard bytes[index] == 0x3C else {
                index = bytes[index...].firstIndex(of: 0x3C) ?? count
                continue
            }
            let rest = bytes[index...]
            if rest.starts(with: Markup.piStart) {
                index = try find(Markup.piEnd, from: index + 2) + 2
            } else if rest.starts(with: Markup.commentStart) {
                index = try find(Markup.commentEnd, from: index + 4) + 3
            } else if rest.starts(with: Markup.cdataStart) {
                index = try find(Markup.cdataEnd, from: index + 9) + 3
            } else if rest.starts(with: Markup.declarationStart) {
                throw malformed(source, "a declaration at byte \(index); DOCTYPEs are refused")
            } else if rest.starts(with: Markup.endTagStart) {
                let close = try find(Markup.tagEnd, from: index + 2)
                guard let opened = open.popLast() else { throw malformed(source, "an unmatched end tag at \(index)") }
                ranges[opened].contentEnd = index
                ranges[opened].end = close + 1
                index = close + 1
            } else {
                var position = index + 1
                var quote: UInt8? = nil
                while position < count {
                    let byte = bytes[position]
                    if let current = quote {
                        if byte == current { quote = nil }
                    } else if byte == 0x22 || byte == 0x27 {
                        quote = byte
                    } else if byte == 0x3E {
                        break
                    }
                    position += 1
                }
                guard position < count else { throw malformed(source, "an unterminated start tag at byte \(index)") }
                let selfClosing = bytes[position - 1] == 0x2F
                let after = position + 1
                ranges.append(ElementRange(start: index, contentStart: after, contentEnd: after, end: after))
                if !selfClosing { open.append(ranges.count - 1) }
                index = after
            }
        }
        guard open.isEmpty else { throw malformed(source, "\(open.count) elements are not closed") }
        return ranges
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
        static let tagEnd: [UInt8] = [0x3E]
    }

    private static func malformed(_ source: String, _ problem: String) -> SedgateError {
        SedgateError(
            .malformedXML,
            "the document could not be split into elements (\(problem)); XOP processing needs UTF-8 XML",
            location: .init(file: source))
    }
}
