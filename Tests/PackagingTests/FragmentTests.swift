// FragmentTests: a large payload split, encrypted, received in any order with repeats and a restart, and
// reassembled identical; tampered fragments and wrong digests are refused, naming what is wrong.

import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing

@Suite("Fragments")
struct FragmentTests {
    static let fragmentSize = 4 << 20

    @Test("a 50 MB payload, encrypted in 4 MiB fragments, received shuffled with a repeat and a restart, is rebuilt")
    func largePayload() throws {
        let folder = try TemporaryDirectory("fragments-large")
        let original = folder.appending("payload.bin")
        try TestBytes.writeRandomFile(original, size: 50_000_000, seed: 2024)
        let outgoing = folder.appending("out")
        let incoming = folder.appending("in")
        try FileManager.default.createDirectory(atPath: outgoing, withIntermediateDirectories: false)
        try FileManager.default.createDirectory(atPath: incoming, withIntermediateDirectories: false)

        let key = FragmentCipher.makeKey()
        let id = "P-2024.0001"
        let manifest = try Fragmenter.split(
            file: original, fragmentSize: Self.fragmentSize, payloadID: id, contentType: "application/pdf",
            fileName: "scan.pdf", into: outgoing
        ) { index, plain in
            try FragmentCipher.seal(index: index, plaintext: plain, key: key, payloadID: id)
        }
        #expect(manifest.fragmentCount == 12)
        #expect(manifest.totalSize == 50_000_000)
        #expect(manifest.sha256 == (try PayloadDigest.sha256(file: original)))
        #expect(manifest.fragments.allSatisfy { $0.size == Int64(manifest.originalSize(ofFragment: $0.index) + 16) })

        // The manifest travels as XML; the receiver works from its own parsed copy.
        let received = try FragmentManifest(xml: Data(manifest.xml.utf8))
        var order = Array(0..<manifest.fragmentCount)
        var generator = SeededGenerator(seed: 99)
        order.shuffle(using: &generator)
        order.insert(order[2], at: 5)

        var first = try Reassembler(manifest: received, directory: incoming)
        var seen: Set<Int> = []
        for index in order.prefix(7) {
            let outcome = try first.accept(index: index, file: outgoing + "/" + manifest.fileName(ofFragment: index))
            #expect(outcome == (seen.insert(index).inserted ? .stored : .alreadyPresent))
        }
        #expect(first.missing.count == manifest.fragmentCount - 6)

        // A restart: a new Reassembler over the same folder knows what is already there.
        var second = try Reassembler(manifest: received, directory: incoming)
        #expect(second.missing == first.missing)
        for index in order.dropFirst(7) {
            let data = try TestBytes.contents(outgoing + "/" + manifest.fileName(ofFragment: index))
            let outcome = try second.accept(index: index, data: data)
            #expect(outcome == (first.missing.contains(index) ? .stored : .alreadyPresent))
        }
        #expect(
            try second.accept(index: order[0], data: TestBytes.contents(second.path(ofFragment: order[0])))
                == .alreadyPresent)
        #expect(second.isComplete)

