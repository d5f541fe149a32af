// Envelope+Stored: the envelope as a journal keeps it (JSON), read back with a memory of the texts already decoded.

import Foundation
import Synchronization

extension Envelope {
    /// The envelope a journal stored as JSON (`Journal` and `ClusterJournal` write it with sorted keys).
    ///
    /// Decoded envelopes are remembered by their text, at most 4,096 (all forgotten when full): a SED's row is read
    /// several times over its life on a node (the queue, the seen-set, the receipts), its envelope text never changes,
    /// and decoding it was most of the cost of reading a row.
    public static func decodingStored(_ text: String) throws -> Envelope {
        if let known = stored.withLock({ $0[text] }) { return known }
        let envelope = try JSONDecoder().decode(Envelope.self, from: Data(text.utf8))
        remember(envelope, as: text)
        return envelope
    }

    /// Remembers `envelope` as the decoding of `text` (at most 4,096, all forgotten when full).
    fileprivate static func remember(_ envelope: Envelope, as text: String) {
        stored.withLock { known in
            if known.count >= 4_096 { known.removeAll(keepingCapacity: true) }
            known[text] = envelope
        }
    }

    private static let stored = Mutex<[String: Envelope]>([:])
}

extension Envelope {
    /// The envelope as a journal stores it: byte for byte what `JSONEncoder` with `.sortedKeys` writes (compact, `/`
    /// escaped, absent fields left out; a test holds the two equal), written directly, since every SED is journalled
    /// on every node and the encoder's general machinery cost more than the row. The text is remembered for
    /// `decodingStored`, so the row's first read back decodes nothing.
    public var storedJSON: String {
        var out: [UInt8] = []
        out.reserveCapacity(512)
        var first = true
        func key(_ name: StaticString) {
            out.append(first ? UInt8(ascii: "{") : UInt8(ascii: ","))
            first = false
            out.append(UInt8(ascii: "\""))
            name.withUTF8Buffer { out.append(contentsOf: $0) }
            out.append(contentsOf: "\":".utf8)
        }
        func string(_ name: StaticString, _ value: String?) {
            guard let value else { return }
            key(name)
            JSONString.quote(value, escapingSlashes: true, into: &out)
        }
        func number(_ name: StaticString, _ value: Int?) {
            guard let value else { return }
            key(name)
            out.append(contentsOf: String(value).utf8)
        }
        // The keys in the encoder's order (sorted by their UTF-8 bytes).
        if let value = ackRequested {
            key("ackRequested")
            out.append(contentsOf: (value ? "true" : "false").utf8)
        }
        string("bucType", bucType)
        string("caseId", caseId)
        string("contentType", contentType)
        string("createdAt", createdAt)
        string("dueDate", dueDate)
        string("inReplyTo", inReplyTo?.rawValue)
        string("interaction", interaction.rawValue)
        string("language", language)
        number("payloadSize", payloadSize)
        string("receiver", receiver.description)
        string("receiverFileNo", receiverFileNo)
        string("receivingAP", receivingAP?.rawValue)
        string("sector", sector)
        string("sedId", sedId?.rawValue)
        string("sedType", sedType)
        string("sedVersion", sedVersion)
        string("sender", sender.description)
        string("senderFileNo", senderFileNo)
        string("sendingAP", sendingAP?.rawValue)
        number("seqNo", seqNo)
        // Never empty: sedType, interaction and the addresses are always there.
        out.append(UInt8(ascii: "}"))
        let text = String(decoding: out, as: UTF8.self)
        Self.remember(self, as: text)
        return text
    }
}

/// JSON string literals written the way `JSONEncoder` writes them, for the few JSON texts written by hand.
public enum JSONString {
    private static let hex = Array("0123456789abcdef".utf8)

    /// Appends `text` in quotes, escaped as the encoder does: quote, backslash and control characters (`\b`, `\f`,
    /// `\n`, `\r`, `\t`, others as `\u00XX`), `/` as `\/` when `escapingSlashes` (the encoder's default), and
    /// everything else as it is (UTF-8).
    public static func quote(_ text: String, escapingSlashes: Bool, into out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: "\\\"".utf8)
            case UInt8(ascii: "\\"): out.append(contentsOf: "\\\\".utf8)
            case UInt8(ascii: "/") where escapingSlashes: out.append(contentsOf: "\\/".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case 0x0A: out.append(contentsOf: "\\n".utf8)
            case 0x0D: out.append(contentsOf: "\\r".utf8)
            case 0x09: out.append(contentsOf: "\\t".utf8)
            case 0..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }
}
