// Session+Cases: the suite's cases for each role, and those every node answers the same way: health, content
// type, well-formedness, SOAP and protocol versions, actions, the sender's identity; then a CN's pull basics.

import Foundation
import SedgateCore
import Transport

extension Session {
    mutating func coordinationNodeCases() async {
        await commonCases(probe: .pull)
        await pullCases()
        let unknown = simple(
            .receipt,
            receipts: [Receipt(sedId: .random(), kind: .delivered, node: local, at: Timestamp.now())])
        expectFault(
            await post(unknown.bytes), "P-RCPT-5", "a receipt for a SED the CN never stored is refused as not-found",
            status: 400, code: .notFound, relatesTo: unknown.id)
        await deliveryCases(positive: .stored)
        await unroutedCase()
        await fragmentCases(positive: .stored)
        if options.pull { await pullFragmentCases() }
    }

    /// The suite against an access point, the suite being its coordination node.
    mutating func accessPointCases() async {
        func unknown(_ edit: @escaping (String) -> String) -> (id: String, bytes: [UInt8]) {
            simple(
                .receipt,
                receipts: [Receipt(sedId: .random(), kind: .delivered, node: local, at: Timestamp.now())],
                edit: edit)
        }
        await commonCases(probe: .receipt)
        let plain = unknown { $0 }
        expectFault(
            await post(plain.bytes), "P-RCPT-5",
            "a relayed receipt for a SED the AP never sent is refused as not-found",
            status: 400, code: .notFound, relatesTo: plain.id)
        let unversioned = unknown(Self.protocolBlock(""))
        let reply = await post(unversioned.bytes)
        check(
            "P-VER-2", "a message without sg:Protocol is read as version 1.0",
            reply.message?.fault?.code == .notFound, expected: "read as 1.0: the not-found fault of its receipt",
            got: reply.summary)
        await deliveryCases(positive: .delivered)
        let misaddressed = await deliver([try? sealed(receivingAP: NodeID("AP-ELSEWHERE"))])
        check(
            "P-SEAL-4", "a SED whose ReceivingAP is another AP gets a failed receipt",
            misaddressed.failedOnly, expected: "a failed receipt for that SED", got: misaddressed.reply.summary)
        await fragmentCases(positive: .delivered)
    }

    enum Probe { case pull, receipt }

    /// Health, content type, well-formedness, SOAP version, protocol version, action, sender, for any node.
    mutating func commonCases(probe: Probe) async {
        do {
            let health = try await client.raw(nil, path: "/sedgate/v1/health", to: options.url, timeout: .seconds(30))
            check(
                "P-HTTP-2", "GET /sedgate/v1/health answers 200 ok",
                health.status == 200 && String(decoding: health.body, as: UTF8.self).hasPrefix("ok"),
                expected: "HTTP 200, body ok",
                got: "HTTP \(health.status), body \(String(decoding: health.body.prefix(40), as: UTF8.self))")
        } catch {
            check("P-HTTP-2", "GET /sedgate/v1/health answers 200 ok", false, expected: "HTTP 200", got: error.message)
        }
        let action: ProtocolMessage.Action = probe == .pull ? .pull : .receipt
        let receipts =
            probe == .pull ? [] : [Receipt(sedId: .random(), kind: .delivered, node: local, at: Timestamp.now())]
        func message(_ edit: @escaping (String) -> String = { $0 }) -> (id: String, bytes: [UInt8]) {
            simple(action, receipts: receipts, edit: edit)
        }

        let text = message()
        let plain = await post(text.bytes, contentType: "text/plain")
        expectFault(
            plain, "P-HTTP-3", "a text/plain request is refused with 415", status: 415, code: .protocolViolation,
            relatesTo: nil)

        let version2 = message(Self.protocolBlock("<sg:Protocol version=\"2\"/>"))
        expectFault(
            await post(version2.bytes), "P-VER-4", "major version 2 is refused as unsupported-version", status: 400,
            code: .unsupportedVersion, relatesTo: version2.id)

        let truncated = message()
        expectFault(
            await post(Array(truncated.bytes.dropLast(30))), "P-XML-1",
            "a message that is not well-formed is refused as malformed-xml", status: 400, code: .malformedXML,
            relatesTo: truncated.id)

        let doctype = message { $0.replacingOccurrences(of: "<env:Envelope", with: "<!DOCTYPE x []><env:Envelope") }
        expectFault(
            await post(doctype.bytes), "P-XML-2", "a DOCTYPE is refused as hostile-input", status: 400,
            code: .hostileInput, relatesTo: doctype.id)

        let soap11 = message {
            $0.replacingOccurrences(
                of: "http://www.w3.org/2003/05/soap-envelope", with: "http://schemas.xmlsoap.org/soap/envelope/")
        }
        expectFault(
            await post(soap11.bytes), "P-ADDR-5", "a SOAP 1.1 envelope is refused as protocol-violation", status: 400,
            code: .protocolViolation, relatesTo: soap11.id)

        let unknownAction = message {
            $0.replacingOccurrences(of: action.rawValue, with: "urn:eessi:sedgate:1:Teleport")
        }
        expectFault(
            await post(unknownAction.bytes), "P-ADDR-5", "an unknown wsa:Action is refused as protocol-violation",
            status: 400, code: .protocolViolation, relatesTo: unknownAction.id)

        let claimed = NodeID("CONFORMANCE-IMPOSTOR")!
        let impostor = simple(action, receipts: receipts, from: claimed)
        expectFault(
            await post(impostor.bytes), "P-ADDR-2", "a wsa:From other than the certificate's CN is refused with 403",
            status: 403, code: .unauthorized, relatesTo: impostor.id, sentAs: claimed)
    }

    /// Pull mode: nothing waits (or something does), versions 1.0 and 1.x are read.
    mutating func pullCases() async {
        let pull = simple(.pull)
        let reply = await post(pull.bytes)
        let answer = reply.message?.action
        check(
            "P-PULL-2", "a Pull is answered with Empty, a Receipt, a Fragment or a compound Deliver",
            reply.raw?.status == 200 && [.empty, .receipt, .fragment, .deliver].contains(answer),
            expected: "HTTP 200 Empty, Receipt, Fragment or Deliver", got: reply.summary)
        if answer == .empty || answer == .receipt {
            check(
                "P-ADDR-3", "a SOAP answer to a Pull relates to it, from and to swapped",
                reply.message?.relatesTo == pull.id && reply.message?.to == local && reply.message?.from == target,
                expected: "wsa:RelatesTo \(pull.id) from \(target) to \(local)",
                got: "wsa:RelatesTo \(reply.message?.relatesTo ?? "none")")
        }
        for (rule, title, block) in [
            ("P-VER-2", "a Pull without sg:Protocol is read as version 1.0", ""),
            (
                "P-VER-3", "a Pull of version 1.9 is read (minor versions are compatible)",
                "<sg:Protocol version=\"1.9\"/>"
            ),
            ("P-VER-3", "a Pull with an unknown minor attribute is read", "<sg:Protocol version=\"1\" minor=\"42\"/>"),
        ] {
            let versioned = simple(.pull, edit: Self.protocolBlock(block))
            let answer = await post(versioned.bytes)
            check(
                rule, title, answer.raw?.status == 200 && answer.message != nil && answer.message?.fault == nil,
                expected: "HTTP 200 and no fault", got: answer.summary)
        }
    }

    /// The outcome of one compound delivery.
}
