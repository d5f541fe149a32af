// MessageExchange: what the server does with one posted message body: decode, authenticate, handle, answer.

import Logging
import SedgateCore

/// Turns the bytes of one request into the reply and its HTTP status; no sockets, so tests can drive it directly.
struct MessageExchange: Sendable {
    /// This server's node (its certificate's CN), the `from` of faults it writes itself.
    let node: NodeID
    let handler: any MessageHandler
    let maximumBytes: Int
    /// Reads compound deliveries (multipart/related) and writes compound replies; nil refuses them.
    var compound: CompoundCodec? = nil

    /// The reply to a request body from `peer`, and the HTTP status to send it with.
    func answer(
        _ bytes: [UInt8], contentType: String = SOAPNamespace.contentType, peer: PeerIdentity, logger: Logger
    ) async -> (status: Int, reply: ProtocolMessage) {
        let source = "message from \(peer.commonName ?? "an unnamed peer")"
        let message: ProtocolMessage
        do throws(SedgateError) {
            // Parsing and verifying a large body is CPU work: it runs off the cooperative pool, so one slow (or
            // hostile) message cannot stall the node's other tasks.
            let compound = compound
            let maximumBytes = maximumBytes
            message = try await Blocking.run { () throws(SedgateError) in
                if contentType.lowercased().hasPrefix(SOAPNamespace.multipartPrefix) {
                    guard let compound else {
                        throw SedgateError(.protocolViolation, "this node takes no compound deliveries")
                    }
                    // Signatures (hop and end to end) are verified here, before any handler sees the SEDs.
                    return try compound.decodeMessage(bytes, contentType: contentType, source: source)
                }
                return try SOAPCodec.decode(bytes, source: source, maximumBytes: maximumBytes)
            }
        } catch {
            logger.notice(
                "refused an undecodable message", metadata: ["peer": "\(peer.commonName ?? "-")", "error": "\(error)"])
            // Refused unread, the fault still names the request when its wsa:MessageID can be found (P-FAULT-2).
            return reply(
                Fault(error, isSenderFault: true), to: nil, peer: peer, relatesTo: SOAPCodec.messageID(in: bytes))
        }
        guard let peerNode = peer.node, peerNode == message.from else {
            let claimed = peer.commonName.map { "'\($0)'" } ?? "no name"
            let fault = Fault(
                code: .unauthorized,
                reason: "the message claims to come from \(message.from) but the "
                    + "client certificate names \(claimed); send with the certificate issued to \(message.from)",
                isSenderFault: true)
            logger.warning(
                "refused a message whose sender does not match the certificate",
                metadata: ["from": "\(message.from)", "certificate": "\(peer.commonName ?? "-")"])
            return reply(fault, to: message, peer: peer)
        }
        var answer = await handler.handle(message, peer: peer)
        if answer.fault != nil, answer.relatesTo == nil { answer.relatesTo = message.messageID }
        return (answer.fault.map(Self.status) ?? 200, answer)
    }

    /// A fault reply written by the server itself, answering `message` when it could be read.
    func reply(
        _ fault: Fault, to message: ProtocolMessage?, peer: PeerIdentity, relatesTo: String? = nil
    ) -> (status: Int, reply: ProtocolMessage) {
        let reply = ProtocolMessage(
            action: .fault, from: node, to: message?.from ?? peer.node ?? Self.unknownPeer,
            relatesTo: message?.messageID ?? relatesTo, fault: fault)
        return (Self.status(fault), reply)
    }

    /// Stands for a peer whose certificate names no valid node, in the `to` of a fault we still owe it.
    static let unknownPeer = NodeID("unknown")!

    /// The HTTP status for a fault: 403 when unauthorized, 400 for other sender faults, 503 for back-pressure,
    /// 500 for other receiver faults.
    static func status(_ fault: Fault) -> Int {
        if fault.code == .backPressure { return 503 }
        if fault.code == .unauthorized { return 403 }
        return fault.isSenderFault ? 400 : 500
    }
}
