// SOAPCodec+Decode: reads a SOAP 1.2 protocol message, safely (Documents' XMLTree), and checks it is complete.

import Documents
public import SedgateCore

extension SOAPCodec {
    /// The largest message `decode` parses by default: a 64 MiB payload grows by a third in base64.
    public static let defaultMaximumBytes = 96 << 20

    /// Reads a protocol message from the bytes of a SOAP 1.2 envelope; `source` names where it came from.
    ///
    /// Throws `.malformedXML` or `.hostileInput` (from the safe parser: no DTD, no entities, size and depth
    /// limits), `.invalidEnvelope` for a bad SED envelope, and `.protocolViolation` for anything else that breaks
    /// the protocol: not SOAP 1.2, another protocol version, a missing or unknown header, a body that does not
    /// match the action, a payload that is not base64 or not the size it declares.
    public static func decode(
        _ bytes: [UInt8], source: String, maximumBytes: Int = defaultMaximumBytes
    ) throws(SedgateError) -> ProtocolMessage {
        let tree = try XMLTree.parse(bytes, source: source, limits: XMLLimits(maxBytes: maximumBytes))
        let reader = Reader(source: source)
        return try reader.message(tree.root)
    }

    /// Reads one message, making every error name the source and the element at fault.
    private struct Reader {
        let source: String

        init(source: String) { self.source = source }

        func violation(_ message: String, at node: XMLNode) -> SedgateError {
            SedgateError(.protocolViolation, message, location: .init(file: source, line: node.line, field: node.path))
        }

        func required(
            _ parent: XMLNode, _ name: String, _ namespace: String, _ prefix: String
        ) throws(SedgateError)
            -> XMLNode
        {
            guard let child = parent.firstChild(name, namespace: namespace) else {
                throw violation(
                    "the message has no <\(prefix):\(name)> in \(parent.path); every protocol message "
                        + "must carry it (see the sedgate protocol article, Transport.docc/Protocol.md)", at: parent)
            }
            return child
        }

        func node(_ element: XMLNode) throws(SedgateError) -> NodeID {
            let text = element.text.trimmed
            guard text.hasPrefix(SOAPNamespace.nodeURIPrefix),
                let node = NodeID(String(text.dropFirst(SOAPNamespace.nodeURIPrefix.count)))
            else {
                throw violation("'\(text)' is not a node address; write urn:eessi:node:<node id>", at: element)
            }
            return node
        }

