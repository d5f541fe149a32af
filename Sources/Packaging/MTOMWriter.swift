// MTOMWriter: writes a SOAP 1.2 MTOM/XOP message (MIME multipart/related) to a file, streaming the parts, or into
// memory for a message on its way to a socket. Reads attachment files in 64 KiB chunks; writes a target file through
// a temporary name, fsync and rename.

public import Foundation
public import SedgateCore

/// Writes MTOM messages: the root part (`application/xop+xml` holding the SOAP envelope, whose binary content
/// is referred to by `xop:Include href="cid:..."`), then each attachment as a binary part.
///
/// Memory stays at one 64 KiB chunk whatever the attachments' sizes. The boundary is random and checked not
/// to occur in any part (if an attachment happens to contain it, the message is written again with a new one).
/// Throws `.protocolViolation` for an unusable Content-ID, media type or header, and `.io` for file failures;
/// the target then does not exist.
public enum MTOMWriter {
    /// The Content-ID of the root part, as named in the `start` parameter.
    public static let rootContentID = "root.message@sedgate"
    /// The Content-Type of the root part.
    public static let rootContentType = "application/xop+xml; charset=UTF-8; type=\"application/soap+xml\""

    /// The HTTP Content-Type value of an MTOM message that uses `boundary`.
    public static func contentType(boundary: String) -> String {
        "multipart/related; type=\"application/xop+xml\"; start=\"<\(rootContentID)>\"; "
            + "start-info=\"application/soap+xml\"; boundary=\"\(boundary)\""
    }

    /// Writes `root` (a SOAP 1.2 envelope in UTF-8) and `attachments` as an MTOM message at `path`.
    @discardableResult
    public static func write(
        root: Data, attachments: [MTOMAttachment], to path: String
    ) throws(SedgateError)
        -> MTOMFile
    {
        try check(attachments)
        for _ in 0..<4 {
            let boundary = "MIMEBoundary_sedgate_" + Syscall.randomToken() + Syscall.randomToken()
            let delimiter = Array("--\(boundary)".utf8)
            if ByteSearch.contains(delimiter, in: root) { continue }
            if let size = try writeOnce(root: root, attachments: attachments, boundary: boundary, to: path) {
                return MTOMFile(
                    path: path, boundary: boundary, contentType: contentType(boundary: boundary), size: size)
            }
        }
        // 128 random bits found in the data four times over: the data was built to contain our boundaries.
        throw SedgateError(
            .hostileInput,
            "every boundary tried occurs in the parts of \(path); the attachments look crafted to defeat MIME "
                + "framing. Check where they came from",
            location: .init(file: path))
    }

    /// The MTOM message of `root` and `attachments` held in memory (attachments `.data` only), as the bytes to send
    /// and their Content-Type: a message on its way to a socket needs no file (writing one, syncing it and reading
    /// it back cost an fsync per message).
    public static func encode(
        root: Data, attachments: [MTOMAttachment]
    ) throws(SedgateError) -> (contentType: String, body: [UInt8]) {
        try check(attachments)
        var parts: [Data] = []
        for attachment in attachments {
            guard case .data(let data) = attachment.body else {
                throw SedgateError(
                    .io, "attachment <\(attachment.contentID)> is a file; an MTOM message of files is written to a file"
                )
            }
            parts.append(data)
        }
        for _ in 0..<4 {
            let boundary = "MIMEBoundary_sedgate_" + Syscall.randomToken() + Syscall.randomToken()
            let delimiter = Array("--\(boundary)".utf8)
            if ByteSearch.contains(delimiter, in: root)
                || parts.contains(where: { ByteSearch.contains(delimiter, in: $0) })
            {
                continue
            }
            var body: [UInt8] = []
            body.reserveCapacity(root.count + parts.reduce(0) { $0 + $1.count } + 512 * (parts.count + 1))
            body += Array(rootHead(boundary).utf8)
            body += root
            for (attachment, data) in zip(attachments, parts) {
                body += Array(partHead(attachment, boundary: boundary).utf8)
                body += data
            }
            body += Array("\r\n--\(boundary)--\r\n".utf8)
            return (contentType(boundary: boundary), body)
        }
        throw SedgateError(
            .hostileInput,
            "every boundary tried occurs in the parts of the message; the attachments look crafted to defeat MIME "
                + "framing. Check where they came from")
    }

    /// The root part's delimiter and headers.
    private static func rootHead(_ boundary: String) -> String {
        "--\(boundary)\r\nContent-Type: \(rootContentType)\r\nContent-Transfer-Encoding: 8bit\r\n"
            + "Content-ID: <\(rootContentID)>\r\n\r\n"
    }

    /// An attachment's delimiter and headers.
    private static func partHead(_ attachment: MTOMAttachment, boundary: String) -> String {
        var head = "\r\n--\(boundary)\r\nContent-Type: \(attachment.contentType)\r\n"
        head += "Content-Transfer-Encoding: binary\r\nContent-ID: <\(attachment.contentID)>\r\n"
        for field in attachment.headers { head += "\(field.name): \(field.value)\r\n" }
        return head + "\r\n"
    }

    /// Writes the message with one boundary; nil when an attachment turned out to contain it.
    private static func writeOnce(
        root: Data, attachments: [MTOMAttachment], boundary: String, to path: String
    )
        throws(SedgateError) -> Int64?
    {
        let delimiter = Array("--\(boundary)".utf8)
        let output = try DurableFile(path: path)
        try output.write(rootHead(boundary))
        try output.write(root)
        for attachment in attachments {
            try output.write(partHead(attachment, boundary: boundary))
            switch attachment.body {
            case .data(let data):
                if ByteSearch.contains(delimiter, in: data) { return nil }
                try output.write(data)
            case .file(let source, let offset, let length):
                guard try copy(source, offset: offset, length: length, to: output, watching: delimiter) else {
                    return nil
                }
            }
        }
        try output.write("\r\n--\(boundary)--\r\n")
        try output.commit()
        return output.count
    }

    /// Streams a file range into `output`; false when the range contains `delimiter`.
    private static func copy(
        _ path: String, offset: Int64, length: Int64, to output: DurableFile, watching delimiter: [UInt8]
    ) throws(SedgateError) -> Bool {
        let input = try ReadableFile(path: path)
        var watch = PatternWatch(delimiter)
        var chunk = [UInt8](repeating: 0, count: Syscall.chunkSize)
        var done: Int64 = 0
        while done < length {
            let wanted = Int(min(Int64(chunk.count), length - done))
            let count = try chunk.withMutableBytes { (buffer) throws(SedgateError) in
                try input.read(into: UnsafeMutableRawBufferPointer(rebasing: buffer[..<wanted]), at: offset + done)
            }
            guard count == wanted else {
                throw SedgateError(
                    .io,
                    "\(path) ended at byte \(offset + done + Int64(count)) while \(length) bytes from byte \(offset) "
                        + "were being attached; the file was truncated while the message was written",
                    location: .init(file: path))
            }
            let collided = try chunk.withBytes { (bytes) throws(SedgateError) in
                let piece = UnsafeRawBufferPointer(rebasing: bytes[..<count])
                if watch.seen(piece) { return true }
                try output.write(piece)
                return false
            }
            if collided { return false }
            done += Int64(count)
        }
        return true
    }
}
