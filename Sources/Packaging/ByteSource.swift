// ByteSource: where a received message's bytes are (a file or memory), opened for positioned reads.

import Foundation
import SedgateCore

/// The bytes of a received message: a file, read with pread, or a small message held in memory.
enum ByteSource: Sendable, Hashable {
    case file(String)
    case data(Data)

    /// A name for error messages.
    var name: String {
        switch self {
        case .file(let path): path
        case .data: "the message"
        }
    }

    /// Opens the bytes for reading.
    func open() throws(SedgateError) -> any RandomAccessBytes {
        switch self {
        case .file(let path): try ReadableFile(path: path)
        case .data(let data): MemoryBytes(data: data)
        }
    }
}

/// Bytes readable at any offset.
protocol RandomAccessBytes: AnyObject {
    /// The total size.
    func size() throws(SedgateError) -> Int64
    /// Reads up to `buffer.count` bytes at `offset`, fewer only at the end; returns the count.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SedgateError) -> Int
    /// Exactly `count` bytes at `offset`; `.io` when the bytes end before.
    func read(count: Int, at offset: Int64) throws(SedgateError) -> Data
}

extension ReadableFile: RandomAccessBytes {}

/// A message held in memory.
final class MemoryBytes: RandomAccessBytes {
    let data: Data

    init(data: Data) {
        self.data = data
    }

    func size() -> Int64 { Int64(data.count) }

    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) -> Int {
        let start = data.startIndex + Int(min(offset, Int64(data.count)))
        let end = min(start + buffer.count, data.endIndex)
        data.copyBytes(to: buffer, from: start..<end)
        return end - start
    }

    func read(count: Int, at offset: Int64) throws(SedgateError) -> Data {
        guard offset >= 0, offset + Int64(count) <= Int64(data.count) else {
            throw SedgateError(
                .io, "bytes \(offset)..<\(offset + Int64(count)) were asked for, but the message has \(data.count)")
        }
        let start = data.startIndex + Int(offset)
        return data.subdata(in: start..<start + count)
    }
}
