// MTOMMessage: a parsed MTOM message: the root part's bytes, and where every part lies in the file.
// Reads part bytes on demand (bounded) or copies a part to its own file (streamed, temp + fsync + rename).

public import Foundation
public import SedgateCore

/// A received MTOM message. Holds the root part (the SOAP envelope) in memory and only the position of the
/// other parts; their bytes stay in the message file until `bytes(of:limit:)` or `copy(_:to:)` reads them.
public struct MTOMMessage: Sendable {
    /// One MIME part: its headers and the byte range of its body in the message.
    public struct Part: Sendable, Hashable {
        /// The 1-based position of the part in the message.
        public var number: Int
        /// The Content-ID without angle brackets.
        public var contentID: String
        /// The Content-Type value as sent (`application/octet-stream` when the part had none).
        public var contentType: String
        /// All the part's header fields, in order.
        public var headers: MIMEHeaders
        /// The offset of the body's first byte in the message.
        public var offset: Int64
        /// The body's length in bytes.
        public var length: Int64

        /// The Content-Encoding (e.g. `gzip`), lowercased, or nil for none.
        public var contentEncoding: String? {
            headers["Content-Encoding"].map { $0.trimmingSpaces.lowercased() }
        }
    }

    /// The MIME boundary the message uses.
    public let boundary: String
    /// The root part (named by the `start` parameter, else the first part).
    public let root: Part
    /// The root part's body: the SOAP envelope as `application/xop+xml`.
    public let rootBytes: Data
    /// Every part in message order, the root included.
    public let parts: [Part]
    let source: ByteSource

    /// The parts other than the root, in message order.
    public var attachments: [Part] {
        parts.filter { $0.number != root.number }
    }

    /// The part with this Content-ID (without angle brackets), or nil.
    public func part(contentID: String) -> Part? {
        parts.first { $0.contentID == contentID }
    }

    /// A part's body in memory; `.hostileInput` when it is longer than `limit` bytes.
    public func bytes(of part: Part, limit: Int = 32 << 20) throws(SedgateError) -> Data {
        guard part.length <= Int64(limit) else {
            throw SedgateError(
                .hostileInput,
                "part \(part.number) (<\(part.contentID)>) has \(part.length) bytes, more than the \(limit) read "
                    + "into memory; copy it to a file instead",
                location: .init(file: source.name))
        }
        return try source.open().read(count: Int(part.length), at: part.offset)
    }

    /// Copies a part's body, as sent, to a new file at `path`, 64 KiB at a time.
    public func copy(_ part: Part, to path: String) throws(SedgateError) {
        let input = try source.open()
        let output = try DurableFile(path: path)
        try stream(part, from: input) { (chunk) throws(SedgateError) in try output.write(chunk) }
        try output.commit()
    }

    /// Copies a part's body to a new file at `path`, undoing its Content-Encoding (gzip or none).
    ///
    /// Throws `.hostileInput` when the decoded body would exceed `limit` bytes (nothing is left at `path`),
    /// `.protocolViolation` for bad gzip, and `.unsupportedInput` for another Content-Encoding.
    public func copyDecoded(_ part: Part, to path: String, limit: Int64) throws(SedgateError) {
        switch part.contentEncoding {
        case nil, "identity":
            guard part.length <= limit else {
                throw SedgateError(
                    .hostileInput,
                    "part \(part.number) (<\(part.contentID)>) has \(part.length) bytes, more than the \(limit) "
                        + "accepted", location: .init(file: source.name))
            }
            try copy(part, to: path)
        case "gzip", "x-gzip":
            let input = try source.open()
            let output = try DurableFile(path: path)
            let inflater = try Inflater(limit: limit, source: "part \(part.number) (<\(part.contentID)>)")
            try stream(part, from: input) { (chunk) throws(SedgateError) in
                try inflater.feed(chunk) { (plain) throws(SedgateError) in try output.write(plain) }
            }
            try inflater.finish()
            try output.commit()
        case let other?:
            throw SedgateError(
                .unsupportedInput,
                "part \(part.number) (<\(part.contentID)>) has Content-Encoding '\(other)'; only gzip is supported",
                location: .init(file: source.name))
        }
    }

    /// Hands a part's body to `sink` in chunks of at most 64 KiB.
    private func stream(
        _ part: Part, from input: any RandomAccessBytes, to sink: (UnsafeRawBufferPointer) throws(SedgateError) -> Void
    ) throws(SedgateError) {
        var chunk = [UInt8](repeating: 0, count: Syscall.chunkSize)
        var done: Int64 = 0
        while done < part.length {
            let wanted = Int(min(Int64(chunk.count), part.length - done))
            let count = try chunk.withMutableBytes { (buffer) throws(SedgateError) in
                try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]), at: part.offset + done)
            }
            guard count == wanted else {
                throw SedgateError(
                    .io,
                    "\(source.name) ends inside part \(part.number) (<\(part.contentID)>); it changed after it was read",
                    location: .init(file: source.name))
            }
            try chunk.withBytes { (bytes) throws(SedgateError) in
                try sink(UnsafeRawBufferPointer(rebasing: bytes[..<count]))
            }
            done += Int64(count)
        }
    }
}