        let rebuilt = folder.appending("rebuilt.pdf")
        try second.assemble(to: rebuilt) { index, sealed in
            try FragmentCipher.open(index: index, sealed: sealed, key: key, payloadID: id)
        }
        #expect(try PayloadDigest.sha256(file: rebuilt) == manifest.sha256)
        #expect(try TestBytes.sameContents(original, rebuilt))
        try second.removeFragments()
        #expect(try FileManager.default.contentsOfDirectory(atPath: incoming).isEmpty)
    }

    /// A small split for the refusal tests: 10,000 bytes in fragments of 3,000 (identity transform).
    func smallSplit(_ folder: TemporaryDirectory) throws -> (FragmentManifest, String) {
        let original = folder.appending("small.bin")
        try TestBytes.random(10_000, seed: 1).write(to: URL(fileURLWithPath: original))
        let out = folder.appending("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let manifest = try Fragmenter.split(file: original, fragmentSize: 3_000, payloadID: "small", into: out)
        #expect(manifest.fragmentCount == 4)
        #expect(manifest.fragments.map(\.size) == [3_000, 3_000, 3_000, 1_000])
        return (manifest, out)
    }

    @Test("a sender that keeps only the payload makes each encrypted fragment again, identical to a stored split")
    func fragmentsMadeAgain() throws {
        let folder = try TemporaryDirectory("fragments-again")
        let original = folder.appending("payload.bin")
        try TestBytes.random(10_000, seed: 7).write(to: URL(fileURLWithPath: original))
        let out = folder.appending("out")
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
        let key = FragmentCipher.makeKey()
        let seal = { (index: Int, plain: Data) in
            try FragmentCipher.seal(index: index, plaintext: plain, key: key, payloadID: "again")
        }
        let stored = try Fragmenter.split(
            file: original, fragmentSize: 3_000, payloadID: "again", into: out, transform: seal)
        let described = try Fragmenter.split(
            file: original, fragmentSize: 3_000, payloadID: "again", into: nil, transform: seal)
        #expect(described == stored, "the manifest does not depend on where the fragments go")
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).count == 4)
        for index in 0..<4 {
            let made = try Fragmenter.fragment(index, of: described, file: original, transform: seal)
            #expect(made == FileManager.default.contents(atPath: out + "/" + stored.fileName(ofFragment: index)))
        }
        // The payload changed after it was described: the fragment no longer matches and is not sent.
        try TestBytes.random(10_000, seed: 8).write(to: URL(fileURLWithPath: original))
        #expect(throws: SedgateError.self) {
            try Fragmenter.fragment(1, of: described, file: original, transform: seal)
        }
    }

    @Test("an assembly cut short resumes after the fragments it joined, and the payload is never on disk twice")
    func assemblyResumes() throws {
        struct Cut: Error {}
        let folder = try TemporaryDirectory("fragments-resume")
        let (manifest, out) = try smallSplit(folder)
        let original = try Data(contentsOf: URL(fileURLWithPath: folder.appending("small.bin")))
        let target = folder.appending("payload.bin")
        let first = try Reassembler(manifest: manifest, directory: out)
        #expect(throws: (any Error).self) {
            try first.assemble(to: target) { index, fragment in
                if index == 2 { throw Cut() }
                return fragment
            }
        }
        // Fragments 0 and 1 live in the partial file only; 2 and 3 wait as fragments: 10,000 bytes in all.
        let left = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(left == ["small.2.frag", "small.3.frag", "small.partial"])
        #expect(LargePayloadBytes.total(in: out) == 10_000)
        #expect(!FileManager.default.fileExists(atPath: target))

        let second = try Reassembler(manifest: manifest, directory: out)
        #expect(second.missing.isEmpty, "the joined fragments count as received")
        try second.assemble(to: target)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty)
    }

    @Test("a process killed between two syncs of the assembly leaves its fragments' files; the next one resumes")
    func assemblyKilledBetweenSyncs() throws {
        let folder = try TemporaryDirectory("fragments-killed")
        let (manifest, out) = try smallSplit(folder)
        let original = try Data(contentsOf: URL(fileURLWithPath: folder.appending("small.bin")))
        // The state a kill leaves after fragments 0 and 1 were appended but before the sync that removes their
        // files: both in the partial file and still in their own files.
        try original.prefix(6_000).write(to: URL(fileURLWithPath: out + "/small.partial"))
        #expect(LargePayloadBytes.total(in: out) == 16_000)

        let target = folder.appending("payload.bin")
        let again = try Reassembler(manifest: manifest, directory: out)
        #expect(again.missing.isEmpty)
        try again.assemble(to: target)
        #expect(try Data(contentsOf: URL(fileURLWithPath: target)) == original)
        #expect(try FileManager.default.contentsOfDirectory(atPath: out).isEmpty, "no fragment file is left behind")
    }

    @Test("a tampered fragment is refused, naming its index; on disk, it is found at assembly and asked for again")
    func tampered() throws {
        let folder = try TemporaryDirectory("fragments-tampered")
        let (manifest, out) = try smallSplit(folder)
        var reassembler = try Reassembler(manifest: manifest, directory: folder.path)
        var bytes = try TestBytes.contents(out + "/small.2.frag")
        bytes[17] ^= 0x01
        let error = #expect(throws: SedgateError.self) { try reassembler.accept(index: 2, data: bytes) }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("fragment 2 of payload small was altered") == true)
        #expect(reassembler.missing == [0, 1, 2, 3])
        let short = #expect(throws: SedgateError.self) { try reassembler.accept(index: 1, data: bytes.prefix(10)) }
        #expect(short?.message.contains("fragment 1 of payload small has 10 bytes") == true)
        let outside = #expect(throws: SedgateError.self) { try reassembler.accept(index: 4, data: bytes) }
        #expect(outside?.message.contains("fragment 4 of payload small does not exist") == true)

        for index in 0..<4 { try reassembler.accept(index: index, file: out + "/small.\(index).frag") }
        // Damage after acceptance (disk corruption, a meddling process).
        try bytes.write(to: URL(fileURLWithPath: reassembler.path(ofFragment: 2)))
        let late = #expect(throws: SedgateError.self) { try reassembler.assemble(to: folder.appending("r.bin")) }
        #expect(late?.message.contains("fragment 2") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.appending("r.bin")))
        #expect(try Reassembler(manifest: manifest, directory: folder.path).missing == [2])
    }

    @Test("a payload whose whole SHA-256 differs from the manifest is refused and not written")
    func wrongWholeDigest() throws {
        let folder = try TemporaryDirectory("fragments-digest")
        let (manifest, out) = try smallSplit(folder)
        let lying = try FragmentManifest(
            payloadID: manifest.payloadID, totalSize: manifest.totalSize, fragmentSize: manifest.fragmentSize,
            fragments: manifest.fragments, sha256: String(repeating: "ab", count: 32))
        let reassembler = try Reassembler(manifest: lying, directory: out)
        #expect(reassembler.isComplete)
        let error = #expect(throws: SedgateError.self) { try reassembler.assemble(to: folder.appending("r.bin")) }
        #expect(error?.code == .protocolViolation)
        #expect(error?.message.contains("the manifest says \(String(repeating: "ab", count: 32))") == true)
        #expect(!FileManager.default.fileExists(atPath: folder.appending("r.bin")))
    }

    @Test("assembling with fragments missing is refused, listing them")
    func incomplete() throws {
        let folder = try TemporaryDirectory("fragments-missing")
        let (manifest, out) = try smallSplit(folder)
        var reassembler = try Reassembler(manifest: manifest, directory: folder.path)
        try reassembler.accept(index: 1, file: out + "/small.1.frag")
        let error = #expect(throws: SedgateError.self) { try reassembler.assemble(to: folder.appending("r.bin")) }
        #expect(error?.message.contains("3 of 4 fragments are missing (0, 2, 3)") == true)
    }

    @Test("an empty payload has no fragments and assembles to an empty file")
    func emptyPayload() throws {
        let folder = try TemporaryDirectory("fragments-empty")
        _ = FileManager.default.createFile(atPath: folder.appending("empty"), contents: Data())
        let manifest = try Fragmenter.split(
            file: folder.appending("empty"), fragmentSize: 1_000, payloadID: "e", into: folder.path)
        #expect(manifest.fragmentCount == 0)
        try Reassembler(manifest: manifest, directory: folder.path).assemble(to: folder.appending("out"))
        #expect(try TestBytes.contents(folder.appending("out")).isEmpty)
    }
}

/// Sizes of the files in a folder.
enum LargePayloadBytes {
    static func total(in folder: String) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.reduce(0) { total, name in
            total + ((try? FileManager.default.attributesOfItem(atPath: folder + "/" + name)[.size] as? Int) ?? 0)
        }
    }
}
