// XMLLimits: the safety limits every XML parse in sedgate runs under (size and element depth).

/// Limits applied when parsing untrusted XML; a document over a limit is refused as hostile input.
///
/// libxml2 itself refuses element nesting deeper than 256 unless `XML_PARSE_HUGE` is given (sedgate never gives
/// it), so a `maxDepth` above 256 has no effect.
public struct XMLLimits: Sendable, Hashable {
    /// The largest document accepted, in bytes.
    public var maxBytes: Int
    /// The deepest element nesting accepted; the root element is at depth 1.
    public var maxDepth: Int

    /// The limits used unless a caller asks for others: 64 MiB and 256 levels.
    public static let `default` = XMLLimits()

    /// Makes limits; the defaults suit SEDs with embedded attachments.
    public init(maxBytes: Int = 64 << 20, maxDepth: Int = 256) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
    }
}
