// GzipTests: gzip round trips in memory and on files, and decompression bombs refused by the output limit.

import Foundation
import Glibc
import Packaging
import SedgateCore
import SedgateTesting
import Testing

@Suite("Gzip")
struct GzipTests {
    @Test("data compressed and decompressed comes back identical, empty data included")
    func roundTrip() throws {
        for data in [Data(), Data("a".utf8), TestBytes.random(300_000, seed: 5), Data(repeating: 7, count: 1 << 20)] {
            let compressed = Gzip.compress(data)
            #expect(compressed.prefix(2) == Data([0x1F, 0x8B]))
            #expect(try Gzip.decompress(compressed, limit: data.count) == data)
        }
    }

    @Test("concatenated gzip members decompress as one stream, as gunzip does")
    func concatenated() throws {
        let joined = Gzip.compress(Data("first ".utf8)) + Gzip.compress(Data("second".utf8))
        #expect(try Gzip.decompress(joined, limit: 100) == Data("first second".utf8))
    }

    @Test("files are compressed and decompressed streaming, and the output file is identical")
    func files() throws {
        let folder = try TemporaryDirectory("gzip-files")
        try TestBytes.writeRandomFile(folder.appending("in.bin"), size: 3_000_000, seed: 6)
        let size = try Gzip.compress(file: folder.appending("in.bin"), to: folder.appending("in.gz"))
        #expect(size == (try TestBytes.contents(folder.appending("in.gz")).count))
        let out = try Gzip.decompress(
            file: folder.appending("in.gz"), to: folder.appending("out.bin"), limit: 3_000_000)
        #expect(out == 3_000_000)
        #expect(try TestBytes.sameContents(folder.appending("in.bin"), folder.appending("out.bin")))
    }

    @Test("a bomb (100 MB of zeros in about 100 KB) is refused by the limit, in memory and on files")
    func bomb() throws {
        let folder = try TemporaryDirectory("gzip-bomb")
        // A sparse file: 100 MB of zeros that take no disk space.
        let zeros = folder.appending("zeros")
        let descriptor = open(zeros, O_WRONLY | O_CREAT, 0o600)
        #expect(ftruncate(descriptor, 100_000_000) == 0)
        close(descriptor)
        try Gzip.compress(file: zeros, to: folder.appending("bomb.gz"))
        let bomb = try TestBytes.contents(folder.appending("bomb.gz"))
        #expect(bomb.count < 200_000)

        let memory = #expect(throws: SedgateError.self) { try Gzip.decompress(bomb, limit: 10_000_000) }
        #expect(memory?.code == .hostileInput)
        #expect(memory?.message.contains("more than 10000000 bytes") == true)
        let file = #expect(throws: SedgateError.self) {
            try Gzip.decompress(file: folder.appending("bomb.gz"), to: folder.appending("out"), limit: 10_000_000)
        }
        #expect(file?.code == .hostileInput)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["bomb.gz", "zeros"])
    }

    @Test("truncated or non-gzip input is refused as a protocol violation")
    func malformed() {
        let compressed = Gzip.compress(TestBytes.random(10_000, seed: 8))
        for bad in [compressed.prefix(compressed.count - 4), Data("plain text, not gzip".utf8), Data()] {
            let error = #expect(throws: SedgateError.self) { try Gzip.decompress(Data(bad), limit: 1 << 20) }
            #expect(error?.code == .protocolViolation)
        }
    }

    @Test("kept decompressors give the same bytes after a refused input (truncated, a bomb) and side by side")
    func keptDecompressors() async throws {
        let inputs = (0..<6).map { TestBytes.random(20_000 + $0 * 1_000, seed: UInt64(20 + $0)) }
        let compressed = inputs.map { Gzip.compress($0) }
        for round in 0..<3 {
            for (input, zipped) in zip(inputs, compressed) {
                #expect(try Gzip.decompress(zipped, limit: input.count) == input)
            }
            // A refusal leaves no decompressor half-way for the next call.
            #expect(throws: SedgateError.self) { try Gzip.decompress(compressed[round].prefix(5_000), limit: 1 << 20) }
            #expect(throws: SedgateError.self) { try Gzip.decompress(compressed[round], limit: 10) }
        }
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for index in 0..<24 {
                group.addTask {
                    try Gzip.decompress(compressed[index % 6], limit: 1 << 20) == inputs[index % 6]
                }
            }
            for try await same in group { #expect(same) }
        }
    }
}
