// Session+PullMode: pull mode with fragments against a CN, the suite being an AP it serves in pull mode: large
// SEDs the suite sends itself, handed out fragment by fragment and answered as a pull-mode AP answers them.

import Foundation
import SedgateCore
import Transport

extension Session {
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
