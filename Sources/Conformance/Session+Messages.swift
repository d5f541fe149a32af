// Session+Messages: the SEDs, sealed SEDs, compound messages and fragments the suite sends, right or broken in
// exactly one way. Writes a payload and its fragments under the suite's temporary folder.

import Crypto
import Foundation
import Packaging
import SedgateCore
import Transport
import WSSecurity

extension Session {

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
