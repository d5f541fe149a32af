// Cases: what the suite sends a node and what each answer must be, rule by rule (the protocol article's ids).
// Common cases first (transport, version, addressing, faults), then those of a CN, then those of an AP.

import Foundation
import Packaging
import SedgateCore
import Transport

extension Session {
    /// The suite against a coordination node, the suite being one of its access points.
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
    mutating func fragmentCases(positive: Receipt.Kind) async {
        let large: (sedId: SEDID, fragments: [FragmentMessage], sealed: SealedSED)
        do {
            large = try fragmented()
        } catch {
            check("P-FRAG-3", "the suite makes fragments", false, expected: "fragments", got: error.message)
            return
        }
        let title = options.role == .coordinationNode ? "the CN's" : "the destination's"
        let first = await send(large.fragments[0])
        expectReceipts(first.reply, "fragment 0", relatesTo: first.id)
        check(
            "P-FRAG-5", "\(title) fragment receipt: kind=stored fragment=0 for the SED",
            findReceipt(first.reply, for: large.sedId, fragment: 0)?.kind == .stored,
            expected: "<sg:Receipt sedId=\"\(large.sedId)\" kind=\"stored\" fragment=\"0\"/>", got: first.reply.summary)

        let again = await send(large.fragments[0])
        check(
            "P-FRAG-6", "fragment 0 sent again is acknowledged the same way",
            findReceipt(again.reply, for: large.sedId, fragment: 0)?.kind == .stored, expected: "stored fragment=0",
            got: again.reply.summary)

        let damaged = await send(large.fragments[1], damage: true)
        expectFault(
            damaged.reply, "P-FRAG-4", "a fragment whose bytes do not match its sha256 is refused (sender fault)",
            status: 400, code: .protocolViolation, relatesTo: damaged.id)

        for fragment in large.fragments.dropFirst() {
            let reply = await send(fragment)
            check(
                "P-FRAG-5", "\(title) fragment receipt: kind=stored fragment=\(fragment.index)",
                findReceipt(reply.reply, for: large.sedId, fragment: fragment.index)?.kind == .stored,
                expected: "stored fragment=\(fragment.index)", got: reply.reply.summary)
        }
        let whole = await deliver([large.sealed])
        check(
            options.role == .coordinationNode ? "P-FRAG-8" : "P-FRAG-10",
            "the SED behind its fragments gets \(positive)",
            findReceipt(whole.reply, for: large.sedId)?.kind == positive, expected: "\(positive)",
            got: whole.reply.summary)

        guard options.role == .coordinationNode else { return }
        let orphan = try? fragmented()
        let missing = await deliver([orphan?.sealed])
        check(
            "P-FRAG-8", "a SED whose fragments never came gets a failed receipt", missing.failedOnly,
            expected: "failed", got: missing.reply.summary)
    }

    // MARK: - Pull mode with fragments (against a CN, the suite's AP in pull mode)

    /// One item a Pull handed out.
    enum Pulled: Equatable, CustomStringConvertible {
        case receipt(SEDID, Receipt.Kind)
        case fragment(SEDID, Int)
        case seds([SEDID])
        case empty

        var description: String {
            switch self {
            case .receipt(let id, let kind): "receipt \(kind.rawValue) \(id)"
            case .fragment(let id, let index): "fragment \(index) of \(id)"
            case .seds(let ids): "SEDs \(ids.map(\.rawValue).joined(separator: " "))"
            case .empty: "Empty"
            }
        }
    }

