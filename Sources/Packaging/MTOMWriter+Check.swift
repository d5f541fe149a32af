// MTOMWriter+Check: refuses attachments that would make a broken or forged MIME message, before writing.

import SedgateCore

extension MTOMWriter {
    /// Headers the writer sets itself; an attachment may not add them again.
    private static let reservedHeaders: Set<String> = ["content-id", "content-type", "content-transfer-encoding"]

    /// Checks Content-IDs (valid, unique, not the root's), media types, extra headers and file ranges.
    static func check(_ attachments: [MTOMAttachment]) throws(SedgateError) {
        var seen: Set<String> = [rootContentID]
        for (index, attachment) in attachments.enumerated() {
            let part = "attachment \(index + 1) (Content-ID <\(attachment.contentID.prefix(80))>)"
            try ContentID.check(attachment.contentID, part: "attachment \(index + 1)")
            guard seen.insert(attachment.contentID).inserted else {
                throw SedgateError(
                    .protocolViolation,
                    "\(part): the Content-ID is already used by another part; give each part its own")
            }
            try MIMEHeaders.check(.init(name: "Content-Type", value: attachment.contentType), part: part)
            _ = try MIMEMediaType(parsing: attachment.contentType)
            for field in attachment.headers {
                try MIMEHeaders.check(field, part: part)
                guard !reservedHeaders.contains(field.name.lowercased()) else {
                    throw SedgateError(
                        .protocolViolation,
                        "\(part): header \(field.name) is set by the writer; pass it as the attachment's "
                            + "contentID or contentType instead")
                }
            }
            if case .file(let path, let offset, let length) = attachment.body {
                let size = try ReadableFile(path: path).size()
                guard offset >= 0, length >= 0, offset <= size, length <= size - offset else {
                    throw SedgateError(
                        .io,
                        "\(part): bytes \(offset)..<\(offset + length) were asked for, but \(path) has \(size) bytes",
                        location: .init(file: path))
                }
            }
        }
    }
}
