// ReadableFile: a file opened for positioned reads (pread), closed when the value goes away.
// Reads only; every failure becomes an `.io` SedgateError naming the file and a remedy.

import Foundation
import Glibc
import SedgateCore

/// A file open for reading at any offset. Not shared between tasks: each reader opens its own.
final class ReadableFile {
    /// The path the file was opened by, for error messages.
    let path: String
    private let descriptor: Int32

    /// Opens `path` read-only; `.io` when it cannot be opened.
    init(path: String) throws(SedgateError) {
        let descriptor = Syscall.retrying { open(path, O_RDONLY | O_CLOEXEC) }
        guard descriptor >= 0 else {
            throw Syscall.error("open", path, errno: errno, remedy: "check that the file exists and is readable")
        }
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// The file's size in bytes.
    func size() throws(SedgateError) -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw Syscall.error("read the size of", path, errno: errno, remedy: "check the disk's health")
        }
        return Int64(info.st_size)
    }

    /// Reads up to `buffer.count` bytes at `offset`, fewer only at the end of the file; returns the count.
    func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int64) throws(SedgateError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let count = Syscall.retrying {
                pread(descriptor, buffer.baseAddress! + filled, buffer.count - filled, off_t(offset) + off_t(filled))
            }
            if count < 0 {
                throw Syscall.error("read", path, errno: errno, remedy: "check the disk's health")
            }
            if count == 0 { break }
            filled += count
        }
        return filled
    }

    /// Exactly `count` bytes at `offset`; `.io` when the file ends before.
    func read(count: Int, at offset: Int64) throws(SedgateError) -> Data {
        var data = Data(count: count)
        let filled = try data.withMutableBytes { (buffer) throws(SedgateError) in
            try read(into: buffer, at: offset)
        }
        guard filled == count else {
            throw SedgateError(
                .io,
                "\(path) ends at byte \(offset + Int64(filled)), but \(count) bytes were expected from byte \(offset); "
                    + "the file was truncated or changed while it was read",
                location: .init(file: path))
        }
        return data
    }
}
