// Session: the suite's connection to the node under test: its client and keys, the messages it makes (right ones,
// and ones that break exactly one rule), and the checks it records.

import Crypto
import Foundation
import Logging
import Packaging
import Security
import SedgateCore
import Transport

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

    // MARK: - SEDs

    /// A small SED (a P001 pension claim like the samples) for the recipient, with its wire envelope.
    func sed(
        receiver: String? = nil, receivingAP: NodeID? = nil
    ) throws(SedgateError) -> (
        sedId: SEDID, envelope: Envelope, bytes: [UInt8]
    ) {
        let sedId = SEDID.random()
        let caseId = SEDID.random().rawValue
        let createdAt = Timestamp.now()
        let receiver = receiver ?? options.receiver
        let document = """
            <?xml version="1.0" encoding="UTF-8"?>
            <SED xmlns="urn:eessi:sedgate:sed:1">
              <Envelope>
                <SedId>\(sedId)</SedId>
                <SendingAP>\(sealerID)</SendingAP>
                <CreatedAt>\(createdAt)</CreatedAt>
                <SedType>P001</SedType>
                <SedVersion>4.2</SedVersion>
                <Sector>PE</Sector>
                <BucType>P_BUC_01</BucType>
                <CaseId>\(caseId)</CaseId>
                <Sender>\(options.sender)</Sender>
                <Receiver>\(receiver)</Receiver>
              </Envelope>
              <Content>
                <pe:PensionClaim xmlns:pe="urn:eessi:sedgate:sed:pe:1">
                  <pe:Person><pe:Pin country="BE">85.07.30-033.61</pe:Pin><pe:FamilyName>Peeters</pe:FamilyName><pe:Forenames>Anna Maria</pe:Forenames><pe:BirthDate>30071955</pe:BirthDate><pe:Sex>F</pe:Sex></pe:Person>
                  <pe:PensionType>old-age</pe:PensionType>
                  <pe:ClaimDate>2026-10-01</pe:ClaimDate>
                  <pe:Period type="employment" from="1980-01-01" to="1980-12-31" scheme="wage-earners">Conformance</pe:Period>
                </pe:PensionClaim>
              </Content>
            </SED>

            """
        let envelope = try Envelope(fields: [
            .sedId: sedId.rawValue, .sedType: "P001", .sedVersion: "4.2", .sector: "PE", .bucType: "P_BUC_01",
            .caseId: caseId, .sender: options.sender, .receiver: receiver, .sendingAP: sealerID.rawValue,
            .receivingAP: (receivingAP ?? recipientID).rawValue, .createdAt: createdAt,
        ])
        return (sedId, envelope, Array(document.utf8))
    }

    /// One SED sealed by the sealer for the recipient.
    func sealed(receiver: String? = nil, receivingAP: NodeID? = nil) throws(SedgateError) -> SealedSED {
        let made = try self.sed(receiver: receiver, receivingAP: receivingAP)
        return try SealedSED.seal(made.bytes, envelope: made.envelope, signer: sealer, recipient: recipient)
    }

    /// A compound message of `seds` from the suite to the node under test, signed after `edit`.
    func compound(
        _ seds: [SealedSED], to: NodeID? = nil, edit: (String) -> String = { $0 }
    ) throws(SedgateError) -> (id: String, contentType: String, body: [UInt8]) {
        let message = CompoundMessage(from: local, to: to ?? target, seds: seds)
        let encoded = try codec.encode(message, editing: edit)
        return (message.messageID, encoded.contentType, encoded.body)
    }

    /// A large payload of two encrypted fragments, sealed with its manifest: the fragment messages and the SED.
    /// With `forSelf`, the SED goes to `sender`, sealed for the suite's own AP (pull mode).
    func fragmented(
        forSelf: Bool = false
    ) throws(SedgateError) -> (
        sedId: SEDID, fragments: [FragmentMessage], sealed: SealedSED
    ) {
        var sed =
            forSelf ? try self.sed(receiver: options.sender, receivingAP: local) : try self.sed()
        sed.envelope.contentType = "application/octet-stream"
        let id = sed.sedId.rawValue
        let plain = folder + "/payload-\(id)"
        let pieces = folder + "/fragments-\(id)"
        do {
            try FileManager.default.createDirectory(atPath: pieces, withIntermediateDirectories: true)
            var payload = Data(count: 6_000)
            for index in payload.indices { payload[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
            try payload.write(to: URL(fileURLWithPath: plain))
        } catch {
            throw SedgateError(.io, "cannot write a payload under \(folder)", cause: error)
        }
        let key = FragmentCipher.makeKey()
        let manifest = try Fragmenter.split(
            file: plain, fragmentSize: 4_096, payloadID: id, contentType: "application/octet-stream",
            fileName: "conformance.bin", into: pieces
        ) { index, fragment in
            try FragmentCipher.seal(index: index, plaintext: fragment, key: key, payloadID: id)
        }
        var fragments: [FragmentMessage] = []
        for index in 0..<manifest.fragmentCount {
            guard let data = FileManager.default.contents(atPath: pieces + "/" + manifest.fileName(ofFragment: index))
            else { throw SedgateError(.io, "fragment \(index) vanished from \(pieces)") }
            fragments.append(
                FragmentMessage(
                    from: local, to: target, sedId: sed.sedId, index: index, count: manifest.fragmentCount, data: data))
        }
        let sealed = try SealedSED.seal(
            fragments: manifest, key: FragmentCipher.bytes(of: key), envelope: sed.envelope, signer: sealer,
            recipient: forSelf ? own : recipient)
        return (sed.sedId, fragments, sealed)
    }

    /// Posts one fragment message under a fresh message id; `damage` flips a byte of its data after its SHA-256
    /// was written. Returns the id and the reply.
    func send(_ fragment: FragmentMessage, damage: Bool = false) async -> (id: String, reply: Reply) {
        var message = fragment
        message.messageID = ProtocolMessage.newMessageID()
        let encoded: (contentType: String, body: [UInt8])
        do {
            encoded = try codec.encode(message)
        } catch {
            return (message.messageID, Reply(raw: nil, message: nil, problem: "cannot encode: \(error.message)"))
        }
        var body = encoded.body
        if damage, let range = body.firstRange(of: Array(message.data.prefix(32))) {
            body[range.lowerBound] ^= 0xFF
        }
        return (message.messageID, await post(body, contentType: encoded.contentType))
    }
}
