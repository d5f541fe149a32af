// NetworkSpoolTests: a spool on a file system where another writer's changes raise no inotify event on the
// gateway's machine, as NFS or SMB written by another host. Stood in for by an overlay mount whose upper folder
// the "other host" writes directly: the AP's view (the overlay) lists the file but gets no event. Only the periodic
// rescan (`[intake] rescan-s`) can find it. Needs root (to mount).

import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("A spool written behind inotify's back", .serialized, .timeLimit(.minutes(5)))
struct NetworkSpoolTests {
    /// Mounts an overlay at `target` whose upper folder is returned; nil when this machine cannot (not root).
    static func overlay(at target: String, in directory: String) -> String? {
        guard getuid() == 0 else { return nil }
        let lower = directory + "/overlay-lower"
        let upper = directory + "/overlay-upper"
        let work = directory + "/overlay-work"
        for path in [lower, upper, work, target] {
            try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        let options = "lowerdir=\(lower),upperdir=\(upper),workdir=\(work)"
        return mount("overlay", target, "overlay", 0, options) == 0 ? upper : nil
    }

    @Test("a file another host writes into outbound/ (no inotify event here) is taken by the periodic rescan")
    func rescanFindsSilentFiles() async throws {
        let directory = try TemporaryDirectory("e2e-nfs")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            rescanSeconds: 1)
        defer { topology.abandon() }
        let sender = topology.node("AP-BE")
        // The whole spool is on the "network" file system, as the issue's AP had it (its var/ too).
        guard let upper = Self.overlay(at: sender.spool.root, in: directory.path) else {
            Issue.record("cannot mount an overlay here (needs root): the rescan is untested")
            return
        }
        defer { umount2(sender.spool.root, Int32(MNT_DETACH)) }
        do {
            try await topology.startAll()
        } catch {
            let log = (try? String(contentsOfFile: directory.path + "/ap-be.log", encoding: .utf8)) ?? ""
            Issue.record("the topology did not start: \(error)\n\(log)")
            return
        }

        // The other host commits five SEDs by rename, in its own view of the folder.
        var committed: [ExchangeTests.Committed] = []
        for index in 0..<5 {
            let name = String(format: "nfs-%04d.xml", index)
            let sedId = SEDID.random()
            let bytes = SampleSED.make(sedId: sedId, index: index)
            let hidden = upper + "/outbound/." + name
            try Data(bytes).write(to: URL(fileURLWithPath: hidden))
            #expect(rename(hidden, upper + "/outbound/" + name) == 0)
            committed.append(ExchangeTests.Committed(name: name, bytes: bytes, sedId: sedId, complete: false))
        }
        try await Wait.progressing("5 delivered", to: 5) { DurabilityTests.count(sender, "delivered") }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: topology.node("AP-DK"))
    }
}
