// Session+Fragments: fragments sent ahead of their SED: acknowledged by a receipt naming them, again when resent,
// a damaged one refused, then the SED taken; a SED whose fragments never came fails (at a CN).

import Foundation
import SedgateCore
import Transport

extension Session {
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
}
