// AtomicFile: writes a file under a temporary name in its final folder, then fsyncs and renames it.
// Readers never see a partial file; after a crash the target is either absent (or its old self) or complete.

import Foundation
import Glibc
import SedgateCore

/// A file being written: bytes go to `.<name>.<random>.tmp` beside `path` through a 64 KiB buffer; `commit()`
/// flushes, fsyncs, renames over `path` and fsyncs the folder. Dropped without `commit()`, the temporary file
/// is removed, so every throwing path cleans up after itself.
final class AtomicFile {
    /// The final path.
    let path: String
    /// The temporary path the bytes go to until `commit()`.
    let temporaryPath: String
    /// Bytes written so far (buffered or not).
    private(set) var count: Int64 = 0
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private var committed = false

    /// Creates the temporary file beside `path`; `.io` when the folder cannot be written.
    init(path: String) throws(SedgateError) {
        let name = FileIO.name(of: path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw SedgateError(
                .io, "'\(path)' does not name a file; pass a path ending in a file name", location: .init(file: path))
        }
        // A long name would overflow NAME_MAX once decorated; the temporary name only has to be unique.
        let stem = name.utf8.count > 200 ? "sedgate" : name
        let temporaryPath = FileIO.join(FileIO.directory(of: path), ".\(stem).\(FileIO.randomToken()).tmp")
        let descriptor = FileIO.retrying {
            open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o640)
        }
        guard descriptor >= 0 else {
            throw FileIO.error(
                "create the temporary file", temporaryPath, errno: errno,
                remedy: "check that the folder exists and the gateway may write to it")
        }
        self.path = path
        self.temporaryPath = temporaryPath
        self.descriptor = descriptor
        buffer.reserveCapacity(FileIO.chunkSize)
    }

    deinit {
        if !committed {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporaryPath)
        }
    }

    /// Appends bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws(SedgateError) {
        count += Int64(bytes.count)
        if buffer.count + bytes.count <= FileIO.chunkSize {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= FileIO.chunkSize {
            try writeThrough(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Appends bytes.
    func write(_ data: Data) throws(SedgateError) {
        try data.withBytes { (bytes) throws(SedgateError) in try write(bytes) }
    }

    /// Appends bytes.
    func write(_ bytes: [UInt8]) throws(SedgateError) {
        try bytes.withBytes { (raw) throws(SedgateError) in try write(raw) }
    }

    /// Appends a string's UTF-8 bytes.
    func write(_ text: String) throws(SedgateError) {
        try write(Array(text.utf8))
    }

    /// Flushes, fsyncs, closes, renames over `path` and fsyncs the folder.
    func commit() throws(SedgateError) {
        try flush()
        IOCounters.noteFsync()
        guard fsync(descriptor) == 0 else {
            throw FileIO.error("fsync", temporaryPath, errno: errno, remedy: "check free space and the disk's health")
        }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else {
            throw FileIO.error("close", temporaryPath, errno: errno, remedy: "check free space and the disk's health")
        }
        guard rename(temporaryPath, path) == 0 else {
            throw FileIO.error(
                "rename \(temporaryPath) to", path, errno: errno, remedy: "check the folder's permissions")
        }
        committed = true
        try FileIO.fsyncDirectory(FileIO.directory(of: path))
    }

    private func flush() throws(SedgateError) {
        guard !buffer.isEmpty else { return }
        try buffer.withBytes { (bytes) throws(SedgateError) in try writeThrough(bytes) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeThrough(_ bytes: UnsafeRawBufferPointer) throws(SedgateError) {
        var offset = 0
        while offset < bytes.count {
            let written = FileIO.retrying { Glibc.write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            guard written >= 0 else {
                throw FileIO.error(
                    "write", temporaryPath, errno: errno, remedy: "check free space and the disk's health")
            }
            offset += written
        }
    }
}
