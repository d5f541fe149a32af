// FragmentManifestTests: the manifest's XML form round-trips, and manifests that do not add up are refused.

import Foundation
import Packaging
import SedgateCore
import Testing

@Suite("Fragment manifests")
struct FragmentManifestTests {
    static let digest = String(repeating: "0123456789abcdef", count: 4)

    static func manifest(fileName: String? = "claim & co.pdf") throws -> FragmentManifest {
        try FragmentManifest(
            payloadID: "PAY-1", totalSize: 9, fragmentSize: 4,
            fragments: (0..<3).map { .init(index: $0, size: $0 == 2 ? 17 : 20, sha256: digest) },
            sha256: digest.uppercased(), contentType: "application/pdf", fileName: fileName)
    }

    @Test("a manifest written as XML parses back equal, with or without a file name")
    func roundTrip() throws {
        for manifest in [try Self.manifest(), try Self.manifest(fileName: nil)] {
            let parsed = try FragmentManifest(xml: Data(manifest.xml.utf8))
            #expect(parsed == manifest)
        }
        #expect(try Self.manifest().sha256 == Self.digest)
        #expect(try Self.manifest().xml.contains("fileName=\"claim &amp; co.pdf\""))
    }

    func refusal(_ xml: String) -> SedgateError? {
        #expect(throws: SedgateError.self) { try FragmentManifest(xml: Data(xml.utf8)) }
    }

    @Test("inconsistent manifests are refused, saying what does not add up")
    func inconsistent() throws {
        let good = try Self.manifest().xml
        let cases: [(String, String, String)] = [
            ("fragmentCount=\"3\"", "fragmentCount=\"4\"", "fragmentCount=4 but lists 3"),
            ("totalSize=\"9\"", "totalSize=\"13\"", "lists 3 fragments, but 13 bytes in fragments of 4 make 4"),
            ("index=\"1\"", "index=\"2\"", "lists fragment 2 in position 1"),
            ("size=\"17\"", "size=\"70000\"", "fragment 2 has size 70000"),
            ("totalSize=\"9\"", "totalSize=\"-9\"", "not a non-negative integer"),
            ("fragmentSize=\"4\"", "fragmentSize=\"0\"", "fragment size 0"),
            ("sha256=\"\(Self.digest)\"", "sha256=\"abc\"", "not 64 hex digits"),
            ("payloadId=\"PAY-1\"", "payloadId=\"../etc\"", "names files"),
            ("fileName=\"claim &amp; co.pdf\"", "fileName=\"../x\"", "not a single file name"),
            ("urn:sedgate:fragments:1", "urn:other", "expected a Manifest element"),
        ]
        for (from, to, message) in cases {
            let xml = good.replacingOccurrences(of: from, with: to)
            #expect(xml != good, "\(from)")
            let error = refusal(xml)
            #expect(error?.message.contains(message) == true, "\(to): \(String(describing: error))")
        }
        #expect(
            refusal(good.replacingOccurrences(of: "payloadId=\"PAY-1\"", with: "payloadId=\"../etc\""))?.code
                == .hostileInput)
    }

    /// Found while writing the fuzz target `manifest` (Tests/Fuzz): counting the fragments of such a total overflowed
    /// and trapped.
    @Test("a total size near the largest integer is refused as too many fragments, not a crash")
    func hugeTotalSize() throws {
        let xml = try Self.manifest().xml.replacingOccurrences(
            of: "totalSize=\"9\"", with: "totalSize=\"\(Int64.max)\"")
        let error = refusal(xml)
        #expect(
            error?.message.contains("needs 2305843009213693952 fragments; at most 1000000") == true,
            "\(String(describing: error))")
    }
}