        func message(_ root: XMLNode) throws(SedgateError) -> ProtocolMessage {
            guard root.localName == "Envelope", root.namespaceURI == SOAPNamespace.envelope else {
                let found = "{\(root.namespaceURI ?? "")}\(root.localName)"
                let hint =
                    root.namespaceURI == SOAPNamespace.soap11Envelope
                    ? "it is SOAP 1.1; send SOAP 1.2" : "send a SOAP 1.2 envelope"
                throw violation(
                    "the message is not a SOAP 1.2 envelope (its root is \(found)); \(hint) "
                        + "(namespace \(SOAPNamespace.envelope))", at: root)
            }
            let header = try required(root, "Header", SOAPNamespace.envelope, "env")
            let body = try required(root, "Body", SOAPNamespace.envelope, "env")

            // No sg:Protocol means version 1.0; another major version is refused (P-VER-2 to P-VER-4).
            _ = try ProtocolVersion.check(header, source: source)

            let messageID = try required(header, "MessageID", SOAPNamespace.addressing, "wsa").text.trimmed
            guard !messageID.isEmpty else {
                throw violation("wsa:MessageID is empty; give every message a unique urn:uuid:", at: header)
            }
            let actionElement = try required(header, "Action", SOAPNamespace.addressing, "wsa")
            guard let action = ProtocolMessage.Action(rawValue: actionElement.text.trimmed) else {
                let known = ProtocolMessage.Action.allCases.map(\.rawValue).joined(separator: ", ")
                throw violation(
                    "wsa:Action '\(actionElement.text.trimmed)' is not an action of this protocol; "
                        + "use one of \(known)", at: actionElement)
            }
            let fromElement = try required(header, "From", SOAPNamespace.addressing, "wsa")
            let from = try node(try required(fromElement, "Address", SOAPNamespace.addressing, "wsa"))
            let to = try node(try required(header, "To", SOAPNamespace.addressing, "wsa"))
            let relatesTo = header.firstChild("RelatesTo", namespace: SOAPNamespace.addressing)?.text.trimmed

            var message = ProtocolMessage(
                messageID: messageID, action: action, from: from, to: to,
                relatesTo: relatesTo?.isEmpty == false ? relatesTo : nil)
            switch action {
            case .deliver:
                guard let envelopeElement = header.firstChild("Envelope", namespace: SOAPNamespace.sed) else {
                    throw violation(
                        "a Deliver message has no <sed:Envelope> in its SOAP header; the SED envelope "
                            + "must travel with the SED", at: header)
                }
                message.envelope = try parseEnvelope(envelopeElement, source: source)
                message.payload = try payload(try required(body, "Payload", SOAPNamespace.protocol_, "sg"))
            case .receipt:
                // One receipt per SED: a compound delivery is answered with several.
                _ = try required(body, "Receipt", SOAPNamespace.protocol_, "sg")
                for element in body.children("Receipt", namespace: SOAPNamespace.protocol_) {
                    message.receipts.append(try receipt(element))
                }
            case .fault:
                message.fault = try fault(try required(body, "Fault", SOAPNamespace.envelope, "env"))
            case .pull:
                _ = try required(body, "Pull", SOAPNamespace.protocol_, "sg")
            case .empty:
                _ = try required(body, "Empty", SOAPNamespace.protocol_, "sg")
            case .fragment:
                throw violation("a Fragment travels as MTOM (multipart/related), not as a plain SOAP message", at: body)
            }
            return message
        }

        func payload(_ element: XMLNode) throws(SedgateError) -> [UInt8] {
            guard let sizeText = element.attribute("size"), let size = Int(sizeText), size >= 0 else {
                throw violation(
                    "<sg:Payload> has no valid size attribute; give the payload's length in bytes",
                    at: element)
            }
            guard let bytes = Base64.decode(element.text) else {
                throw violation(
                    "<sg:Payload> is not valid base64; encode the SED bytes with RFC 4648 base64",
                    at: element)
            }
            guard bytes.count == size else {
                throw violation(
                    "<sg:Payload> declares \(size) bytes but holds \(bytes.count); the payload was "
                        + "truncated or altered in transit, send it again", at: element)
            }
            return bytes
        }

