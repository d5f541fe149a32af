// TestBytes: deterministic pseudo-random bytes and files for the packaging tests (SplitMix64, seeded).

import Foundation
import Testing

/// SplitMix64: a small seeded generator, so every run of a test sees the same bytes and the same shuffles.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
}

/// Test data builders.
enum TestBytes {
    /// `count` pseudo-random bytes from `seed`.
    static func random(_ count: Int, seed: UInt64) -> Data {
        var generator = SeededGenerator(seed: seed)
        var data = Data(count: count)
        data.withUnsafeMutableBytes { (buffer: UnsafeMutableRawBufferPointer) in
            var index = 0
            while index < count {
                var word = generator.next()
                for _ in 0..<min(8, count - index) {
                    buffer[index] = UInt8(truncatingIfNeeded: word)
                    word >>= 8
                    index += 1
                }
            }
        }
        return data
    }

    /// Writes `size` pseudo-random bytes to a new file at `path`, 1 MiB at a time.
    static func writeRandomFile(_ path: String, size: Int, seed: UInt64) throws {
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try #require(FileHandle(forWritingAtPath: path))
        defer { try? handle.close() }
        var written = 0
        var block: UInt64 = 0
        while written < size {
            let count = min(1 << 20, size - written)
            try handle.write(contentsOf: random(count, seed: seed &+ block))
            written += count
            block += 1
        }
    }

    /// Whether two files have the same bytes, compared 1 MiB at a time.
    static func sameContents(_ first: String, _ second: String) throws -> Bool {
        let one = try #require(FileHandle(forReadingAtPath: first))
        let two = try #require(FileHandle(forReadingAtPath: second))
        defer {
            try? one.close()
            try? two.close()
        }
        while true {
            let left = try one.read(upToCount: 1 << 20) ?? Data()
            let right = try two.read(upToCount: 1 << 20) ?? Data()
            if left != right { return false }
            if left.isEmpty { return true }
        }
    }

    /// The file's bytes.
    static func contents(_ path: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: path))
    }
}
