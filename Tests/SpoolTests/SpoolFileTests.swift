// SpoolFileTests: durable writes, no-replace moves and safe reads, on real files in a temporary folder.

import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Spool files")
struct SpoolFileTests {
    @Test("an atomic write leaves exactly the target file with the right bytes, replacing an older one")
    func atomicWrite() throws {
        let folder = try TemporaryDirectory("write")
        let target = folder.appending("report.json")
        try SpoolFile.writeAtomically(Array("first".utf8), to: target)
        try SpoolFile.writeAtomically(Array("second".utf8), to: target)
        #expect(try names(in: folder.path) == ["report.json"])
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "second")
    }

    @Test("a node's start clears what a kill left half-written (var/tmp/, temporary names), and nothing else")
    func startSweepsTemporaryFiles() throws {
        let folder = try TemporaryDirectory("sweep")
        let layout = SpoolLayout(root: folder.appending("spool/AP-BE"))
        try layout.create()
        try Data("half".utf8).write(to: URL(fileURLWithPath: layout.tmp + "/.claim.xml.1234.tmp"))
        try Data("mime".utf8).write(to: URL(fileURLWithPath: layout.tmp + "/.message-1.mime"))
        let odd = Array(layout.tmp.utf8) + Array("/bad-\u{1}".utf8) + [0xFF, 0]
        let fd = odd.withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { open($0.baseAddress!, O_CREAT | O_WRONLY, 0o600) }
        }
        #expect(fd >= 0)
        close(fd)
        try Data("keep".utf8).write(to: URL(fileURLWithPath: layout.store + "/out-1.xml"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: layout.store + "/.out-2.xml.0123456789abcdef.tmp"))
        try Data("half".utf8).write(to: URL(fileURLWithPath: layout.reports + "/.a.xml.x.sent.json.1234.tmp"))
        try Data("keep".utf8).write(to: URL(fileURLWithPath: layout.reports + "/a.xml.x.sent.json"))
        #expect(layout.sweepTemporaryFiles() == 5)
        #expect(try names(in: layout.tmp).isEmpty)
        #expect(try names(in: layout.store) == ["out-1.xml"])
        #expect(try names(in: layout.reports) == ["a.xml.x.sent.json"])
    }

    @Test("a file over the size limit is refused under the name its producer knows, not the node's internal copy")
    func sizeRefusalNamesTheProducersFile() throws {
        let folder = try TemporaryDirectory("size")
        let copy = folder.appending("var-intake-ticket")
        try Data(repeating: 0x41, count: 100).write(to: URL(fileURLWithPath: copy))
        do {
            _ = try SpoolFile.read(copy, maxBytes: 10, shownAs: "outbound/claim.xml")
            Issue.record("a 100-byte file passed a 10-byte limit")
        } catch {
            #expect(error.code == .hostileInput)
            #expect(error.location?.file == "outbound/claim.xml")
            #expect(error.message.hasPrefix("outbound/claim.xml is larger than the limit of 10 bytes"))
            #expect(!error.description.contains(copy))
        }
    }

    @Test("an atomic write through a separate temporary folder leaves nothing behind in it")
    func atomicWriteWithTemporaryFolder() throws {
        let folder = try TemporaryDirectory("write")
        let layout = SpoolLayout(root: folder.appending("spool/AP-BE"))
        try layout.create()
        try SpoolFile.writeAtomically(Array("doc".utf8), to: layout.inbound + "/doc.xml", tmpDirectory: layout.tmp)
        #expect(try names(in: layout.inbound) == ["doc.xml"])
        #expect(try names(in: layout.tmp).isEmpty)
    }

    @Test("an atomic write into a missing folder fails with an io error naming the path")
    func atomicWriteFails() throws {
        let folder = try TemporaryDirectory("write")
        let error = #expect(throws: SedgateError.self) {
            try SpoolFile.writeAtomically([1], to: folder.appending("missing/x"))
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("missing") == true)
    }

    @Test("the spool layout creates every folder and may be created again")
    func layoutCreate() throws {
        let folder = try TemporaryDirectory("layout")
        let layout = SpoolLayout(root: folder.appending("spool/AP-BE"))
        try layout.create()
        try layout.create()
        for directory in layout.allDirectories {
            var info = stat()
            #expect(stat(directory, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR, "\(directory)")
        }
        #expect(layout.intake == folder.appending("spool/AP-BE/var/intake"))
    }

    @Test("a no-replace move picks name-1.ext, then name-2.ext, when the name is taken")
    func moveNoReplace() throws {
        let folder = try TemporaryDirectory("move")
        let target = folder.appending("rejected")
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: false)
        var finals: [String] = []
        for content in ["one", "two", "three"] {
            try write(content, to: folder.appending("claim.xml"))
            finals.append(
                try SpoolFile.moveNoReplace(
                    folder.appending("claim.xml"), toDirectory: target,
                    preferredName: "claim.xml"))
        }
        #expect(finals == ["claim.xml", "claim-1.xml", "claim-2.xml"].map { target + "/" + $0 })
        #expect(try String(contentsOfFile: target + "/claim.xml", encoding: .utf8) == "one")
        #expect(try String(contentsOfFile: target + "/claim-2.xml", encoding: .utf8) == "three")
    }

    @Test("a no-replace move moves a symbolic link itself, never its target")
    func moveLink() throws {
        let folder = try TemporaryDirectory("move")
        try write("secret", to: folder.appending("secret"))
        try FileManager.default.createSymbolicLink(atPath: folder.appending("link"), withDestinationPath: "secret")
        try FileManager.default.createDirectory(atPath: folder.appending("out"), withIntermediateDirectories: false)
        let moved = try SpoolFile.moveNoReplace(
            folder.appending("link"), toDirectory: folder.appending("out"),
            preferredName: "link")
        var info = stat()
        #expect(lstat(moved, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(FileManager.default.fileExists(atPath: folder.appending("secret")))
    }

    @Test("reading returns a regular file's bytes and refuses links, folders, FIFOs and oversized files")
    func safeRead() throws {
        let folder = try TemporaryDirectory("read")
        try write("hello", to: folder.appending("file"))
        #expect(try SpoolFile.read(folder.appending("file"), maxBytes: 5) == Array("hello".utf8))

        try FileManager.default.createSymbolicLink(atPath: folder.appending("link"), withDestinationPath: "file")
        try FileManager.default.createDirectory(atPath: folder.appending("dir"), withIntermediateDirectories: false)
        #expect(mkfifo(folder.appending("fifo"), 0o600) == 0)
        for (name, limit) in [("link", 100), ("dir", 100), ("fifo", 100), ("file", 4)] {
            let error = #expect(throws: SedgateError.self, "\(name)") {
                try SpoolFile.read(folder.appending(name), maxBytes: limit)
            }
            #expect(error?.code == .hostileInput, "\(name)")
        }
    }
}
