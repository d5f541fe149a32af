// OutboundWatcherTests: what a producer can rely on when committing files to outbound/ (the README's spool contract).
// Creates files in a temporary outbound folder and watches the events a real watcher reports.

import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Outbound watcher")
struct OutboundWatcherTests {
    @Test("a file renamed into outbound is reported at once, without waiting for the settle time")
    func renameCommits() async throws {
        let outbound = try TemporaryDirectory("outbound")
        try await withWatcher(outbound.path, settle: .seconds(3600)) { log in
            try commitByRename("<a/>", to: outbound.appending("claim.xml"))
            #expect(await log.waitCommitted("claim.xml"))
            #expect(log.all.count == 1)
            guard case .committed(let file) = log.all.first else { return }
            #expect(file.path == outbound.appending("claim.xml"))
            #expect(file.profile == nil)
        }
    }

    @Test("a file held open while being written is not reported, while a file renamed in after it is")
    func openFileWaitsForClose() async throws {
        let outbound = try TemporaryDirectory("outbound")
        try await withWatcher(outbound.path) { log in
            // Created in place and kept open: no close, no rename, so no commit yet.
            let fd = open(outbound.appending("big.xml"), O_WRONLY | O_CREAT | O_EXCL, 0o644)
            try #require(fd >= 0)
            let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
            try handle.write(contentsOf: Data("<part one>".utf8))
            // The barrier is reported only after the watcher has handled every earlier event.
            try commitByRename("barrier", to: outbound.appending("barrier.xml"))
            #expect(await log.waitCommitted("barrier.xml"))
            try handle.write(contentsOf: Data("<part two>".utf8))
            try commitByRename("barrier", to: outbound.appending("barrier2.xml"))
            #expect(await log.waitCommitted("barrier2.xml"))
            #expect(!log.committed.contains("big.xml"))

            try handle.close()
            #expect(await log.waitCommitted("big.xml"))
            let content = try String(contentsOfFile: outbound.appending("big.xml"), encoding: .utf8)
            #expect(content == "<part one><part two>")
        }
    }

    @Test("dot-files, *.part and *.tmp files are never reported")
    func temporaryNamesIgnored() async throws {
        let outbound = try TemporaryDirectory("outbound")
        try await withWatcher(outbound.path, settle: .milliseconds(50)) { log in
            for name in [".hidden.xml", "claim.xml.part", "claim.xml.tmp"] {
                try write("x", to: outbound.appending(name))
            }
            try FileManager.default.createDirectory(
                atPath: outbound.appending(".tmp"), withIntermediateDirectories: false)
            try write("x", to: outbound.appending(".tmp/inside.xml"))
            // Closed after the others, so it settles after them: once it is reported, they would have been.
            try write("x", to: outbound.appending("control.xml"))
            #expect(await log.waitCommitted("control.xml"))
            #expect(log.committed == ["control.xml"])
            #expect(log.refused.isEmpty)
        }
    }

    @Test("files already in outbound at start are reported by the start-up scan, young ones once settled")
    func startUpScan() async throws {
        let outbound = try TemporaryDirectory("outbound")
        try write("a", to: outbound.appending("a.xml"))
        try write("b", to: outbound.appending("b.xml"))
        try age(outbound.appending("a.xml"), bySeconds: 120)
        try age(outbound.appending("b.xml"), bySeconds: 60)
        try write("c", to: outbound.appending("young.xml"))
        try write("d", to: outbound.appending(".dot.xml"))
        try await withWatcher(outbound.path, settle: .milliseconds(300)) { log in
            #expect(await log.wait { $0.committed.count >= 3 })
            // Oldest first; the young file waits for its settle.
            #expect(log.committed == ["a.xml", "b.xml", "young.xml"])
        }
    }

    @Test("a symbolic link is refused, never followed, at start and when it appears")
    func symlinkRefused() async throws {
        let outbound = try TemporaryDirectory("outbound")
        let elsewhere = try TemporaryDirectory("elsewhere")
        try write("secret", to: elsewhere.appending("secret.xml"))
        try FileManager.default.createSymbolicLink(
            atPath: outbound.appending("early.xml"),
            withDestinationPath: elsewhere.appending("secret.xml"))
        try await withWatcher(outbound.path) { log in
            try FileManager.default.createSymbolicLink(
                atPath: outbound.appending("late.xml"),
                withDestinationPath: elsewhere.appending("secret.xml"))
            #expect(await log.wait { Set($0.refused) == ["early.xml", "late.xml"] })
            #expect(log.committed.isEmpty)
            for case .refused(_, _, let reason) in log.all {
                #expect(reason.code == .hostileInput)
                #expect(reason.message.contains("symbolic link"))
            }
        }
    }

    @Test("a file hard-linked into outbound/ from elsewhere is refused, at start and when it appears")
    func hardLinkRefused() async throws {
        let outbound = try TemporaryDirectory("outbound")
        let elsewhere = try TemporaryDirectory("elsewhere")
        try write("secret", to: elsewhere.appending("secret.xml"))
        #expect(link(elsewhere.appending("secret.xml"), outbound.appending("early.xml")) == 0)
        try await withWatcher(outbound.path) { log in
            #expect(link(elsewhere.appending("secret.xml"), outbound.appending("late.xml")) == 0)
            #expect(await log.wait { Set($0.refused) == ["early.xml", "late.xml"] })
            #expect(log.committed.isEmpty)
            for case .refused(_, _, let reason) in log.all {
                #expect(reason.code == .hostileInput)
                #expect(reason.message.contains("hard links"))
            }
        }
    }

