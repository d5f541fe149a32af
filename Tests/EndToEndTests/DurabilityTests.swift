// DurabilityTests: what a node finds on disk after a power cut is enough: a CN whose journal lost the rows of
// SEDs it had stored (their payloads synced) delivers them all the same, once; and take-up of landed files is
// noticed by events, and by the reconcile for files taken while the node was down.

import Foundation
import GRDB
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("Durability and take-up, real processes", .serialized)
struct DurabilityTests {
    static func count(_ node: Topology.Node, _ state: String) -> Int {
        ExchangeTests.files(node.spool.reports, suffix: ".\(state).json").count
    }

    @Test("a CN that lost the journal rows of stored SEDs journals their synced payloads again and delivers each once")
    func orphanedPayloadsAreRecovered() async throws {
        let directory = try TemporaryDirectory("e2e-orphans")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let cn = topology.node("CN")
        await topology.kill("AP-DK")
        let committed = try ExchangeTests.commit(20, to: sender, prefix: "orphan")
        try await Wait.until("20 SEDs stored at the CN", timeout: .seconds(60)) { Self.count(sender, "sent") == 20 }

        // What a power cut does to a journal whose tail was not synced: the rows go, the synced payloads stay.
        await topology.stopAll()
        do {
            let journal = try Journal(path: cn.spool.varDirectory + "/journal.sqlite")
            try await journal.database.write { db in
                try db.execute(sql: "DELETE FROM event WHERE direction = 'relay'")
                try db.execute(sql: "DELETE FROM message WHERE direction = 'relay'")
            }
        }
        let stored = ExchangeTests.files(cn.spool.store, suffix: ".sealed")
        #expect(stored.count == 20, "the CN's store holds the 20 sealed SEDs")

        try await topology.start("CN")
        try await topology.start("AP-BE")
        try await topology.start("AP-DK")
        try await Wait.progressing("20 delivered", to: 20) { Self.count(sender, "delivered") }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: receiver)
        let journal = try Journal(path: cn.spool.varDirectory + "/journal.sqlite")
        #expect(try await journal.count(.relay, in: .forwarded) == 20)
    }

    @Test("a file taken from inbound/ is noticed by its event, without waiting for the reconcile scan")
    func takeUpByEvent() async throws {
        let directory = try TemporaryDirectory("e2e-takeup")
        // The reconcile every hour and once at start: only inotify can notice the take-up within the test.
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(), takeUpScanSeconds: 3_600)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        _ = try ExchangeTests.commit(6, to: sender, prefix: "take")
        try await Wait.until("6 delivered", timeout: .seconds(60)) { Self.count(sender, "delivered") == 6 }
        let landed = ExchangeTests.files(receiver.spool.inbound, suffix: ".xml")
        #expect(landed.count == 6)
        // Three removed, three moved away, as national jobs do.
        let elsewhere = directory.path + "/taken"
        try FileManager.default.createDirectory(atPath: elsewhere, withIntermediateDirectories: true)
        for (index, name) in landed.enumerated() {
            let path = receiver.spool.inbound + "/" + name
            if index % 2 == 0 {
                try FileManager.default.removeItem(atPath: path)
            } else {
                #expect(rename(path, elsewhere + "/" + name) == 0)
            }
        }
        try await Wait.until("6 routed reports", timeout: .seconds(60)) { Self.count(sender, "routed") == 6 }
        await topology.stopAll()
    }

    @Test("files taken while the destination was down are noticed by the reconcile at its start")
    func takeUpWhileDown() async throws {
        let directory = try TemporaryDirectory("e2e-takeup-down")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(), takeUpScanSeconds: 3_600)
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        _ = try ExchangeTests.commit(4, to: sender, prefix: "down")
        try await Wait.until("4 delivered", timeout: .seconds(60)) { Self.count(sender, "delivered") == 4 }
        await topology.stopAll()
        for name in ExchangeTests.files(receiver.spool.inbound, suffix: ".xml") {
            try FileManager.default.removeItem(atPath: receiver.spool.inbound + "/" + name)
        }
        try await topology.startAll()
        try await Wait.until("4 routed reports", timeout: .seconds(60)) { Self.count(sender, "routed") == 4 }
        await topology.stopAll()
    }
}
