// XMLLimits: the safety limits every XML parse in sedgate runs under (size, element depth, attributes per
// element, markup nodes).

/// Limits applied when parsing untrusted XML; a document over a limit is refused as hostile input.
///
/// libxml2 itself refuses element nesting deeper than 256 unless `XML_PARSE_HUGE` is given (sedgate never gives
/// it), so a `maxDepth` above 256 has no effect.
public struct XMLLimits: Sendable, Hashable {
    /// The largest document accepted, in bytes.
    public var maxBytes: Int
    /// The deepest element nesting accepted; the root element is at depth 1.
    public var maxDepth: Int
    /// The most attributes (namespace declarations included) one element may carry. libxml2 checks attributes for
    /// duplicates pairwise, so 200,000 on one element cost minutes of CPU: refused before libxml2 sees them.
    public var maxAttributes: Int
    /// The most markup nodes (start tags, comments, processing instructions, CDATA sections) in one document.
    public var maxNodes: Int

    /// The limits used unless a caller asks for others: 64 MiB, 256 levels, 256 attributes, 4 million nodes.
    public static let `default` = XMLLimits()

    /// Makes limits; the defaults suit SEDs with embedded attachments.
    public init(maxBytes: Int = 64 << 20, maxDepth: Int = 256, maxAttributes: Int = 256, maxNodes: Int = 4_000_000) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxAttributes = maxAttributes
        self.maxNodes = maxNodes
    }
}
