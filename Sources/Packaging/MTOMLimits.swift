// MTOMLimits: the safety limits MTOMReader applies to a received message.

/// Limits on a received MTOM message; going over one is `.hostileInput`.
public struct MTOMLimits: Sendable, Hashable {
    /// The largest root part (the SOAP envelope) read into memory, in bytes.
    public var maxRootBytes: Int
    /// The longest header block of one part, in bytes.
    public var maxHeaderBytes: Int
    /// The most parts in one message, root included.
    public var maxParts: Int

    /// The limits used unless a caller asks for others: 32 MiB root, 16 KiB headers, 10,000 parts.
    public static let `default` = MTOMLimits()

    /// Makes limits.
    public init(maxRootBytes: Int = 32 << 20, maxHeaderBytes: Int = 16 << 10, maxParts: Int = 10_000) {
        self.maxRootBytes = maxRootBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxParts = maxParts
    }
}
