// ForwarderHopTests: the CN's hop to an access point just before it sends: the SEDs it takes, and what it does when
// the journal cannot say whether they are still to be sent.

import Foundation
import GRDB
import Logging
import SedgateCore
import SedgateTesting
import Store
import Testing
import Transport

@testable import CoordinationNode

@Suite("The CN's forwarding hop, in process")
struct ForwarderHopTests {
    /// The hop to AP-DK of `node`, with the stored SEDs planned into messages as the delivery agent plans them.
    static func hopAndPlan(_ node: RelayNode) async throws -> (ForwarderHop, [DeliveryPlan.Message]) {
        let hop = ForwarderHop(
            configuration: node.configuration, peer: RelayNode.destination, url: "https://127.0.0.1:2",
            journal: node.journal, bells: node.bells, logger: Logger(label: "test"), lane: .async)
        let batch = try await hop.waiting(limit: 100)
        let plan = DeliveryPlan(
            batch, to: RelayNode.destination, now: node.clock.now(), lifetime: hop.lifetime, limits: hop.limits,
            destination: hop.destination)
        return (hop, plan.messages)
    }

    @Test("the SEDs still stored are read and sent; one an operator took back meanwhile is left out")
    func preparesStored() async throws {
        let node = try RelayNode()
        let seds = try node.seal(3)
        _ = await node.deliver(seds)
        let (hop, messages) = try await Self.hopAndPlan(node)
        #expect(messages.map(\.records.count) == [3])
        // Held by an operator after the batch was read.
        #expect(
            try await node.journal.transition(
                seds[1].sedId, .relay, to: .held, onlyFrom: [.stored], file: nil, detail: "test"))
        let client = try node.client()
        let ready = await hop.prepare(messages[0], client: client)
        await client.shutdown()
        #expect(ready.records.map(\.sedId) == [seds[0].sedId, seds[2].sedId])
        #expect(ready.seds.map(\.sedId) == [seds[0].sedId, seds[2].sedId])
        #expect(ready.retry == nil && ready.failures.isEmpty)
    }

    @Test("a journal that cannot be read before sending makes the send back off with every SED, not skip them all")
    func journalUnreadableBacksOff() async throws {
        let node = try RelayNode()
        let seds = try node.seal(2)
        _ = await node.deliver(seds)
        let (hop, messages) = try await Self.hopAndPlan(node)
        // The journal breaks between the read of the batch and the look just before sending.
        try await node.journal.database.write { db in try db.execute(sql: "ALTER TABLE message RENAME TO gone") }
        let client = try node.client()
        let ready = await hop.prepare(messages[0], client: client)
        await client.shutdown()
        #expect(ready.records.isEmpty && ready.seds.isEmpty && ready.failures.isEmpty)
        let retry = try #require(ready.retry)
        #expect(retry.records.map(\.sedId) == seds.map(\.sedId))
        #expect(retry.reason.contains("cannot read the journal"))
    }
}
