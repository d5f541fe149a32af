// XOP: moves base64 content out of a SOAP envelope into MTOM attachments (xop:Include) and back, byte-exact.
// Splices the original bytes (never re-serialises), so a signature over the inline form stays valid.

import Documents
public import Foundation
import Glibc
public import SedgateCore

/// XML-binary Optimized Packaging (W3C XOP 1.0) over UTF-8 documents.
///
/// `externalize` replaces the base64 text of selected elements (typically every `xenc:CipherValue`) by
/// `<xop:Include xmlns:xop="http://www.w3.org/2004/08/xop/include" href="cid:..."/>` and returns the decoded
/// bytes as attachments; `inline` puts the base64 (RFC 4648, no line breaks) back. Everything outside the
/// replaced content is kept byte for byte, so `inline(externalize(x)) == x` when x's base64 is canonical (no
/// line breaks or spaces), which is what a signature computed over the inline form needs.
public enum XOP {
    /// The XOP namespace of `xop:Include`.
    public static let namespace = "http://www.w3.org/2004/08/xop/include"
    /// The XML Encryption namespace (of `xenc:CipherValue`).
    public static let xmlEncryptionNamespace = "http://www.w3.org/2001/04/xmlenc#"

    /// What to do with a selected element whose base64 is not canonical (line breaks, spaces, stray bits).
    public enum NonCanonicalContent: Sendable, Hashable {
        /// Refuse the document: externalizing would change bytes a signature may cover.
        case refuse
        /// Leave that element's content inline.
        case keepInline
    }

    /// The rewritten XML and the attachments that now hold the externalized bytes.
    public struct Externalized: Sendable {
        /// The XML with xop:Include elements in place of the base64 content.
        public var xml: Data
        /// One `application/octet-stream` attachment per externalized element, in document order.
        public var attachments: [MTOMAttachment]
    }

    /// Moves the base64 content of the `elements` selected into attachments.
    ///
    /// `contentIDs` names the n-th attachment (0-based); by default `part<n+1>.<random>@sedgate`. Throws
    /// `.malformedXML` / `.hostileInput` for a document XMLTree refuses, and `.protocolViolation` for a selected
    /// element with child elements or (with `.refuse`) non-canonical base64.
    public static func externalize(
        xml: Data, elements: XOPSelection, nonCanonical: NonCanonicalContent = .refuse,
        contentIDs: ((Int) -> String)? = nil, source: String = "the SOAP envelope"
    ) throws(SedgateError) -> Externalized {
        let document = try XMLElements(xml, source: source)
        let token = Syscall.randomToken()
        var output: [UInt8] = []
        output.reserveCapacity(document.bytes.count)
        var cursor = 0
        var attachments: [MTOMAttachment] = []
        for (node, range) in zip(document.nodes, document.ranges)
        where elements.matches(node.namespaceURI, node.localName) && range.contentEnd > range.contentStart {
            let content = document.bytes[range.contentStart..<range.contentEnd]
            let name = "element \(node.prefix.map { $0 + ":" } ?? "")\(node.localName) (line \(node.line))"
            guard node.children.isEmpty else {
                throw SedgateError(
                    .protocolViolation, "\(name) has child elements; only base64 text can be moved to an attachment",
                    location: .init(file: source, line: node.line, field: node.path))
            }
            guard let decoded = canonicalBase64(content) else {
                if nonCanonical == .keepInline { continue }
                throw SedgateError(
                    .protocolViolation,
                    "\(name) does not hold canonical base64 (it has line breaks, spaces, entities or stray bits), "
                        + "so moving it to an attachment would change the bytes a signature covers. Produce base64 "
                        + "without line breaks (for xmlsec: xmlSecBase64SetDefaultLineSize(0))",
                    location: .init(file: source, line: node.line, field: node.path))
            }
            let id = contentIDs?(attachments.count) ?? contentID(attachments.count, token: token)
            try ContentID.check(id, part: "the attachment for \(name)")
            output.append(contentsOf: document.bytes[cursor..<range.contentStart])
            output.append(contentsOf: include(id).utf8)
            cursor = range.contentEnd
            attachments.append(MTOMAttachment(contentID: id, body: .data(decoded)))
        }
        output.append(contentsOf: document.bytes[cursor...])
        return Externalized(xml: Data(output), attachments: attachments)
    }

    /// Content-IDs for `count` attachments of one new message, as `externalize` names them by default:
    /// `part<n+1>.<random>@sedgate`.
    public static func contentIDs(count: Int) -> [String] {
        let token = Syscall.randomToken()
        return (0..<count).map { contentID($0, token: token) }
    }

    /// The `xop:Include` element that stands for the attachment `contentID`.
    public static func include(_ contentID: String) -> String {
        "<xop:Include xmlns:xop=\"\(namespace)\" href=\"\(ContentID.url(contentID))\"/>"
    }

    private static func contentID(_ index: Int, token: String) -> String {
        "part\(index + 1).\(token)@sedgate"
    }

    /// The bytes `text` encodes when it is canonical base64 (re-encoding gives `text` back), else nil.
    private static func canonicalBase64(_ text: ArraySlice<UInt8>) -> Data? {
        guard let decoded = Data(base64Encoded: Data(text)) else { return nil }
        let encoded = decoded.base64EncodedData()
        guard encoded.count == text.count else { return nil }
        let same = encoded.withUnsafeBytes { encodedBytes in
            text.withUnsafeBytes { textBytes in
                memcmp(encodedBytes.baseAddress!, textBytes.baseAddress!, text.count) == 0
            }
        }
        return same ? decoded : nil
    }
}
