// MTOMReader+Framing: where the boundary and the root part's id come from: the Content-Type the caller got
// from HTTP, or, without one, the message's first delimiter line.

import SedgateCore

extension MTOMReader {
    /// The boundary and the `start` Content-ID (nil: the first part is the root).
    struct Framing {
        var boundary: String
        var start: String?
    }

    /// The framing announced by a Content-Type value; refuses anything but multipart/related with a boundary.
    static func framing(contentType: String, source: String) throws(SedgateError) -> Framing {
        let media = try MIMEMediaType(parsing: contentType)
        guard media.type == "multipart" else {
            throw SedgateError(
                .protocolViolation,
                "the message is \(media.essence), not multipart; an MTOM message is multipart/related with "
                    + "type=\"application/xop+xml\"",
                location: .init(file: source))
        }
        guard media.subtype == "related" else {
            throw SedgateError(
                .protocolViolation,
                "the message is \(media.essence); an MTOM message is multipart/related", location: .init(file: source))
        }
        guard let boundary = media.parameters["boundary"] else {
            throw SedgateError(
                .protocolViolation,
                "the Content-Type multipart/related has no boundary parameter, so the parts cannot be found; the "
                    + "sender must send boundary=...",
                location: .init(file: source))
        }
        try check(boundary: boundary, source: source)
        return Framing(boundary: boundary, start: media.parameters["start"].map(ContentID.fromHeader))
    }

    /// The framing read from the first line of the message, which must be a `--boundary` delimiter line.
    static func framing(firstLineOf scanner: ByteScanner, source: String) throws(SedgateError) -> Framing {
        // Blank lines may precede it; the delimiter line itself is at most 72 bytes plus padding.
        while try scanner.next(is: [0x0D, 0x0A]) { scanner.advance(2) }
        var line: [UInt8] = []
        while let byte = try scanner.peek(), byte != 0x0D, byte != 0x0A, line.count <= 200 {
            line.append(byte)
            scanner.advance(1)
        }
        guard line.starts(with: [0x2D, 0x2D]) else {
            throw SedgateError(
                .protocolViolation,
                "no Content-Type was given and the message does not start with a '--boundary' line, so it is not "
                    + "a MIME multipart message; pass the HTTP Content-Type to the reader",
                location: .init(file: source))
        }
        while let last = line.last, last == 0x20 || last == 0x09 { line.removeLast() }
        let boundary = String(decoding: line.dropFirst(2), as: UTF8.self)
        try check(boundary: boundary, source: source)
        return Framing(boundary: boundary, start: nil)
    }

    /// Checks a boundary: 1 to 70 characters, no line breaks (RFC 2046 section 5.1.1).
    private static func check(boundary: String, source: String) throws(SedgateError) {
        guard (1...70).contains(boundary.utf8.count),
            boundary.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F })
        else {
            throw SedgateError(
                .protocolViolation,
                "the boundary '\(boundary.prefix(80))' is not 1 to 70 printable ASCII characters (RFC 2046)",
                location: .init(file: source))
        }
    }
}
