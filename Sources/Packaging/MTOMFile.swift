// MTOMFile: what MTOMWriter produced: the file, its boundary, and the Content-Type an HTTP client sends with it.

/// A complete MTOM message on disk, ready to be sent as an HTTP body with `contentType` as its Content-Type.
public struct MTOMFile: Sendable, Hashable {
    /// Where the message is.
    public var path: String
    /// The MIME boundary the message uses.
    public var boundary: String
    /// The value for the HTTP `Content-Type` header (multipart/related with type, start, start-info, boundary).
    public var contentType: String
    /// The file's size in bytes.
    public var size: Int64
}
