// Session+Deliveries: compound deliveries and what each answer must be: taken, taken again, ids in upper case,
// a listed envelope that is not the sealed one, an altered hop, another version, another addressee, no route.

import Foundation
import SedgateCore
import Transport

extension Session {
    struct Delivery {
        var id: String
        var sedIds: [SEDID]
        var reply: Reply

        /// The first SED's id.
        var sedId: SEDID? { sedIds.isEmpty ? nil : sedIds[0] }

        /// Every SED got a `failed` receipt and none got another.
        var failedOnly: Bool {
            guard let receipts = reply.message?.receipts, !receipts.isEmpty, !sedIds.isEmpty else { return false }
            return sedIds.allSatisfy { id in receipts.contains { $0.sedId == id && $0.kind == .failed } }
                && !receipts.contains { $0.kind != .failed }
        }
    }

    /// Sends the SEDs (nil: one could not be made) in one compound message, rewritten by `edit` before signing.
    func deliver(
        _ seds: [SealedSED?], to: NodeID? = nil, edit: (String) -> String = { $0 },
        damage: ((inout [UInt8]) -> Void)? = nil
    ) async -> Delivery {
        let made = seds.compactMap { $0 }
        guard made.count == seds.count, !made.isEmpty else {
            return Delivery(id: "", sedIds: [], reply: Reply(problem: "the suite could not seal a SED"))
        }
        do {
            var message = try compound(made, to: to, edit: edit)
            damage?(&message.body)
            return Delivery(
                id: message.id, sedIds: made.map(\.sedId),
                reply: await post(message.body, contentType: message.contentType))
        } catch {
            return Delivery(id: "", sedIds: [], reply: Reply(problem: "the suite could not sign: \(error.message)"))
        }
    }

    /// Compound deliveries: taken, taken again, ids in upper case, a listed envelope that is not the sealed one, a
    /// hop altered after signing, another version, another addressee.
    mutating func deliveryCases(positive: Receipt.Kind) async {
        let sed = try? sealed()
        let first = await deliver([sed])
        expectReceipts(first.reply, "a compound delivery of one SED", relatesTo: first.id)
        let receipt = first.sedId.flatMap { findReceipt(first.reply, for: $0) }
        check(
            "P-RCPT-2", "the SED delivered gets a \(positive) receipt", receipt?.kind == positive,
            expected: "\(positive)", got: first.reply.summary)
        check(
            "P-RCPT-1", "the receipt names the node and a time",
            receipt?.node == target && receipt?.at.isEmpty == false,
            expected: "node=\(target), at=<time>", got: receipt.map { "node=\($0.node), at=\($0.at)" } ?? "no receipt")

        let again = await deliver([sed])
        check(
            "P-ONCE-1", "the same SED delivered again gets \(positive) again",
            again.sedId.flatMap { findReceipt(again.reply, for: $0) }?.kind == positive,
            expected: "\(positive)", got: again.reply.summary)

        let upper = try? sealed()
        let id = upper?.sedId.rawValue ?? ""
        let shouting = await deliver([upper]) {
            $0.replacingOccurrences(of: "sedId=\"\(id)\"", with: "sedId=\"\(id.uppercased())\"")
        }
        check(
            "P-ID-1", "SED ids listed and carried in upper case are read as the same ids",
            shouting.sedId.flatMap { findReceipt(shouting.reply, for: $0) }?.kind == positive,
            expected: "\(positive)", got: shouting.reply.summary)

        let listed = try? sealed()
        let caseId = listed?.envelope.caseId ?? ""
        let otherItem = await deliver([listed]) { xml in
            guard let range = xml.range(of: "<sed:CaseId>\(caseId)</sed:CaseId>") else { return xml }
            return xml.replacingCharacters(in: range, with: "<sed:CaseId>conformance-other</sed:CaseId>")
        }
        check(
            "P-COMP-9", "a SED whose listed sg:Item envelope is not the sealed one gets a failed receipt",
            otherItem.failedOnly, expected: "a failed receipt for that SED", got: otherItem.reply.summary)

        let tampered = try? sealed()
        let tamperedCase = tampered?.envelope.caseId ?? ""
        let altered = await deliver(
            [tampered],
            damage: { body in
                guard let range = body.firstRange(of: Array("<sed:CaseId>\(tamperedCase)".utf8)) else { return }
                body[range.upperBound - 1] = body[range.upperBound - 1] == UInt8(ascii: "0") ? 0x31 : 0x30
            })
        expectFault(
            altered.reply, "P-COMP-6", "a hop altered after signing is refused as signature-invalid", status: 400,
            code: .signatureInvalid, relatesTo: altered.id)

        let version2 = await deliver([try? sealed()], edit: Self.protocolBlock("<sg:Protocol version=\"2\"/>"))
        expectFault(
            version2.reply, "P-VER-4", "a compound message of major version 2 is refused as unsupported-version",
            status: 400, code: .unsupportedVersion, relatesTo: version2.id)

        let elsewhere = await deliver([try? sealed()], to: NodeID("CONFORMANCE-ELSEWHERE"))
        let fault = elsewhere.reply.message?.fault
        check(
            "P-COMP-7", "a compound message addressed to another node is refused",
            fault?.isSenderFault == true && elsewhere.reply.raw?.status == 400,
            expected: "HTTP 400, a fault env:Sender", got: elsewhere.reply.summary)
    }

    /// A CN: a SED for an institution no AP serves fails with unknown-route.
    mutating func unroutedCase() async {
        let unrouted = await deliver([try? sealed(receiver: options.unroutedReceiver)])
        let receipt = unrouted.sedId.flatMap { findReceipt(unrouted.reply, for: $0) }
        check(
            "P-COMP-11", "a SED for an institution no AP serves gets failed code=unknown-route",
            receipt?.kind == .failed && (receipt?.code == nil || receipt?.code == .unknownRoute),
            expected: "failed, code unknown-route", got: unrouted.reply.summary)
    }

    /// Fragments sent ahead of their SED: each acknowledged by a receipt naming it, again when sent again, a
    /// damaged one refused, then the SED taken; a SED whose fragments never came fails (CN).
}
