// Session: the suite's connection to the node under test: its client and keys, the messages it makes (right ones,
// and ones that break exactly one rule), and the checks it records.

import Crypto
import Foundation
import Logging
import Packaging
import SedgateCore
import Transport
import WSSecurity

/// One run of the suite against one node.
struct Session {
    let options: ConformanceOptions
    let client: ProtocolClient
    /// Signs the suite's hops (its identity's key); reads MTOM replies.
    let codec: CompoundCodec
    /// Seals the suite's SEDs.
    let sealer: NodeKey
    let sealerID: NodeID
    /// The AP the SEDs are sealed for.
    let recipient: PeerCertificate
    let recipientID: NodeID
    /// The suite's own certificate (it seals SEDs for itself in pull mode).
    let own: PeerCertificate
    /// The suite's node id (its certificate's CN) and the node under test's.
    let local: NodeID
    let target: NodeID
    let folder: String
    var checks: [ConformanceCheck] = []

    init(_ options: ConformanceOptions, logger: Logger) throws(SedgateError) {
        self.options = options
        folder = options.temporaryDirectory + "/sedgate-conformance-\(UUID().uuidString)"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw SedgateError(.io, "cannot create the temporary folder \(folder)", cause: error)
        }
        codec = try CompoundCodec(tls: options.identity, temporaryDirectory: folder)
        client = try ProtocolClient(tls: options.identity, compound: codec, logger: logger)
        let identity = try PeerCertificate(file: options.identity.certificatePath)
        guard let local = NodeID(identity.commonName) else {
            throw SedgateError(
                .configuration,
                "the certificate \(options.identity.certificatePath) names '\(identity.commonName)', "
                    + "which is not a node id")
        }
        self.local = local
        own = identity
        let sealerFiles = options.sealer ?? options.identity
        sealer = try NodeKey(privateKeyFile: sealerFiles.privateKeyPath, certificateFile: sealerFiles.certificatePath)
        let sealerCertificate = try PeerCertificate(file: sealerFiles.certificatePath)
        recipient = try PeerCertificate(file: options.recipientCertificate)
        guard let sealerID = NodeID(sealerCertificate.commonName), let recipientID = NodeID(recipient.commonName)
        else {
            throw SedgateError(.configuration, "the sealing and recipient certificates must name node ids")
        }
        self.sealerID = sealerID
        self.recipientID = recipientID
        target = options.node ?? (options.role == .coordinationNode ? NodeID("CN")! : recipientID)
    }

    func close() async {
        await client.shutdown()
        try? FileManager.default.removeItem(atPath: folder)
    }

    // MARK: - Checks

    mutating func check(_ rule: String, _ title: String, _ passed: Bool, expected: String, got: String) {
        checks.append(
            ConformanceCheck(
                rule: rule, title: title, passed: passed, expected: passed ? nil : expected, got: passed ? nil : got))
    }

    /// The node refused the request: with `status`, a fault of `code` on the sender's side, naming the request.
    /// `sentAs` is the `wsa:From` the request claimed, when it was not the suite's own.
    mutating func expectFault(
        _ reply: Reply, _ rule: String, _ title: String, status: Int, code: SedgateError.Code, relatesTo: String?,
        sentAs: NodeID? = nil
    ) {
        let fault = reply.message?.fault
        check(
            rule, title, fault?.code == code && fault?.isSenderFault == true,
            expected: "a fault env:Sender sg:\(code)", got: reply.summary)
        check(
            "P-HTTP-5", "\(title): HTTP status \(status)", reply.raw?.status == status,
            expected: "HTTP \(status)", got: reply.raw.map { "HTTP \($0.status)" } ?? reply.summary)
        if fault != nil {
            check(
                "P-FAULT-1", "\(title): a SOAP 1.2 fault in a Fault message",
                reply.message?.action == .fault && reply.message?.from == target
                    && (reply.message?.to == local || reply.message?.to == sentAs),
                expected: "wsa:Action Fault from \(target) to \(local)\(sentAs.map { " or \($0)" } ?? "")",
                got: "\(reply.message?.action.rawValue ?? "-") from \(reply.message?.from.rawValue ?? "-") to "
                    + "\(reply.message?.to.rawValue ?? "-")")
        }
        if let relatesTo {
            check(
                "P-FAULT-2", "\(title): the fault names the request in wsa:RelatesTo",
                reply.message?.relatesTo == relatesTo, expected: "wsa:RelatesTo \(relatesTo)",
                got: reply.message.map { $0.relatesTo.map { "wsa:RelatesTo \($0)" } ?? "no wsa:RelatesTo" }
                    ?? reply.summary)
        }
    }

    /// The node answered `request` with receipts: 200, relating to it, from the node under test.
    mutating func expectReceipts(_ reply: Reply, _ title: String, relatesTo: String) {
        check(
            "P-HTTP-5", "\(title): HTTP 200 with receipts",
            reply.raw?.status == 200 && reply.message?.action == .receipt, expected: "HTTP 200 Receipt",
            got: reply.summary)
        check(
            "P-ADDR-3", "\(title): the reply relates to the request, from and to swapped",
            reply.message?.relatesTo == relatesTo && reply.message?.from == target && reply.message?.to == local,
            expected: "wsa:RelatesTo \(relatesTo), from \(target) to \(local)",
            got: reply.message.map {
                "wsa:RelatesTo \($0.relatesTo ?? "none"), from \($0.from) to \($0.to)"
            } ?? reply.summary)
    }

    /// The receipt for `sedId` in `reply`, compared as SED ids (any case).
    func findReceipt(_ reply: Reply, for sedId: SEDID, fragment: Int? = nil) -> Receipt? {
        reply.message?.receipts.first { $0.sedId == sedId && $0.fragment == fragment }
    }

    // MARK: - Sending

    /// A reply as it came, and as read (nil with `problem` when it could not be read).
    struct Reply {
        var raw: ProtocolClient.RawReply?
        var message: ProtocolMessage?
        var problem: String?

        /// `HTTP 400 Fault env:Sender sg:protocol-violation`, `HTTP 200 Receipt stored`, or the problem.
        var summary: String {
            guard let raw else { return problem ?? "no reply" }
            guard let message else { return "HTTP \(raw.status), unreadable: \(problem ?? "?")" }
            var text = "HTTP \(raw.status) \(message.action.rawValue.split(separator: ":").last ?? "")"
            if let fault = message.fault {
                text += " env:\(fault.isSenderFault ? "Sender" : "Receiver") sg:\(fault.code)"
            }
            if !message.receipts.isEmpty {
                text +=
                    " "
                    + message.receipts.map { receipt in
                        "\(receipt.kind.rawValue)\(receipt.fragment.map { " fragment=\($0)" } ?? "")"
                            + "\(receipt.code.map { " code=\($0)" } ?? "")"
                    }.joined(separator: ", ")
            }
            return text
        }
    }

    /// Posts `body` and reads the reply (SOAP, or MTOM for a 200 answer to a pull).
    func post(_ body: [UInt8], contentType: String = "application/soap+xml; charset=utf-8") async -> Reply {
        let raw: ProtocolClient.RawReply
        do {
            raw = try await client.raw(body, contentType: contentType, to: options.url, timeout: .seconds(300))
        } catch {
            return Reply(raw: nil, message: nil, problem: "no reply: \(error.message)")
        }
        do throws(SedgateError) {
            let message =
                if raw.contentType.lowercased().hasPrefix("multipart/related") {
                    try codec.decodeMessage(raw.body, contentType: raw.contentType, source: "reply")
                } else {
                    try SOAPCodec.decode(raw.body, source: "reply")
                }
            return Reply(raw: raw, message: message, problem: nil)
        } catch {
            return Reply(raw: raw, message: nil, problem: error.message)
        }
    }

    /// A simple message from the suite to the node under test, as bytes, after `edit` (on the text).
    func simple(
        _ action: ProtocolMessage.Action, receipts: [Receipt] = [], from: NodeID? = nil,
        edit: (String) -> String = { $0 }
    ) -> (id: String, bytes: [UInt8]) {
        let message = ProtocolMessage(action: action, from: from ?? local, to: target, receipts: receipts)
        return (message.messageID, Array(edit(String(decoding: SOAPCodec.encode(message), as: UTF8.self)).utf8))
    }

    /// Replaces the `sg:Protocol` header block.
    static func protocolBlock(_ replacement: String) -> (String) -> String {
        { text in
            guard let start = text.range(of: "<sg:Protocol"), let end = text[start.upperBound...].range(of: "/>")
            else { return text }
            return text.replacingCharacters(in: start.lowerBound..<end.upperBound, with: replacement)
        }
    }
}
