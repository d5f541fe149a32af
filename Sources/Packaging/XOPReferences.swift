// XOPReferences: the parts of a received MTOM message as the xop:Include elements of its root part name them, each
// attachment once: a part named twice, or an attachment no Include names, is refused (it could carry what no
// signature over the inline form covers).

public import Foundation
public import SedgateCore

/// The parts of one received MTOM message, read as its root part's xop:Include elements name them.
public struct XOPReferences {
    /// The message whose parts are named.
    public let message: MTOMMessage
    /// The largest part read into memory.
    public let partLimit: Int
    /// Each part read so far, by the href that named it.
    public private(set) var partsByHref: [String: Data] = [:]
    private var named: Set<String> = []

    /// Starts with no part named.
    public init(_ message: MTOMMessage, partLimit: Int = 32 << 20) {
        self.message = message
        self.partLimit = partLimit
    }

    /// The bytes of the part `href` (a `cid:` URL) names. Throws `.protocolViolation` for an href that is not a
    /// cid: URL, names no part, or names a part already named; `.hostileInput` for a part over the limit.
    public mutating func part(href: String) throws(SedgateError) -> Data {
        guard let id = ContentID.fromURL(href) else {
            throw SedgateError(
                .protocolViolation, "an xop:Include has href '\(href.prefix(120))', not a cid: URL naming a part",
                location: .init(file: source))
        }
        guard let data = try part(contentID: id) else {
            throw SedgateError(
                .protocolViolation,
                "an xop:Include refers to cid:\(id), but the message has no part with Content-ID <\(id)>; the message "
                    + "is incomplete",
                location: .init(file: source))
        }
        partsByHref[href] = data
        return data
    }

    /// The bytes of the part `contentID` names (without angle brackets), nil when there is none (as `XOP.inline`
    /// takes them). Throws `.protocolViolation` for a part already named, `.hostileInput` for one over the limit.
    public mutating func part(contentID id: String) throws(SedgateError) -> Data? {
        guard let part = message.part(contentID: id) else { return nil }
        guard named.insert(id).inserted else {
            throw SedgateError(
                .protocolViolation,
                "two xop:Include elements refer to the part <\(id)>; each part is included once, so the message was "
                    + "refused",
                location: .init(file: source))
        }
        return try message.bytes(of: part, limit: partLimit)
    }

    /// Throws `.protocolViolation` when an attachment (a part other than the root) was named by no xop:Include.
    public func checkEveryAttachmentNamed() throws(SedgateError) {
        let unnamed = message.attachments.filter { !named.contains($0.contentID) }
        guard unnamed.isEmpty else {
            let list = unnamed.prefix(3).map { "<\($0.contentID)>" }.joined(separator: ", ")
            throw SedgateError(
                .protocolViolation,
                "the message carries \(unnamed.count) part(s) that no xop:Include refers to (\(list)\(unnamed.count > 3 ? ", …" : "")); "
                    + "every attachment must be included once, so the message was refused",
                location: .init(file: source))
        }
    }

    private var source: String { "the root part of the MTOM message" }
}
