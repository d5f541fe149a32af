// FragmentMessage: one fragment of a large payload on the wire: a small SOAP 1.2 root naming the SED, the
// fragment's index, the fragment count and its SHA-256, and the fragment's bytes as one MTOM/XOP binary part.
// Fragments travel ahead of the sealed SED whose signed manifest lists their digests; they are encrypted
// (AES-256-GCM) by the sending AP, so neither the wire nor the CN sees their content.

import Documents
public import Foundation
import Packaging
public import SedgateCore

/// One fragment of a large payload (the protocol article, Transport.docc/Protocol.md):
///
/// ```xml
/// <env:Envelope …>
///   <env:Header>
///     <sg:Protocol version="1"/>
///     <wsa:MessageID>urn:uuid:…</wsa:MessageID>
///     <wsa:Action>urn:eessi:sedgate:1:Fragment</wsa:Action>
///     <wsa:From><wsa:Address>urn:eessi:node:AP-BE</wsa:Address></wsa:From>
///     <wsa:To>urn:eessi:node:CN</wsa:To>
///     <sg:Fragment sedId="…" index="3" count="512" size="4194320" sha256="…"/>
///   </env:Header>
///   <env:Body><sg:FragmentData><xop:Include href="cid:fragment@sedgate"/></sg:FragmentData></env:Body>
/// </env:Envelope>
/// ```
/// It is answered with a `Receipt` of kind `stored` carrying `fragment="3"`.
public struct FragmentMessage: Sendable, Equatable {
    /// The WS-Addressing message id.
    public var messageID: String
    /// The sending node.
    public var from: NodeID
    /// The receiving node.
    public var to: NodeID
    /// The SED whose payload this is a fragment of.
    public var sedId: SEDID
    /// The fragment's position, from 0.
    public var index: Int
    /// How many fragments the payload has.
    public var count: Int
    /// The SHA-256 (lowercase hex) of `data`.
    public var sha256: String
    /// The fragment as transmitted (encrypted).
    public var data: Data

    /// Makes a fragment message; `sha256` is computed.
    public init(
        messageID: String = ProtocolMessage.newMessageID(), from: NodeID, to: NodeID, sedId: SEDID, index: Int,
        count: Int, data: Data
    ) {
        self.init(
            messageID: messageID, from: from, to: to, sedId: sedId, index: index, count: count, data: data,
            sha256: PayloadDigest.sha256(data))
    }

    /// Makes a fragment message whose digest is already known: checked against the received bytes, or the signed
    /// manifest's for a fragment made again from the payload or read from the store (a 2 MiB fragment costs a
    /// millisecond of SHA-256 each time it is hashed; a stored file that no longer matches is refused by the
    /// receiver, P-FRAG-4, as it would have been at assembly).
    public init(
        messageID: String = ProtocolMessage.newMessageID(), from: NodeID, to: NodeID, sedId: SEDID, index: Int,
        count: Int, data: Data, sha256: String
    ) {
        self.messageID = messageID
        self.from = from
        self.to = to
        self.sedId = sedId
        self.index = index
        self.count = count
        self.sha256 = sha256
        self.data = data
    }

    static let partID = "fragment@sedgate"

    /// The SOAP root with its xop:Include, and the fragment as its attachment.
    func parts() -> (root: Data, attachment: MTOMAttachment) {
        let xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <env:Envelope xmlns:env="\(SOAPNamespace.envelope)" xmlns:wsa="\(SOAPNamespace.addressing)" \
            xmlns:sg="\(SOAPNamespace.protocol_)">
            <env:Header>
            \(ProtocolVersion.headerBlock)
            <wsa:MessageID>\(messageID.xmlEscaped)</wsa:MessageID>
            <wsa:Action>\(ProtocolMessage.Action.fragment.rawValue)</wsa:Action>
            <wsa:From><wsa:Address>\(SOAPCodec.nodeURI(from))</wsa:Address></wsa:From>
            <wsa:To>\(SOAPCodec.nodeURI(to))</wsa:To>
            <sg:Fragment sedId="\(sedId)" index="\(index)" count="\(count)" size="\(data.count)" sha256="\(sha256)"/>
            </env:Header>
            <env:Body><sg:FragmentData><xop:Include xmlns:xop="\(XOP.namespace)" \
            href="cid:\(Self.partID)"/></sg:FragmentData></env:Body>
            </env:Envelope>

            """
        return (Data(xml.utf8), MTOMAttachment(contentID: Self.partID, body: .data(data)))
    }

    /// Reads a received fragment message and checks the fragment's size and SHA-256 against its header.
    static func read(
        _ message: MTOMMessage, root tree: XMLTree, source: String
    ) throws(SedgateError)
        -> FragmentMessage
    {
        func violation(_ text: String) -> SedgateError {
            SedgateError(.protocolViolation, text, location: .init(file: source))
        }
        let root = tree.root
        guard let header = root.firstChild("Header", namespace: SOAPNamespace.envelope),
            let fragment = header.firstChild("Fragment", namespace: SOAPNamespace.protocol_),
            let fromNode = header.firstChild("From", namespace: SOAPNamespace.addressing)?
                .firstChild("Address", namespace: SOAPNamespace.addressing),
            let toNode = header.firstChild("To", namespace: SOAPNamespace.addressing),
            let from = CompoundMessage.node(fromNode.text), let to = CompoundMessage.node(toNode.text)
        else { throw violation("a Fragment message needs wsa:From, wsa:To and an sg:Fragment header") }
        guard let sedId = fragment.attribute("sedId").flatMap(SEDID.init),
            let index = fragment.attribute("index").flatMap(Int.init),
            let count = fragment.attribute("count").flatMap(Int.init),
            let size = fragment.attribute("size").flatMap(Int.init),
            let sha256 = fragment.attribute("sha256"),
            index >= 0, index < count, count <= FragmentManifest.maxFragmentCount,
            size >= 0, size <= FragmentManifest.maxFragmentSize + Int(FragmentManifest.maxTransformOverhead)
        else { throw violation("sg:Fragment needs a sedId, 0 ≤ index < count, a size in range and a sha256") }
        guard let part = message.part(contentID: partID), part.length == Int64(size) else {
            throw violation("fragment \(index) of SED \(sedId) has no part of \(size) bytes")
        }
        let data = try message.bytes(of: part, limit: size)
        let actual = PayloadDigest.sha256(data)
        guard actual == sha256.lowercased() else {
            throw SedgateError(
                .protocolViolation,
                "fragment \(index) of SED \(sedId) was altered on the way: its SHA-256 is \(actual), the header "
                    + "says \(sha256); send it again", location: .init(file: source))
        }
        let messageID = header.firstChild("MessageID", namespace: SOAPNamespace.addressing)?.text ?? ""
        return FragmentMessage(
            messageID: messageID, from: from, to: to, sedId: sedId, index: index, count: count, data: data,
            sha256: actual)
    }
}