        func receipt(_ element: XMLNode) throws(SedgateError) -> Receipt {
            let sedIdText = element.attribute("sedId") ?? ""
            guard let sedId = SEDID(sedIdText) else {
                throw violation("<sg:Receipt> sedId '\(sedIdText)' is not a SED id (a UUID)", at: element)
            }
            let kindText = element.attribute("kind") ?? ""
            guard let kind = Receipt.Kind(rawValue: kindText) else {
                throw violation(
                    "<sg:Receipt> kind '\(kindText)' is not stored, delivered, routed or failed", at: element)
            }
            let nodeText = element.attribute("node") ?? ""
            guard let node = NodeID(nodeText) else {
                throw violation("<sg:Receipt> node '\(nodeText)' is not a node id", at: element)
            }
            let at = element.attribute("at") ?? ""
            guard !at.isEmpty else {
                throw violation("<sg:Receipt> has no 'at' time; give the ISO 8601 UTC time of the receipt", at: element)
            }
            var fragment: Int?
            if let text = element.attribute("fragment") {
                guard let index = Int(text), index >= 0 else {
                    throw violation("<sg:Receipt> fragment '\(text)' is not a fragment index", at: element)
                }
                fragment = index
            }
            var code: SedgateError.Code?
            if let text = element.attribute("code") {
                guard !text.isEmpty, text.count <= 64, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0 == "-") })
                else {
                    throw violation(
                        "<sg:Receipt> code '\(text)' is not an error code (lower-case words and '-')", at: element)
                }
                code = SedgateError.Code(wireName: text)
            }
            return Receipt(
                sedId: sedId, kind: kind, node: node, at: at, reason: element.attribute("reason"), code: code,
                fragment: fragment)
        }

        func fault(_ element: XMLNode) throws(SedgateError) -> Fault {
            let code = try required(element, "Code", SOAPNamespace.envelope, "env")
            let value = try required(code, "Value", SOAPNamespace.envelope, "env")
            let isSenderFault: Bool
            // The values are QNames; the prefix is whatever the peer bound to the SOAP namespace.
            switch value.text.trimmed.localPart {
            case "Sender": isSenderFault = true
            case "Receiver": isSenderFault = false
            case let other:
                throw violation("the fault code '\(other)' is neither env:Sender nor env:Receiver", at: value)
            }
            let subcode = try required(code, "Subcode", SOAPNamespace.envelope, "env")
            let subValue = try required(subcode, "Value", SOAPNamespace.envelope, "env").text.trimmed.localPart
            guard !subValue.isEmpty else {
                throw violation("the fault subcode is empty; write sg:<error code>", at: subcode)
            }
            let reasonElement = try required(element, "Reason", SOAPNamespace.envelope, "env")
            let reason = try required(reasonElement, "Text", SOAPNamespace.envelope, "env").text
            var retryAfter: Int?
            if let detail = element.firstChild("Detail", namespace: SOAPNamespace.envelope),
                let retry = detail.firstChild("RetryAfter", namespace: SOAPNamespace.protocol_)
            {
                guard let seconds = Int(retry.text.trimmed), seconds >= 0 else {
                    throw violation("<sg:RetryAfter> '\(retry.text)' is not a number of seconds", at: retry)
                }
                retryAfter = seconds
            }
            return Fault(
                code: SedgateError.Code(wireName: subValue), reason: reason, retryAfterSeconds: retryAfter,
                isSenderFault: isSenderFault)
        }
    }
}

extension String {
    /// The string without leading and trailing XML whitespace.
    fileprivate var trimmed: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\n" || $0 == "\r" || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }

    /// The part of a QName after its prefix (`Sender` for `env:Sender`).
    fileprivate var localPart: String {
        guard let colon = lastIndex(of: ":") else { return self }
        return String(self[index(after: colon)...])
    }
}

extension SOAPCodec {
    /// The `wsa:MessageID` of a request that could not be read whole (not well-formed, another version, a signature
    /// that fails...), found by a plain scan of its first 256 KiB, so that the fault refusing it can still name it
    /// in `wsa:RelatesTo` (P-FAULT-2). Nil when no plausible id is there.
    public static func messageID(in bytes: [UInt8]) -> String? {
        let window = bytes.prefix(256 << 10)
        let name = Array("MessageID".utf8)
        var index = window.startIndex
        while let found = window[index...].firstRange(of: name) {
            index = found.upperBound
            // The start tag: `<MessageID` or `<prefix:MessageID`, then white space or `>`, not an empty element.
            guard found.lowerBound > window.startIndex, found.upperBound < window.endIndex,
                [UInt8(ascii: ">"), 0x20, 0x09, 0x0A, 0x0D].contains(window[found.upperBound])
            else { continue }
            var before = found.lowerBound - 1
            if window[before] == UInt8(ascii: ":") {
                before -= 1
                while before > window.startIndex, isNameByte(window[before]) { before -= 1 }
            }
            guard window[before] == UInt8(ascii: "<"),
                let close = window[found.upperBound...].firstIndex(of: UInt8(ascii: ">")),
                window[close - 1] != UInt8(ascii: "/"),
                let end = window[(close + 1)...].firstIndex(of: UInt8(ascii: "<"))
            else { continue }
            let text = String(decoding: window[(close + 1)..<end], as: UTF8.self).trimmed
            guard !text.isEmpty, text.utf8.count <= 512 else { continue }
            return text
        }
        return nil
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
    }
}
