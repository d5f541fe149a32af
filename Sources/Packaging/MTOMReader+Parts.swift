// MTOMReader+Parts: the scan over the message that finds each part's headers and body range.
// Reads the message forward once; holds at most one chunk and one header block.

import SedgateCore

extension MTOMReader {
    private static let crlf: [UInt8] = [0x0D, 0x0A]
    private static let dashes: [UInt8] = [0x2D, 0x2D]
    private static let acceptedTransferEncodings: Set<String> = ["binary", "8bit", "7bit"]

    /// Finds every part between the first delimiter and the closing one.
    func scanParts(
        _ scanner: ByteScanner, boundary: String, source: String
    ) throws(SedgateError)
        -> [MTOMMessage.Part]
    {
        let delimiter = Self.crlf + Self.dashes + Array(boundary.utf8)
        // The first delimiter may open the message without a line break before it.
        if try scanner.next(is: Array(delimiter.dropFirst(2))) {
            scanner.advance(delimiter.count - 2)
        } else {
            guard case .found = try scanner.seek(delimiter) else {
                throw SedgateError(
                    .protocolViolation,
                    "the delimiter line --\(boundary) does not occur in the message, so it has no parts; the body "
                        + "is not the multipart message its Content-Type announces",
                    location: .init(file: source))
            }
            scanner.advance(delimiter.count)
        }

        var parts: [MTOMMessage.Part] = []
        var numbers: [String: Int] = [:]
        while true {
            let number = parts.count + 1
            if try scanner.next(is: Self.dashes) { return parts }
            try finishDelimiterLine(scanner, number: number, source: source)
            let headers = try headerBlock(scanner, number: number, source: source)
            let bodyStart = scanner.position
            let part = try describe(headers, number: number, offset: bodyStart, source: source)
            if let earlier = numbers[part.contentID] {
                throw SedgateError(
                    .protocolViolation,
                    "parts \(earlier) and \(number) both have Content-ID <\(part.contentID)>; each part needs its own",
                    location: .init(file: source))
            }
            guard number <= limits.maxParts else {
                throw SedgateError(
                    .hostileInput, "the message has more than \(limits.maxParts) parts, the most accepted",
                    location: .init(file: source))
            }
            guard case .found(let end) = try scanner.seek(delimiter) else {
                throw SedgateError(
                    .protocolViolation,
                    "part \(number) (<\(part.contentID)>) starting at byte \(bodyStart) is not followed by a "
                        + "delimiter: the message was cut short before its closing --\(boundary)--. Ask the "
                        + "sender to send it again",
                    location: .init(file: source))
            }
            scanner.advance(delimiter.count)
            numbers[part.contentID] = number
            parts.append(with(part) { $0.length = end - bodyStart })
        }
    }

    /// Skips the transport padding after a delimiter and its line break.
    private func finishDelimiterLine(_ scanner: ByteScanner, number: Int, source: String) throws(SedgateError) {
        var padding = 0
        while let byte = try scanner.peek(), byte == 0x20 || byte == 0x09, padding < 998 {
            scanner.advance(1)
            padding += 1
        }
        if try scanner.next(is: Self.crlf) { return }
        guard let byte = try scanner.peek() else {
            throw SedgateError(
                .protocolViolation,
                "the message ends right after a delimiter at byte \(scanner.position), before part \(number) and "
                    + "without the closing --boundary--; it was cut short. Ask the sender to send it again",
                location: .init(file: source))
        }
        throw SedgateError(
            .protocolViolation,
            "the delimiter before part \(number) is followed by byte 0x\(String(byte, radix: 16)) at byte "
                + "\(scanner.position) instead of a line break: the boundary occurs inside the previous part",
            location: .init(file: source))
    }

    /// Reads the header block ending in an empty line; the cursor is on the delimiter line's CRLF.
    private func headerBlock(_ scanner: ByteScanner, number: Int, source: String) throws(SedgateError) -> MIMEHeaders {
        let lineEnd = scanner.position
        switch try scanner.seek(Self.crlf + Self.crlf, within: Int64(limits.maxHeaderBytes) + 2) {
        case .found(let end):
            scanner.advance(4)
            guard end > lineEnd else { return MIMEHeaders() }
            // The block is at most maxHeaderBytes: read it back rather than keep the scanner's chunks.
            let bytes = try scanner.bytes(count: Int(end - lineEnd - 2), at: lineEnd + 2)
            return try MIMEHeaders.parse(Array(bytes), part: "part \(number) (headers at byte \(lineEnd + 2))")
        case .limitReached:
            throw SedgateError(
                .hostileInput,
                "the headers of part \(number) (from byte \(lineEnd + 2)) run over \(limits.maxHeaderBytes) bytes "
                    + "without an empty line; refused as hostile",
                location: .init(file: source))
        case .endOfInput:
            throw SedgateError(
                .protocolViolation,
                "the message ends inside the headers of part \(number) (from byte \(lineEnd + 2)); it was cut short",
                location: .init(file: source))
        }
    }

    /// The part a header block describes; refuses a missing Content-ID and non-binary transfer encodings.
    private func describe(
        _ headers: MIMEHeaders, number: Int, offset: Int64, source: String
    ) throws(SedgateError)
        -> MTOMMessage.Part
    {
        guard let rawID = headers["Content-ID"], case let id = ContentID.fromHeader(rawID), !id.isEmpty else {
            throw SedgateError(
                .protocolViolation,
                "part \(number) (body at byte \(offset)) has no Content-ID header; every MTOM part needs one so "
                    + "that xop:Include can refer to it",
                location: .init(file: source))
        }
        if let encoding = headers["Content-Transfer-Encoding"]?.lowercased(),
            !Self.acceptedTransferEncodings.contains(encoding)
        {
            throw SedgateError(
                .protocolViolation,
                "part \(number) (<\(id)>) has Content-Transfer-Encoding '\(encoding)'; MTOM parts are sent as "
                    + "binary (8bit for the root)",
                location: .init(file: source))
        }
        return MTOMMessage.Part(
            number: number, contentID: id, contentType: headers["Content-Type"] ?? "application/octet-stream",
            headers: headers, offset: offset, length: 0)
    }
}

/// A copy of `value` changed by `change`.
private func with<Value>(_ value: Value, _ change: (inout Value) -> Void) -> Value {
    var copy = value
    change(&copy)
    return copy
}
