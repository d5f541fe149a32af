// MTOMAttachment: one binary part to write after the root of an MTOM message, from memory or a file range.

public import Foundation
public import SedgateCore

/// A binary part of an MTOM message: its Content-ID (what `xop:Include href="cid:..."` names), its media type,
/// extra headers (such as `Content-Encoding: gzip` or `Content-Disposition`) and where its bytes come from.
public struct MTOMAttachment: Sendable, Hashable {
    /// Where the part's bytes come from.
    public enum Body: Sendable, Hashable {
        /// Bytes in memory (small parts, e.g. what `XOP.externalize` takes out of the XML).
        case data(Data)
        /// `length` bytes of the file at `path` starting at `offset`, streamed 64 KiB at a time.
        case file(path: String, offset: Int64, length: Int64)

        /// The whole file at `path`; `.io` when it is not a readable regular file.
        public static func file(_ path: String) throws(SedgateError) -> Body {
            let size = try ReadableFile(path: path).size()
            return .file(path: path, offset: 0, length: size)
        }
    }

    /// The Content-ID without angle brackets, e.g. `part1.4f2a@sedgate`.
    public var contentID: String
    /// The media type, e.g. `application/octet-stream` or `application/pdf`.
    public var contentType: String
    /// Headers written after Content-Type, Content-Transfer-Encoding and Content-ID.
    public var headers: MIMEHeaders
    /// The part's bytes.
    public var body: Body

    /// Makes an attachment description; nothing is read until it is written.
    public init(
        contentID: String, contentType: String = "application/octet-stream", headers: MIMEHeaders = MIMEHeaders(),
        body: Body
    ) {
        self.contentID = contentID
        self.contentType = contentType
        self.headers = headers
        self.body = body
    }
}
