// ByteScanner: a forward cursor over RandomAccessBytes that searches for patterns chunk by chunk.
// Holds about one chunk in memory; finds a pattern even when it is split across two chunks.

import Foundation
import SedgateCore

/// Reads bytes forward in chunks and finds patterns in them without keeping what it has passed.
final class ByteScanner {
    /// What a search found.
    enum Search: Equatable {
        /// The pattern starts at this offset; the cursor is there.
        case found(Int64)
        /// The bytes ended first.
        case endOfInput
        /// The pattern does not start within the limit.
        case limitReached
    }

    private let input: any RandomAccessBytes
    private let chunkSize: Int
    private var buffer: [UInt8] = []
    private var bufferStart: Int64 = 0
    private var index = 0
    private var exhausted = false

    /// The cursor's offset in the input.
    var position: Int64 { bufferStart + Int64(index) }

    init(_ input: any RandomAccessBytes, chunkSize: Int) {
        self.input = input
        self.chunkSize = max(1, chunkSize)
    }

    /// Makes `count` bytes available at the cursor; false when the input ends before.
    func request(_ count: Int) throws(SedgateError) -> Bool {
        while buffer.count - index < count {
            guard try readChunk() else { return false }
        }
        return true
    }

    /// Whether the bytes at the cursor are `expected` (false also when the input ends first).
    func next(is expected: [UInt8]) throws(SedgateError) -> Bool {
        guard try request(expected.count) else { return false }
        return buffer[index..<index + expected.count].elementsEqual(expected)
    }

    /// The byte at the cursor, or nil at the end.
    func peek() throws(SedgateError) -> UInt8? {
        try request(1) ? buffer[index] : nil
    }

    /// Exactly `count` bytes at `offset` of the input, read directly (the cursor does not move).
    func bytes(count: Int, at offset: Int64) throws(SedgateError) -> Data {
        try input.read(count: count, at: offset)
    }

    /// Moves the cursor forward by `count` bytes, which must have been requested.
    func advance(_ count: Int) {
        precondition(index + count <= buffer.count, "advance past requested bytes")
        index += count
    }

    /// Moves the cursor to the next occurrence of `pattern` starting at most `limit` bytes ahead.
    func seek(_ pattern: [UInt8], within limit: Int64 = .max) throws(SedgateError) -> Search {
        let start = position
        while true {
            let hit = buffer.withUnsafeBytes { bytes in
                ByteSearch.firstIndex(of: pattern, in: UnsafeRawBufferPointer(rebasing: bytes[index...]))
            }
            if let hit {
                index += hit
                return position - start > limit ? .limitReached : .found(position)
            }
            // No occurrence starts before the last pattern.count - 1 bytes; keep only those.
            index = max(index, buffer.count - (pattern.count - 1))
            if position - start > limit { return .limitReached }
            guard try readChunk() else { return .endOfInput }
        }
    }

    /// Drops the bytes before the cursor and appends the next chunk; false at the end of the input.
    private func readChunk() throws(SedgateError) -> Bool {
        if exhausted { return false }
        if index > 0 {
            buffer.removeFirst(index)
            bufferStart += Int64(index)
            index = 0
        }
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunkSize))
        let offset = bufferStart + Int64(old)
        let count = try buffer.withMutableBytes { (bytes) throws(SedgateError) in
            try input.read(into: UnsafeMutableRawBufferPointer(rebasing: bytes[old...]), at: offset)
        }
        buffer.removeLast(chunkSize - count)
        if count < chunkSize { exhausted = true }
        return count > 0
    }
}
