// DiskFullTests: the destination access point's disk fills up while SEDs arrive. Its writes fail with ENOSPC (no
// back-pressure floor is configured, so the real error is met), the CN keeps the SEDs and retries, and once space
// returns every SED arrives exactly once, byte-identical, and the journal passes SQLite's integrity check. The
// spool lives on a 16 MiB tmpfs mounted for the test (root only, as on the CI machines).

import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

@Suite("Disk full, real processes", .serialized)
struct DiskFullTests {
    /// Mounting a size-limited file system needs root.
    static let canMount = geteuid() == 0

    /// Fills the file system of `folder` with `path` until at most `leave` bytes are free.
    static func fill(_ path: String, leaving leave: Int64, in folder: String) throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        let chunk = Data(count: 64 << 10)
        while FreeSpace.bytes(at: folder) > leave + Int64(chunk.count) {
            try handle.write(contentsOf: chunk)
        }
    }

    @Test(
        "a destination whose disk fills up loses nothing and duplicates nothing, and its journal stays sound",
        .enabled(if: canMount, "mounting a small tmpfs needs root"))
    func destinationDiskFull() async throws {
        let directory = try TemporaryDirectory("e2e-diskfull")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[limits]\nmin-free-mb = 0\n")
        let mountPoint = directory.appending("spool/ap-dk")
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let mounted = try await ChildProcess.run("/bin/mount", ["-t", "tmpfs", "-o", "size=16m", "tmpfs", mountPoint])
        try #require(mounted.status == 0, "mount: \(mounted.output)")
        defer {
            topology.abandon()
            _ = umount2(mountPoint, Int32(MNT_DETACH))
        }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let cn = topology.node("CN")

        let filler = mountPoint + "/filler"
        try Self.fill(filler, leaving: 96 << 10, in: mountPoint)
        let committed = try ExchangeTests.commit(60, to: sender, prefix: "full")
        let journal = try Journal(path: cn.spool.varDirectory + "/journal.sqlite")
        try await Wait.until("AP-DK to run out of space", timeout: .seconds(120)) {
            try await journal.records(.relay, in: .stored, peer: nil, limit: 100).contains {
                $0.lastError?.localizedCaseInsensitiveContains("space") == true
                    || $0.lastError?.localizedCaseInsensitiveContains("full") == true
            }
        }
        #expect(
            ExchangeTests.files(sender.spool.reports, suffix: ".failed.json").isEmpty, "a full disk is not a failure")

        try FileManager.default.removeItem(atPath: filler)
        try await Wait.until("all 60 to be delivered once space returns", timeout: .seconds(180)) {
            ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").count == 60
        }
        await topology.stopAll()
        try ExchangeTests.verify(committed, sender: sender, receiver: receiver)
        let destination = try Journal(path: receiver.spool.varDirectory + "/journal.sqlite")
        #expect(try await destination.integrityCheck() == "ok")
        #expect(try await journal.integrityCheck() == "ok")
    }
}
