// SOAPCodec: writes a ProtocolMessage as a SOAP 1.2 envelope with WS-Addressing headers (reading: SOAPCodec+Decode).

import Documents
import SedgateCore

/// The SOAP 1.2 form of protocol messages (the protocol article, Transport.docc/Protocol.md).
///
/// ```xml
/// <env:Envelope xmlns:env="http://www.w3.org/2003/05/soap-envelope"
///     xmlns:wsa="http://www.w3.org/2005/08/addressing" xmlns:sg="urn:eessi:sedgate:protocol:1">
///   <env:Header>
///     <sg:Protocol version="1" minor="1"/>
///     <wsa:MessageID>urn:uuid:…</wsa:MessageID>
///     <wsa:Action>urn:eessi:sedgate:1:Deliver</wsa:Action>
///     <wsa:From><wsa:Address>urn:eessi:node:AP-A</wsa:Address></wsa:From>
///     <wsa:To>urn:eessi:node:CN</wsa:To>
///     <sed:Envelope xmlns:sed="urn:eessi:sedgate:sed:1">…</sed:Envelope>
///   </env:Header>
///   <env:Body><sg:Payload contentType="application/xml" size="1234">base64…</sg:Payload></env:Body>
/// </env:Envelope>
/// ```
/// A receipt's body is `<sg:Receipt sedId= kind= node= at= [reason=] [code=]/>`; a fault's is a SOAP 1.2 `env:Fault` whose
/// subcode is `sg:<code>` and whose detail may hold `<sg:RetryAfter>` seconds.
public enum SOAPCodec {
    /// The UTF-8 bytes of `message` as a SOAP 1.2 envelope.
    public static func encode(_ message: ProtocolMessage) -> [UInt8] {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <env:Envelope xmlns:env="\(SOAPNamespace.envelope)" xmlns:wsa="\(SOAPNamespace.addressing)" \
            xmlns:sg="\(SOAPNamespace.protocol_)">
            <env:Header>
            \(ProtocolVersion.headerBlock)
            <wsa:MessageID>\(message.messageID.xmlEscaped)</wsa:MessageID>
            <wsa:Action>\(message.action.rawValue)</wsa:Action>
            <wsa:From><wsa:Address>\(nodeURI(message.from))</wsa:Address></wsa:From>
            <wsa:To>\(nodeURI(message.to))</wsa:To>

            """
        if let relatesTo = message.relatesTo {
            xml += "<wsa:RelatesTo>\(relatesTo.xmlEscaped)</wsa:RelatesTo>\n"
        }
        if let envelope = message.envelope {
            xml += renderEnvelope(envelope) + "\n"
        }
        xml += "</env:Header>\n<env:Body>\n"
        if let payload = message.payload {
            let contentType = message.envelope?.contentType ?? "application/xml"
            xml += "<sg:Payload contentType=\"\(contentType.xmlEscaped)\" size=\"\(payload.count)\">"
            xml += Base64.encode(payload)
            xml += "</sg:Payload>\n"
        }
        for receipt in message.receipts {
            xml += "<sg:Receipt sedId=\"\(receipt.sedId)\" kind=\"\(receipt.kind.rawValue)\" "
            xml += "node=\"\(receipt.node)\" at=\"\(receipt.at.xmlEscaped)\""
            if let reason = receipt.reason { xml += " reason=\"\(reason.xmlEscaped)\"" }
            if let code = receipt.code { xml += " code=\"\(code.name.xmlEscaped)\"" }
            if let fragment = receipt.fragment { xml += " fragment=\"\(fragment)\"" }
            xml += "/>\n"
        }
        if let fault = message.fault {
            xml += render(fault)
        }
        switch message.action {
        case .pull: xml += "<sg:Pull/>\n"
        case .empty: xml += "<sg:Empty/>\n"
        default: break
        }
        xml += "</env:Body>\n</env:Envelope>\n"
        return Array(xml.utf8)
    }

    /// `urn:eessi:node:<id>`, the WS-Addressing address of a node.
    static func nodeURI(_ node: NodeID) -> String {
        SOAPNamespace.nodeURIPrefix + node.rawValue
    }

    /// A SOAP 1.2 fault element.
    private static func render(_ fault: Fault) -> String {
        var xml = """
            <env:Fault>
            <env:Code><env:Value>env:\(fault.isSenderFault ? "Sender" : "Receiver")</env:Value>\
            <env:Subcode><env:Value>sg:\(fault.code.name.xmlEscaped)</env:Value></env:Subcode></env:Code>
            <env:Reason><env:Text xml:lang="en">\(fault.reason.xmlEscaped)</env:Text></env:Reason>

            """
        if let seconds = fault.retryAfterSeconds {
            xml += "<env:Detail><sg:RetryAfter>\(seconds)</sg:RetryAfter></env:Detail>\n"
        }
        xml += "</env:Fault>\n"
        return xml
    }
}
