// StoreReconciliationTests: the CN's start-up pass over var/store/, in process: a sealed SED whose journal row a power
// cut took back is journalled again; one that can no longer be forwarded is set aside in var/orphans/.

import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing
import Transport

@testable import CoordinationNode

@Suite("The CN's start-up reconciliation of var/store/ with its journal")
struct StoreReconciliationTests {
    /// Writes `sed` into var/store/ as the CN stores it, without its journal row (the row a power cut took back).
    private func strand(_ sed: SealedSED, in node: RelayNode) throws {
        try SpoolFile.writeAtomically(Array(sed.bytes), to: node.storePath(sed.sedId))
    }

    private func reconcile(_ node: RelayNode, now: Date) async throws -> StoreReconciliation.Outcome {
        try await StoreReconciliation(
            configuration: node.configuration, journal: node.journal, logger: Logger(label: "test")
        ).run(now: now)
    }

    private func orphans(_ node: RelayNode) -> [String] {
        let folder = node.configuration.spool.varDirectory + "/orphans"
        return ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).sorted()
    }

    @Test("a stored SED without its journal row is journalled again, stored for its destination")
    func recoversLostRow() async throws {
        let node = try RelayNode()
        let sed = try #require(try node.seal(1).first)
        try strand(sed, in: node)
        #expect(try await reconcile(node, now: node.clock.now()) == .init(recovered: 1, setAside: 0))
        let record = try #require(try await node.journal.record(sed.sedId, .relay))
        #expect(record.state == .stored)
        #expect(record.peer == RelayNode.destination)
        #expect(record.origin == RelayNode.sender)
        #expect(record.payloadPath == "var/store/relay-\(sed.sedId).sealed")
        #expect(FileManager.default.fileExists(atPath: node.storePath(sed.sedId)))

        // A second pass finds nothing to do: the row is there now.
        #expect(try await reconcile(node, now: node.clock.now()) == .init())
    }

    @Test("SEDs with their journal rows, and files that are not stored SEDs, are left alone")
    func leavesJournalledAlone() async throws {
        let node = try RelayNode()
        let seds = try node.seal(2)
        _ = await node.deliver(seds)
        try SpoolFile.writeAtomically(Array("x".utf8), to: node.configuration.spool.store + "/notes.txt")
        #expect(try await reconcile(node, now: node.clock.now()) == .init())
        #expect(try await node.journal.history(seds[0].sedId).count == 1)
        #expect(orphans(node).isEmpty)
    }

    @Test("a SED that outlived its lifetime, one the CN no longer routes, and an unreadable one are set aside")
    func setsAside() async throws {
        let node = try RelayNode()
        // The samples were created on 2026-11-23; the lifetime is 30 days.
        let old = try #require(try node.seal(1).first)
        try strand(old, in: node)
        node.clock.advance(by: .seconds(40 * 86_400))
        #expect(try await reconcile(node, now: node.clock.now()) == .init(recovered: 0, setAside: 1))
        #expect(try await node.journal.record(old.sedId, .relay) == nil)
        #expect(orphans(node) == ["relay-\(old.sedId).sealed"])

        let unrouted = try #require(try node.seal(1, receiver: "SE:0009", receivingAP: "AP-SE").first)
        try strand(unrouted, in: node)
        let damaged = SEDID.random()
        try SpoolFile.writeAtomically(Array("not a sealed SED".utf8), to: node.storePath(damaged))
        #expect(try await reconcile(node, now: Date(timeIntervalSince1970: 1_796_637_600)) == .init(setAside: 2))
        #expect(try await node.journal.record(unrouted.sedId, .relay) == nil)
        #expect(try await node.journal.record(damaged, .relay) == nil)
        #expect(orphans(node).count == 3)
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: node.configuration.spool.store).filter {
                $0.hasPrefix("relay-")
            }.isEmpty)
    }
}
