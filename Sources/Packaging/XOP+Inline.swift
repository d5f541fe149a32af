// XOP+Inline: replaces each xop:Include by the base64 of the part it names, giving back the inline XML.

import Documents
public import Foundation
public import SedgateCore

extension XOP {
    /// The XML with every `xop:Include href="cid:X"` replaced by the base64 (RFC 4648, no line breaks) of part X.
    ///
    /// `parts` returns a part's bytes by Content-ID (without angle brackets), or nil when there is none, which
    /// is refused as `.protocolViolation` naming the cid and the line. Errors `parts` throws are passed on
    /// (wrapped as `.io` when they are not SedgateErrors).
    public static func inline(
        xml: Data, source: String = "the SOAP envelope", parts: (_ contentID: String) throws -> Data?
    ) throws(SedgateError) -> Data {
        let document = try XMLElements(xml, source: source)
        var output: [UInt8] = []
        output.reserveCapacity(document.bytes.count)
        var cursor = 0
        for (node, range) in zip(document.nodes, document.ranges)
        where node.namespaceURI == namespace && node.localName == "Include" && range.start >= cursor {
            let location = SedgateError.Location(file: source, line: node.line, field: node.path)
            let href = node.attribute("href") ?? ""
            guard let id = ContentID.fromURL(href) else {
                throw SedgateError(
                    .protocolViolation,
                    "the xop:Include at line \(node.line) has href '\(href.prefix(120))', not a cid: URL naming a part",
                    location: location)
            }
            let data: Data?
            do {
                data = try parts(id)
            } catch let error as SedgateError {
                throw error
            } catch {
                throw SedgateError(
                    .io, "the part <\(id)> for the xop:Include at line \(node.line) could not be read",
                    location: location, cause: error)
            }
            guard let data else {
                throw SedgateError(
                    .protocolViolation,
                    "the xop:Include at line \(node.line) refers to cid:\(id), but the message has no part with "
                        + "Content-ID <\(id)>; the message is incomplete",
                    location: location)
            }
            output.append(contentsOf: document.bytes[cursor..<range.start])
            output.append(contentsOf: data.base64EncodedData())
            cursor = range.end
        }
        output.append(contentsOf: document.bytes[cursor...])
        return Data(output)
    }

    /// The inline form of a received message's root part, reading each included part (at most `partLimit`
    /// bytes each) from the message.
    public static func inline(_ message: MTOMMessage, partLimit: Int = 32 << 20) throws(SedgateError) -> Data {
        try inline(xml: message.rootBytes, source: "the root part of the MTOM message") { id in
            try message.part(contentID: id).map { part throws(SedgateError) in
                try message.bytes(of: part, limit: partLimit)
            }
        }
    }
}