    @Test("files in a configured profile folder are reported with their profile; other folders are refused")
    func profileFolders() async throws {
        let outbound = try TemporaryDirectory("outbound")
        try await withWatcher(outbound.path, profiles: ["pensions"]) { log in
            try FileManager.default.createDirectory(
                atPath: outbound.appending("pensions"), withIntermediateDirectories: false)
            try FileManager.default.createDirectory(
                atPath: outbound.appending("other"), withIntermediateDirectories: false)
            #expect(await log.wait { $0.refused.contains("other") })
            try commitByRename("p", to: outbound.appending("pensions/claim.xml"))
            #expect(await log.waitCommitted("pensions/claim.xml"))
            let file = log.all.compactMap { if case .committed(let file) = $0 { file } else { nil } }.first
            #expect(file?.profile == "pensions")
            #expect(file?.path == outbound.appending("pensions/claim.xml"))
            #expect(!log.refused.contains("pensions"))
        }
    }

    @Test("a name with a newline is refused once it is committed")
    func newlineRefused() async throws {
        let outbound = try TemporaryDirectory("outbound")
        try await withWatcher(outbound.path) { log in
            try commitByRename("x", to: outbound.appending("bad\nname.xml"))
            #expect(await log.wait { $0.refused == ["bad\nname.xml"] })
            #expect(log.committed.isEmpty)
        }
    }

    @Test("a name that is not valid UTF-8 is refused, at start and when it is committed")
    func invalidUTF8Refused() async throws {
        let outbound = try TemporaryDirectory("outbound")
        func create(_ name: [UInt8]) throws {
            let path = Array(outbound.path.utf8) + [UInt8(ascii: "/")] + name + [0]
            let fd = path.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_WRONLY | O_CREAT, 0o644) }
            }
            try #require(fd >= 0)
            close(fd)
        }
        try create([0x61, 0xFF, 0x2E, 0x78])  // "a\xFF.x"
        try await withWatcher(outbound.path) { log in
            try create([0x62, 0xFE, 0x2E, 0x78])  // "b\xFE.x"
            #expect(await log.wait { Set($0.refused) == ["a\u{FFFD}.x", "b\u{FFFD}.x"] })
            #expect(log.committed.isEmpty)
        }
    }

    @Test("a file is reported once while it stays, and again when a new file takes its name")
    func reportedOncePerFile() async throws {
        let outbound = try TemporaryDirectory("outbound")
        let taken = try TemporaryDirectory("taken")
        try await withWatcher(outbound.path, settle: .milliseconds(50)) { log in
            try commitByRename("one", to: outbound.appending("claim.xml"))
            #expect(await log.waitCommitted("claim.xml"))
            // Touching the reported file (open for writing, close) does not report it again.
            let handle = try #require(FileHandle(forWritingAtPath: outbound.appending("claim.xml")))
            try handle.close()
            try write("x", to: outbound.appending("barrier.xml"))
            #expect(await log.waitCommitted("barrier.xml"))
            #expect(log.committed.filter { $0 == "claim.xml" }.count == 1)

            // The consumer takes it; a producer commits a new file under the same name.
            #expect(rename(outbound.appending("claim.xml"), taken.appending("claim.xml")) == 0)
            try commitByRename("two", to: outbound.appending("claim.xml"))
            #expect(await log.wait { $0.committed.filter { $0 == "claim.xml" }.count == 2 })
        }
    }

    @Test(
        "cancelling the consuming task ends the sequence, and with it the watcher's thread",
        .timeLimit(.minutes(1)))
    func cancellationEnds() async throws {
        let outbound = try TemporaryDirectory("outbound")
        // withWatcher cancels the consumer after the body and returns once the sequence has ended. The watcher
        // looks for cancellation every 200 ms; the bound is generous so a loaded machine cannot fail it, while a
        // watcher that ignored cancellation would (or would hang until the time limit).
        let took = try await withWatcher(outbound.path) { _ in }
        #expect(took < .seconds(30), "the sequence ended \(took) after cancellation")
    }

    @Test("the one-shot scan lists settled files, oldest first, and leaves out young, hidden and refused entries")
    func oneShotScan() throws {
        let outbound = try TemporaryDirectory("outbound")
        try FileManager.default.createDirectory(
            atPath: outbound.appending("pensions"), withIntermediateDirectories: false)
        try write("a", to: outbound.appending("new.xml"))
        try write("b", to: outbound.appending("old.xml"))
        try write("c", to: outbound.appending("pensions/p.xml"))
        try write("d", to: outbound.appending("x.part"))
        try age(outbound.appending("old.xml"), bySeconds: 100)
        try age(outbound.appending("pensions/p.xml"), bySeconds: 50)
        try FileManager.default.createSymbolicLink(
            atPath: outbound.appending("link.xml"), withDestinationPath: "/etc/passwd")
        let files = OutboundWatcher.scan(directory: outbound.path, settle: .seconds(10), allowedProfiles: ["pensions"])
        #expect(files.map(\.relativePath) == ["old.xml", "pensions/p.xml"])
        #expect(files.last?.profile == "pensions")
    }
}
