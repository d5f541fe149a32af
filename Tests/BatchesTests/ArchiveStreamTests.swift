// ArchiveStreamTests: every archive format a producer may send is read entry by entry, and the hostile-archive corpus
// (path tricks, links, devices, duplicates, bombs) is refused with a reason, never unpacked.

import Batches
import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("Archive batches")
struct ArchiveStreamTests {
    /// Reads every file and every problem of the archive; a thrown error is returned as the last problem.
    static func read(
        _ entries: [TestArchive.Entry], format: TestArchive.Format = .tarGzip, limits: ArchiveLimits = ArchiveLimits()
    ) throws -> (files: [ArchiveFile], problems: [String], thrown: SedgateError?) {
        let directory = try TemporaryDirectory("archive")
        let path = directory.path + "/batch." + format.rawValue
        try TestArchive.write(entries, format: format, to: path)
        var files: [ArchiveFile] = []
        do throws(SedgateError) {
            let stream = try ArchiveStream(path: path, shownAs: "outbound/batch", limits: limits)
            while let file = try stream.next() { files.append(file) }
            #expect(try stream.next() == nil, "asking again after the end is still the end")
            return (files, stream.problems.map(\.error.message), nil)
        } catch {
            return (files, [], error)
        }
    }

    @Test(
        "zip, tar, tar.gz and tar.zst are read in order, folders skipped, ./ names normalised",
        arguments: TestArchive.Format.allCases)
    func formats(format: TestArchive.Format) throws {
        let (files, problems, thrown) = try Self.read(
            [
                .init("a.xml", .file(Array("one".utf8))), .init("sub/", .directory),
                .init("./sub/b.xml", .file(Array("two".utf8))),
            ], format: format)
        #expect(thrown == nil && problems.isEmpty)
        #expect(files.map(\.name) == ["a.xml", "sub/b.xml"])
        #expect(files.map { String(decoding: $0.bytes, as: UTF8.self) } == ["one", "two"])
    }

    @Test(
        "path tricks, links, devices and repeated names are refused by name with a reason, the rest still listed",
        arguments: [
            (TestArchive.Entry("../escape.xml", .file([1])), "climbs out of the archive"),
            (TestArchive.Entry("a/../../escape.xml", .file([1])), "climbs out of the archive"),
            (TestArchive.Entry("/etc/passwd", .file([1])), "absolute path"),
            (TestArchive.Entry("..\\..\\evil.xml", .file([1])), "backslash"),
            (TestArchive.Entry("bad\nname.xml", .file([1])), "control character"),
            (TestArchive.Entry("link.xml", .symlink("/etc/passwd")), "symbolic link"),
            (TestArchive.Entry("hard.xml", .hardlink("ok.xml")), "hard link"),
            (TestArchive.Entry("tty", .characterDevice), "device, FIFO or socket"),
            (TestArchive.Entry("pipe", .fifo), "device, FIFO or socket"),
            (TestArchive.Entry("ok.xml", .file([2])), "repeats the name"),
        ])
    func hostileEntries(entry: TestArchive.Entry, reason: String) throws {
        let (files, problems, thrown) = try Self.read([.init("ok.xml", .file([1])), entry], format: .tar)
        #expect(thrown == nil)
        #expect(files.map(\.name) == ["ok.xml"], "the hostile entry is never handed out")
        #expect(problems.count == 1 && problems[0].contains(reason), "\(problems)")
    }

    @Test("a bomb stops the read at once: too many entries, too many bytes, one file too large, too high a ratio")
    func bombs() throws {
        let many = (0..<6).map { TestArchive.Entry("f\($0).xml", .file([1])) }
        let (_, _, count) = try Self.read(many, limits: ArchiveLimits(maxEntries: 5))
        #expect(count?.message.contains("more than 5 entries") == true, "\(String(describing: count))")

        let big = (0..<3).map { TestArchive.Entry("f\($0).xml", .file([UInt8](repeating: 65, count: 4_000))) }
        let (_, _, total) = try Self.read(big, limits: ArchiveLimits(maxTotalBytes: 10_000, maxRatio: 1_000_000))
        #expect(total?.message.contains("more than 10000 bytes") == true, "\(String(describing: total))")

        let (_, _, declared) = try Self.read(
            [.init("huge.xml", .zeros(2 << 20))], limits: ArchiveLimits(maxEntryBytes: 1 << 20))
        #expect(declared?.message.contains("declares") == true, "\(String(describing: declared))")

        let (read, _, ratio) = try Self.read(
            [.init("zeros.xml", .zeros(8 << 20))],
            limits: ArchiveLimits(maxEntryBytes: 64 << 20, maxRatio: 100, ratioFloor: 1 << 20))
        #expect(read.isEmpty)
        #expect(ratio?.message.contains("times its own size") == true, "\(String(describing: ratio))")
        #expect(ratio?.code == .hostileInput)
    }

    @Test("a file that is not an archive is refused as such")
    func notAnArchive() throws {
        let directory = try TemporaryDirectory("archive")
        let path = directory.path + "/x.tar.gz"
        try Array("<SED/>".utf8).withUnsafeBufferPointer { bytes in
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }
        #expect(throws: SedgateError.self) {
            let stream = try ArchiveStream(path: path, shownAs: "outbound/x.tar.gz", limits: ArchiveLimits())
            while try stream.next() != nil {}
        }
    }
}
