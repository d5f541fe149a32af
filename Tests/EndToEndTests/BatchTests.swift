// BatchTests: batches on the file interface, with real processes: a 200-file manifest batch and a 200-file
// .tar.gz each cross whole with one batch report per state; a batch with bad files and hostile archives are
// refused whole, with a reason per bad file, and nothing of them is sent.

import Crypto
import Foundation
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Batches and archives, real processes", .serialized)
struct BatchTests {
    /// A batch report's counts, as a batch job reads them.
    struct Report: Decodable {
        struct Counts: Decodable {
            var files: Int
            var accepted: Int
            var sent: Int
            var delivered: Int
            var failed: Int
        }
        struct Item: Decodable {
            var file: String
            var sedId: String
            var state: String
        }
        struct Problem: Decodable {
            var file: String
            var code: String
            var reason: String
        }
        var batch: String
        var state: String
        var counts: Counts
        var seds: [Item]
        var problems: [Problem]?
    }

    static func report(_ folder: String, _ name: String) throws -> Report {
        try JSONDecoder().decode(Report.self, from: Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
    }

    static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    /// Commits a manifest batch the way the README says: files into `<batch>.batch/`, then the manifest by rename.
    static func commitManifestBatch(
        _ outbound: String, batch: String, files: [(String, [UInt8])], header: String = "", extra: [String] = []
    ) throws {
        let folder = outbound + "/" + batch + ".batch"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for (name, bytes) in files { try Data(bytes).write(to: URL(fileURLWithPath: folder + "/" + name)) }
        let lines = files.map { "\(sha256($0.1))  \($0.0)" } + extra
        try (header + lines.joined(separator: "\n") + "\n").write(
            toFile: outbound + "/." + batch + ".manifest", atomically: false, encoding: .utf8)
        #expect(rename(outbound + "/." + batch + ".manifest", outbound + "/" + batch + ".manifest") == 0)
    }

    @Test(
        "a 200-file manifest batch and a 200-file .tar.gz each cross whole with one batch report per state; a batch with bad files is refused whole, naming each"
    )
    func batchesCross() async throws {
        let directory = try TemporaryDirectory("e2e-batch")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")

        // A bad batch first: one file not XML, one whose checksum is wrong, one in the folder but not listed.
        var bad = (0..<5).map { ("claim-\($0).xml", SampleSED.make(sedId: nil, index: 900 + $0)) }
        bad[1].1 = Array("not xml".utf8)
        try FileManager.default.createDirectory(
            atPath: sender.spool.outbound + "/bad-1.batch", withIntermediateDirectories: true)
        try Data("left over".utf8).write(to: URL(fileURLWithPath: sender.spool.outbound + "/bad-1.batch/stray.xml"))
        try Self.commitManifestBatch(sender.spool.outbound, batch: "bad-1", files: bad)
        let good = (0..<200).map { ("claim-\(String(format: "%03d", $0)).xml", SampleSED.make(sedId: nil, index: $0)) }
        try Self.commitManifestBatch(
            sender.spool.outbound, batch: "nightly-1", files: good, header: "# nightly claims\nLanguage = fr\n")
        let archived = (0..<200).map {
            TestArchive.Entry(
                "claims/c\(String(format: "%03d", $0)).xml", .file(SampleSED.make(sedId: nil, index: 1_000 + $0)))
        }
        try TestArchive.write(archived, format: .tarGzip, to: sender.spool.outbound + "/.claims.tar.gz")
        #expect(rename(sender.spool.outbound + "/.claims.tar.gz", sender.spool.outbound + "/claims.tar.gz") == 0)

        try await Wait.until("both batches delivered", timeout: .seconds(300)) {
            FileManager.default.fileExists(atPath: sender.spool.reports + "/nightly-1.delivered.json")
                && FileManager.default.fileExists(atPath: sender.spool.reports + "/claims.tar.gz.delivered.json")
        }
        for (batch, prefix) in [("nightly-1", "nightly-1/claim-"), ("claims.tar.gz", "claims.tar.gz/claims/c")] {
            for state in ["accepted", "sent", "delivered"] {
                let report = try Self.report(sender.spool.reports, "\(batch).\(state).json")
                #expect(report.state == state && report.counts.files == 200 && report.counts.failed == 0)
                #expect(Set(report.seds.map(\.sedId)).count == 200, "200 distinct SED ids")
                #expect(report.seds.allSatisfy { $0.file.hasPrefix(prefix) }, "\(report.seds.prefix(2))")
            }
            let delivered = try Self.report(sender.spool.reports, "\(batch).delivered.json")
            #expect(delivered.counts.delivered == 200 && delivered.counts.sent == 200)
            let perSED = ExchangeTests.files(sender.spool.reports, suffix: ".delivered.json").filter {
                $0.hasPrefix(batch + "__")
            }
            #expect(perSED.count == 200, "a per-SED report beside the batch report for each SED")
        }
        let inbound = ExchangeTests.files(receiver.spool.inbound, suffix: ".xml")
        #expect(inbound.count == 400, "400 SEDs landed, none of the bad batch: \(inbound.count)")
        // The manifest's default filled the field its SEDs left out; the archive had no manifest, so no default.
        let french = try inbound.filter {
            try String(contentsOfFile: receiver.spool.inbound + "/" + $0, encoding: .utf8).contains(
                "<Language>fr</Language>")
        }
        #expect(french.count == 200)

        // A second batch under a name already reported is refused whole as a duplicate, nothing of it sent.
        let again = (0..<3).map { ("again-\($0).xml", SampleSED.make(sedId: nil, index: 500 + $0)) }
        try Self.commitManifestBatch(sender.spool.outbound, batch: "nightly-1", files: again)
        try await Wait.until("the reused batch name refused", timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: sender.spool.reports + "/nightly-1.rejected.json")
        }
        let reused = try String(contentsOfFile: sender.spool.rejected + "/nightly-1.manifest.error", encoding: .utf8)
        #expect(reused.contains("code: duplicate") && reused.contains("name each batch uniquely"), "\(reused)")

        // The bad batch: manifest and folder in rejected/, one .error naming each bad file, one batch report.
        try await Wait.until("the bad batch refused", timeout: .seconds(30)) {
            FileManager.default.fileExists(atPath: sender.spool.reports + "/bad-1.rejected.json")
        }
        let error = try String(contentsOfFile: sender.spool.rejected + "/bad-1.manifest.error", encoding: .utf8)
        #expect(error.contains("bad: claim-1.xml: malformed-xml"), "\(error)")
        #expect(error.contains("bad: stray.xml:") && error.contains("not listed in the manifest"), "\(error)")
        #expect(FileManager.default.fileExists(atPath: sender.spool.rejected + "/bad-1.batch/claim-0.xml"))
        let refused = try Self.report(sender.spool.reports, "bad-1.rejected.json")
        #expect(refused.problems?.map(\.file).sorted() == ["claim-1.xml", "stray.xml"])
        #expect(ExchangeTests.files(sender.spool.reports, suffix: ".json").filter { $0.hasPrefix("bad-1__") }.isEmpty)
        #expect(
            ExchangeTests.files(sender.spool.reports, suffix: ".json").filter { $0.hasPrefix("nightly-1__again-") }
                .isEmpty)
        #expect(ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").count == 400, "nothing more crossed")
        await topology.stopAll()
    }

    @Test(
        "an access point killed while it journals a 400-file batch takes the rest at its restart: every SED once, one batch report"
    )
    func batchThroughKill() async throws {
        let directory = try TemporaryDirectory("e2e-batch-kill")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let files = (0..<400).map { ("k-\(String(format: "%03d", $0)).xml", SampleSED.make(sedId: nil, index: $0)) }
        try Self.commitManifestBatch(sender.spool.outbound, batch: "kill-1", files: files)
        func accepted() -> Int {
            ExchangeTests.files(sender.spool.reports, suffix: ".accepted.json").filter { $0.hasPrefix("kill-1__") }
                .count
        }
        try await Wait.until("the batch's first SEDs journalled", timeout: .seconds(120), interval: .milliseconds(2)) {
            accepted() > 0
        }
        await topology.kill("AP-BE")
        let before = accepted()
        #expect(before < 400, "killed half-way through the batch (\(before) of 400 taken)")
        try await topology.start("AP-BE")
        try await Wait.until("the batch delivered", timeout: .seconds(300)) {
            FileManager.default.fileExists(atPath: sender.spool.reports + "/kill-1.delivered.json")
        }
        let report = try Self.report(sender.spool.reports, "kill-1.delivered.json")
        #expect(report.counts.files == 400 && report.counts.delivered == 400)
        #expect(Set(report.seds.map(\.sedId)).count == 400)
        #expect(accepted() == 400, "one accepted report per SED")
        try await Wait.until("all 400 landed", timeout: .seconds(60)) {
            ExchangeTests.files(receiver.spool.inbound, suffix: ".xml").count >= 400
        }
        try await Task.sleep(for: .seconds(1))
        let inbound = ExchangeTests.files(receiver.spool.inbound, suffix: ".xml")
        #expect(inbound.count == 400, "each SED of the batch landed once: \(inbound.count)")
        let leftovers = ExchangeTests.files(sender.spool.intake, suffix: "")
        #expect(leftovers.isEmpty, "the taken batch leaves nothing in var/intake/: \(leftovers)")
        #expect(ExchangeTests.files(sender.spool.rejected, suffix: "").isEmpty)
        await topology.stopAll()
    }

    @Test("a hostile-archive corpus committed to outbound/ is refused whole, each with its reason, and nothing crosses")
    func hostileArchives() async throws {
        let directory = try TemporaryDirectory("e2e-hostile")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let sed = SampleSED.make(sedId: nil, index: 1)
        let corpus: [(String, TestArchive.Format, [TestArchive.Entry], String)] = [
            (
                "climb.tar.gz", .tarGzip, [.init("ok.xml", .file(sed)), .init("../../etc/cron.d/x", .file(sed))],
                "climbs out"
            ),
            ("absolute.tar", .tar, [.init("/tmp/evil.xml", .file(sed))], "absolute path"),
            (
                "link.tar.zst", .tarZstd, [.init("ok.xml", .file(sed)), .init("l.xml", .symlink("/etc/shadow"))],
                "symbolic link"
            ),
            ("hard.tar", .tar, [.init("ok.xml", .file(sed)), .init("h.xml", .hardlink("/etc/shadow"))], "hard link"),
            ("device.tar", .tar, [.init("tty", .characterDevice)], "device"),
            ("twice.zip", .zip, [.init("a.xml", .file(sed)), .init("a.xml", .file(sed))], "repeats the name"),
            ("bomb.tar.gz", .tarGzip, (0..<40).map { .init("z\($0).xml", .zeros(1 << 20)) }, "times its own size"),
            ("huge.tar.zst", .tarZstd, [.init("big.xml", .zeros(64 << 20))], "declares"),
            ("fake.zip", .zip, [], "tar"),
        ]
        for (name, format, entries, _) in corpus {
            let hidden = sender.spool.outbound + "/." + name
            if name == "fake.zip" {
                try Data("PK\u{3}\u{4}garbage".utf8).write(to: URL(fileURLWithPath: hidden))
            } else {
                try TestArchive.write(entries, format: format, to: hidden)
            }
            #expect(rename(hidden, sender.spool.outbound + "/" + name) == 0)
        }
        try await Wait.until("every hostile archive refused", timeout: .seconds(60)) {
            corpus.allSatisfy {
                FileManager.default.fileExists(atPath: sender.spool.reports + "/\($0.0).rejected.json")
            }
        }
        for (name, _, _, reason) in corpus {
            let error = try String(contentsOfFile: sender.spool.rejected + "/\(name).error", encoding: .utf8)
            #expect(error.contains(reason), "\(name): \(error)")
            #expect(FileManager.default.fileExists(atPath: sender.spool.rejected + "/" + name), "the original is kept")
        }
        #expect(!FileManager.default.fileExists(atPath: "/tmp/evil.xml"))
        // Nothing of any of them was journalled, reported per SED, or sent.
        let perSED = ExchangeTests.files(sender.spool.reports, suffix: ".json").filter { $0.contains("__") }
        #expect(perSED.isEmpty, "\(perSED)")
        try await Task.sleep(for: .seconds(1))
        #expect(ExchangeTests.files(receiver.spool.inbound, suffix: "").isEmpty)
        await topology.stopAll()
    }
}
