// XMLElements: a parsed document's elements in document order, each paired with its exact byte range.
// libxml2 parses (safely, through Documents' XMLTree) and decides names and namespaces; ElementRanges finds
// the bytes; the two must agree element for element, or the document is refused.

import Documents
import Foundation
import SedgateCore

/// The elements of a UTF-8 XML document with their byte ranges, for splicing the original text.
struct XMLElements {
    /// The document's bytes.
    let bytes: [UInt8]
    /// The elements in document order.
    let nodes: [XMLNode]
    /// `ranges[i]` is where `nodes[i]` lies in `bytes`.
    let ranges: [ElementRange]

    /// Parses `xml` safely and pairs every element with its range; `source` names the document in errors.
    init(_ xml: Data, source: String) throws(SedgateError) {
        let bytes = Array(xml)
        self.bytes = bytes
        let tree = try XMLTree.parse(bytes, source: source)
        var nodes: [XMLNode] = []
        var stack = [tree.root]
        while let node = stack.popLast() {
            nodes.append(node)
            stack.append(contentsOf: node.children.reversed())
        }
        let ranges = try ElementRanges.scan(bytes, source: source)
        guard ranges.count == nodes.count, zip(nodes, ranges).allSatisfy({ Self.tagMatches($0, $1, bytes) }) else {
            throw SedgateError(
                .unsupportedInput,
                "the document's elements could not be located byte by byte (is it UTF-8?); XOP processing needs "
                    + "an UTF-8 or ASCII document",
                location: .init(file: source))
        }
        self.nodes = nodes
        self.ranges = ranges
    }

    /// Whether the start tag at `range` names `node` (prefix and local name).
    private static func tagMatches(_ node: XMLNode, _ range: ElementRange, _ bytes: [UInt8]) -> Bool {
        let name = Array(((node.prefix.map { $0 + ":" } ?? "") + node.localName).utf8)
        let after = range.start + 1 + name.count
        guard after < bytes.count, bytes[(range.start + 1)..<after].elementsEqual(name) else { return false }
        return [0x20, 0x09, 0x0D, 0x0A, 0x2F, 0x3E].contains(bytes[after])
    }
}
