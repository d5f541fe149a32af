// RelayHandlerTests: the CN's receipt steps in this process: a delivery stored before its `stored` receipt, a
// duplicate answered without a second copy, back-pressure, and the destination's receipts relayed to the sender.

import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing
import Transport

@testable import CoordinationNode

@Suite("The CN's receipt steps, in process")
struct RelayHandlerTests {
    @Test("each SED of a delivery is stored and journalled before its stored receipt; a duplicate is answered again")
    func storesBeforeReceipt() async throws {
        let node = try RelayNode()
        let seds = try node.seal(2)
        let answer = await node.deliver(seds)
        #expect(answer.action == .receipt)
        #expect(answer.receipts.map(\.sedId) == seds.map(\.sedId))
        #expect(answer.receipts.allSatisfy { $0.kind == .stored && $0.node == RelayNode.cn })
        for sed in seds {
            let record = try #require(try await node.journal.record(sed.sedId, .relay))
            #expect(record.state == .stored)
            #expect(record.peer == RelayNode.destination)
            #expect(record.origin == RelayNode.sender)
            #expect(try SpoolFile.read(node.storePath(sed.sedId), maxBytes: 1 << 20) == Array(sed.bytes))
        }
        #expect(try await node.gauge.value() == 2)

        let again = await node.deliver([seds[0]])
        #expect(again.receipts.map(\.kind) == [.stored])
        #expect(try await node.journal.count(.relay, in: .stored) == 2)
        #expect(try await node.journal.history(seds[0].sedId).count == 1)
    }

    @Test("a SED the CN cannot route gets a failed receipt; the others of its delivery are stored")
    func unroutable() async throws {
        let node = try RelayNode()
        let routed = try node.seal(1)
        let lost = try node.seal(1, receiver: "SE:0009", receivingAP: "AP-SE")
        let answer = await node.deliver(routed + lost)
        let receipts = Dictionary(uniqueKeysWithValues: answer.receipts.map { ($0.sedId, $0) })
        #expect(receipts[routed[0].sedId]?.kind == .stored)
        #expect(receipts[lost[0].sedId]?.kind == .failed)
        #expect(receipts[lost[0].sedId]?.code == .unknownRoute)
        #expect(try await node.journal.record(lost[0].sedId, .relay) == nil)
        #expect(!FileManager.default.fileExists(atPath: node.storePath(lost[0].sedId)))
    }

    @Test("over capacity the CN takes what fits and answers nothing for the rest; with nothing taken, back-pressure")
    func backPressure() async throws {
        let node = try RelayNode(capacity: Capacity(maxQueued: 2, retryAfter: .seconds(7)), gaugeAge: .seconds(3600))
        let seds = try node.seal(3)
        let answer = await node.deliver(seds)
        #expect(answer.receipts.map(\.sedId) == Array(seds.prefix(2)).map(\.sedId))
        #expect(try await node.journal.record(seds[2].sedId, .relay) == nil)

        // The gauge counted the two just stored without asking the journal again (its count is an hour fresh).
        let refused = await node.deliver([seds[2]])
        #expect(refused.action == .fault)
        #expect(refused.fault?.code == .backPressure)
        #expect(refused.fault?.retryAfterSeconds == 7)
    }

    @Test(
        "the destination's delivered receipt: the SED is forwarded, its copy dropped, the receipt queued for its sender"
    )
    func relaysDelivered() async throws {
        let node = try RelayNode()
        let sed = try await node.storedSED()
        let delivered = Receipt(
            sedId: sed.sedId, kind: .delivered, node: RelayNode.destination, at: "2026-12-07T10:00:01Z")
        let answer = await node.send([delivered])
        #expect(answer.receipts.map(\.kind) == [.delivered])
        #expect(answer.receipts.first?.node == RelayNode.cn)
        #expect(try await node.journal.record(sed.sedId, .relay)?.state == .forwarded)
        #expect(!FileManager.default.fileExists(atPath: node.storePath(sed.sedId)))
        let queued = try await node.journal.pendingSignals(peer: RelayNode.sender, limit: 10)
        #expect(queued.map(\.sedId) == [sed.sedId])
        #expect(queued.first?.kind == "delivered")
        #expect(queued.first?.node == RelayNode.destination)
        // The sender's delivery agent was woken for it.
        var rings = node.bells[RelayNode.sender]!.rings.makeAsyncIterator()
        #expect(await rings.next() != nil)

        // The sender's acknowledgement (pull mode) completes the queued receipt; the SED stays forwarded.
        let acknowledged = await node.send([delivered], from: RelayNode.sender)
        #expect(acknowledged.action == .receipt)
        #expect(try await node.journal.pendingSignals(peer: RelayNode.sender, limit: 10).isEmpty)
        #expect(try await node.journal.record(sed.sedId, .relay)?.state == .forwarded)
    }

    @Test("the destination's failed receipt fails the SED with its reason, relayed to the sender")
    func relaysFailed() async throws {
        let node = try RelayNode()
        let sed = try await node.storedSED()
        let failed = Receipt(
            sedId: sed.sedId, kind: .failed, node: RelayNode.destination, at: "2026-12-07T10:00:01Z",
            reason: "no such institution", code: .unknownRoute)
        _ = await node.send([failed])
        #expect(try await node.journal.record(sed.sedId, .relay)?.state == .failed)
        #expect(
            try await node.journal.history(sed.sedId).last?.detail == "refused by AP-DK: no such institution")
        let queued = try await node.journal.pendingSignals(peer: RelayNode.sender, limit: 10)
        #expect(queued.map(\.reason) == ["no such institution"])
    }

    @Test("receipts the CN must not take: from a stranger to the SED, for a SED never stored, from outside the network")
    func refusedReceipts() async throws {
        let node = try RelayNode()
        let sed = try await node.storedSED()
        let delivered = Receipt(
            sedId: sed.sedId, kind: .delivered, node: RelayNode.bystander, at: "2026-12-07T10:00:01Z")
        #expect(await node.send([delivered], from: RelayNode.bystander).fault?.code == .notFound)
        #expect(try await node.journal.record(sed.sedId, .relay)?.state == .stored)

        let unknown = Receipt(
            sedId: .random(), kind: .delivered, node: RelayNode.destination, at: "2026-12-07T10:00:01Z")
        #expect(await node.send([unknown]).fault?.code == .notFound)

        let outsider = NodeID("AP-XX")!
        #expect(await node.send([delivered], from: outsider).fault?.code == .unauthorized)
        #expect(try await node.journal.pendingSignals(peer: RelayNode.sender, limit: 10).isEmpty)
    }
}
