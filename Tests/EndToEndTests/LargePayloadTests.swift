// LargePayloadTests: an enclosure far larger than a SED (a scan, say) crosses AP → CN → AP in encrypted fragments,
// byte-identical by SHA-256, although the CN is killed in the middle of each leg; the fragments already taken are
// not sent again. Real processes; the payload is 48 MiB so the test stays short (`sedgate bench large` does 2 GB).

import Crypto
import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Large payloads in fragments, real processes", .serialized)
struct LargePayloadTests {
    /// The envelope a producer writes beside its payload, `<name>.envelope`.
    static func sidecar(sedId: SEDID) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <Envelope xmlns="urn:eessi:sedgate:sed:1">
          <SedId>\(sedId)</SedId>
          <SedType>S080</SedType>
          <SedVersion>4.2</SedVersion>
          <Sector>SI</Sector>
          <BucType>S_BUC_24</BucType>
          <CaseId>c0ffee00-0000-4000-8000-000000000080</CaseId>
          <Sender>BE:0001</Sender>
          <Receiver>DK:0002</Receiver>
          <ContentType>image/tiff</ContentType>
        </Envelope>

        """
    }

    /// Writes `megabytes` of pseudo-random bytes to `path` and returns their SHA-256 (hex).
    static func writeRandom(_ path: String, megabytes: Int) throws -> String {
        var generator = SystemRandomNumberGenerator()
        var hash = SHA256()
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        for _ in 0..<megabytes {
            let chunk = Data((0..<(1 << 17)).flatMap { _ in withUnsafeBytes(of: generator.next()) { Array($0) } })
            hash.update(data: chunk)
            try handle.write(contentsOf: chunk)
        }
        return hash.finalize().map { String(format: "%02x", $0) }.joined()
    }

    static func sha256(of path: String) throws -> String {
        try PayloadDigest.sha256(file: path)
    }

    /// The bytes of every regular file under `folder`.
    static func bytes(under folder: String) -> Int {
        let files = FileManager.default.enumerator(atPath: folder)?.allObjects as? [String] ?? []
        return files.reduce(0) { total, file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: folder + "/" + file)
            guard attributes?[.type] as? FileAttributeType == .typeRegular else { return total }
            return total + (attributes?[.size] as? Int ?? 0)
        }
    }

    static func fragments(in folder: String) -> Int {
        ExchangeTests.files(folder, suffix: ".frag").count
    }

    @Test("a 48 MiB enclosure crosses in fragments, byte-identical, through a CN killed in the middle of each leg")
    func largeEnclosureSurvivesRestarts() async throws {
        let directory = try TemporaryDirectory("e2e-large")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: "[pack]\nfragment-above-kb = 1024\nfragment-kb = 256\n")
        defer { topology.abandon() }
        try await topology.startAll()
        let sender = topology.node("AP-BE")
        let receiver = topology.node("AP-DK")
        let cn = topology.node("CN")
        await topology.kill("AP-DK")

        // The producer writes the sidecar, then commits the payload by rename.
        let sedId = SEDID.random()
        let name = "scan-0001.tiff"
        try Data(Self.sidecar(sedId: sedId).utf8).write(
            to: URL(fileURLWithPath: "\(sender.spool.outbound)/\(name).envelope"))
        let staged = directory.appending("staged.tiff")
        let digest = try Self.writeRandom(staged, megabytes: 48)
        #expect(rename(staged, "\(sender.spool.outbound)/\(name)") == 0)

        // First leg: kill the CN once it holds some fragments, but not all 192.
        let cnFragments = "\(cn.spool.store)/frag-\(sedId)"
        try await Wait.until("the CN to hold its first fragments", timeout: .seconds(120), interval: .milliseconds(5)) {
            Self.fragments(in: cnFragments) >= 8
        }
        await topology.kill("CN")
        // The sender keeps the payload once: no fragment of it on disk, just its manifest and key beside it.
        #expect(Self.fragments(in: "\(sender.spool.store)/frag-\(sedId)") == 0, "the sender stored its fragments")
        #expect(Self.bytes(under: sender.spool.varDirectory) < (48 << 20) + (1 << 20), "the payload is on disk twice")
        let heldAtKill = Self.fragments(in: cnFragments)
        #expect(heldAtKill < 192, "the first leg ended before the kill; nothing was interrupted")
        try await topology.start("CN")
        try await Wait.until("the CN to hold the SED", timeout: .seconds(180)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).sent.json").isEmpty
        }
        // The report comes first (the CN holds the SED); the AP's fragments go right after.
        try await Wait.until("AP-BE to drop its fragments", timeout: .seconds(30)) {
            !FileManager.default.fileExists(atPath: "\(sender.spool.store)/frag-\(sedId)")
        }

        // Second leg: the destination comes back; kill the CN again while it forwards.
        try await topology.start("AP-DK")
        let apFragments = "\(receiver.spool.store)/frag-\(sedId)"
        try await Wait.until("AP-DK to hold its first fragments", timeout: .seconds(120), interval: .milliseconds(5)) {
            Self.fragments(in: apFragments) >= 8
        }
        await topology.kill("CN")
        #expect(Self.fragments(in: apFragments) < 192, "the second leg ended before the kill; nothing was interrupted")
        try await topology.start("CN")
        try await Wait.until("the enclosure to be delivered", timeout: .seconds(180)) {
            !ExchangeTests.files(sender.spool.reports, suffix: "\(sedId).delivered.json").isEmpty
        }
        await topology.stopAll()

        let landed = ExchangeTests.files(receiver.spool.inbound, suffix: ".tiff")
        #expect(landed.count == 1, "\(landed)")
        let file = try #require(landed.first)
        #expect(file.contains(sedId.rawValue))
        #expect(try Self.sha256(of: "\(receiver.spool.inbound)/\(file)") == digest, "byte-identical by SHA-256")
        #expect(!FileManager.default.fileExists(atPath: apFragments), "the destination cleaned up its fragments")
        #expect(!FileManager.default.fileExists(atPath: cnFragments), "the CN cleaned up its fragments")
    }
}