    /// Pulls until `Empty` (at most `limit` items), answering each item as a pull-mode AP does: a receipt with its
    /// acknowledgement, a fragment with its fragment receipt (`failed` for the SED `refused`), SEDs with `delivered`.
    /// Checks each answer's acknowledgement once per kind of item.
    mutating func drain(refusing refused: SEDID? = nil, limit: Int = 200) async -> [Pulled] {
        var items: [Pulled] = []
        var judged: Set<String> = []
        for _ in 0..<limit {
            let pull = simple(.pull)
            let reply = await post(pull.bytes)
            guard let message = reply.message else {
                check("P-PULL-2", "a Pull is answered", false, expected: "an item or Empty", got: reply.summary)
                return items
            }
            var answer: [Receipt] = []
            let rule: String
            switch message.action {
            case .empty:
                items.append(.empty)
                return items
            case .receipt:
                guard let receipt = message.receipts.first else { return items }
                items.append(.receipt(receipt.sedId, receipt.kind))
                answer = [Receipt(sedId: receipt.sedId, kind: receipt.kind, node: local, at: Timestamp.now())]
                rule = "P-PULL-7"
            case .fragment:
                guard let fragment = message.fragment else { return items }
                items.append(.fragment(fragment.sedId, fragment.index))
                answer = [
                    fragment.sedId == refused
                        ? Receipt(
                            sedId: fragment.sedId, kind: .failed, node: local, at: Timestamp.now(),
                            reason: "refused by sedgate conformance", code: .protocolViolation,
                            fragment: fragment.index)
                        : Receipt(
                            sedId: fragment.sedId, kind: .stored, node: local, at: Timestamp.now(),
                            fragment: fragment.index)
                ]
                rule = fragment.sedId == refused ? "P-PULL-6" : "P-PULL-5"
            case .deliver:
                let seds = message.compound?.seds.map(\.sedId) ?? []
                items.append(.seds(seds))
                answer = seds.map { Receipt(sedId: $0, kind: .delivered, node: local, at: Timestamp.now()) }
                rule = "P-PULL-4"
            default:
                check(
                    "P-PULL-2", "a Pull is answered with an item or Empty", false, expected: "an item or Empty",
                    got: reply.summary)
                return items
            }
            let request = simple(.receipt, receipts: answer)
            let acknowledgement = await post(request.bytes)
            let acknowledged = answer.allSatisfy { sent in
                acknowledgement.message?.receipts.contains {
                    $0.sedId == sent.sedId && $0.kind == sent.kind && $0.fragment == sent.fragment
                } == true
            }
            if !judged.contains(rule) {
                judged.insert(rule)
                check(
                    rule,
                    "the CN acknowledges the AP's answer to a pulled \(message.action.rawValue.split(separator: ":").last ?? "")",
                    acknowledgement.message?.relatesTo == request.id && acknowledged,
                    expected: "a Receipt relating to the answer, with the same sedId, kind and fragment",
                    got: acknowledgement.summary)
            }
        }
        check("P-PULL-2", "pulling ends with Empty", false, expected: "Empty within \(limit) pulls", got: "more")
        return items
    }

    /// Sends a large SED to the suite's own AP (its fragments, then the SED), and returns it, or nil.
    mutating func sendToSelf() async -> SEDID? {
        guard let large = try? fragmented(forSelf: true) else { return nil }
        for fragment in large.fragments {
            let sent = await send(fragment)
            guard findReceipt(sent.reply, for: large.sedId, fragment: fragment.index)?.kind == .stored else {
                return nil
            }
        }
        let whole = await deliver([large.sealed])
        return findReceipt(whole.reply, for: large.sedId)?.kind == .stored ? large.sedId : nil
    }

    /// Pull mode with fragments: a large SED for the suite's own AP is handed out fragment by fragment, each
    /// acknowledged, then as a compound message; its delivered receipt is relayed back. A second one whose first
    /// fragment the AP refuses is never handed out again, and fails.
    mutating func pullFragmentCases() async {
        _ = await drain()
        guard let taken = await sendToSelf() else {
            check("P-PULL-2", "the suite sends itself a large SED", false, expected: "stored", got: "not stored")
            return
        }
        let items = await drain()
        let mine = items.filter {
            switch $0 {
            case .fragment(let id, _): id == taken
            case .seds(let ids): ids.contains(taken)
            default: false
            }
        }
        check(
            "P-PULL-2", "a large SED's fragments are handed out one per pull, in order, then the SED",
            mine == [.fragment(taken, 0), .fragment(taken, 1), .seds([taken])],
            expected: "fragment 0, fragment 1, then the SED",
            got: mine.map { "\($0)" }.joined(separator: ", "))
        check(
            "P-RCPT-6", "the AP's delivered for a pulled SED is relayed to its origin",
            items.contains(.receipt(taken, .delivered)), expected: "a pulled delivered receipt for \(taken)",
            got: items.map { "\($0)" }.joined(separator: ", "))
        check(
            "P-PULL-2", "pulling ends with Empty", items.last == .empty, expected: "Empty",
            got: items.last.map { "\($0)" } ?? "nothing")

        guard let refused = await sendToSelf() else { return }
        let after = await drain(refusing: refused)
        let handedOut = after.filter {
            switch $0 {
            case .fragment(let id, _): id == refused
            case .seds(let ids): ids.contains(refused)
            default: false
            }
        }
        check(
            "P-PULL-6", "a pulled fragment refused for good is not handed out again, nor its SED",
            handedOut == [.fragment(refused, 0)], expected: "fragment 0 only",
            got: handedOut.map { "\($0)" }.joined(separator: ", "))
        check(
            "P-PULL-6", "the SED of a refused pulled fragment fails: a failed receipt reaches its origin",
            after.contains(.receipt(refused, .failed)), expected: "a pulled failed receipt for \(refused)",
            got: after.map { "\($0)" }.joined(separator: ", "))
    }
}
