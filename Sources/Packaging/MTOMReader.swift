// MTOMReader: parses a received MTOM message (MIME multipart/related) from a file or memory, streaming.
// Reads the message once in chunks to find the parts; keeps only the root part and the parts' positions.

public import Foundation
public import SedgateCore

/// Parses MTOM messages without loading binary parts into memory.
///
/// The boundary comes from the HTTP Content-Type (pass it when known) or from the first delimiter line.
/// Refuses, naming the part and byte offset: a body that is not multipart/related or has no boundary
/// (`.protocolViolation`), no root part, a part without Content-ID or with a duplicated one, a transfer
/// encoding other than binary/8bit/7bit, a message cut before its closing `--boundary--`; and, as
/// `.hostileInput`, a header block, root part or part count over `limits`.
public struct MTOMReader: Sendable {
    /// The limits applied.
    public var limits: MTOMLimits
    /// The size of the chunks the message is scanned in (tests use tiny ones to split delimiters).
    public var chunkSize: Int

    /// Makes a reader.
    public init(limits: MTOMLimits = .default, chunkSize: Int = 64 << 10) {
        self.limits = limits
        self.chunkSize = chunkSize
    }

    /// Parses the message in the file at `path`; `contentType` is the HTTP Content-Type value, if known.
    public func read(file path: String, contentType: String? = nil) throws(SedgateError) -> MTOMMessage {
        try read(.file(path), contentType: contentType)
    }

    /// Parses a message held in memory; `contentType` is the HTTP Content-Type value, if known.
    public func read(data: Data, contentType: String? = nil) throws(SedgateError) -> MTOMMessage {
        try read(.data(data), contentType: contentType)
    }

    private func read(_ source: ByteSource, contentType: String?) throws(SedgateError) -> MTOMMessage {
        let input = try source.open()
        let name = source.name
        let framing: Framing
        if let contentType {
            framing = try Self.framing(contentType: contentType, source: name)
        } else {
            framing = try Self.framing(firstLineOf: ByteScanner(input, chunkSize: chunkSize), source: name)
        }
        let parts = try scanParts(ByteScanner(input, chunkSize: chunkSize), boundary: framing.boundary, source: name)

        let root: MTOMMessage.Part
        if let start = framing.start {
            guard let found = parts.first(where: { $0.contentID == start }) else {
                throw SedgateError(
                    .protocolViolation,
                    "the Content-Type names <\(start)> as the root part, but no part has that Content-ID (the "
                        + "parts are \(parts.map { "<\($0.contentID)>" }.joined(separator: ", ")))",
                    location: .init(file: name))
            }
            root = found
        } else {
            guard let first = parts.first else {
                throw SedgateError(.protocolViolation, "the message has no parts", location: .init(file: name))
            }
            root = first
        }
        guard root.length <= Int64(limits.maxRootBytes) else {
            throw SedgateError(
                .hostileInput,
                "the root part (<\(root.contentID)>) has \(root.length) bytes; at most \(limits.maxRootBytes) are "
                    + "accepted. Binary content belongs in attachments referred to by xop:Include",
                location: .init(file: name))
        }
        let rootBytes = try input.read(count: Int(root.length), at: root.offset)
        return MTOMMessage(boundary: framing.boundary, root: root, rootBytes: rootBytes, parts: parts, source: source)
    }
}
