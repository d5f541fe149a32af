// DurableFile: the one durable write. A file is written under a temporary name (`.<name>.<random>.tmp`, created
// with O_EXCL in its final folder or another on the same file system), fsynced, closed, then given its final name by
// one rename, or by a rename that never replaces what is there; then the folder is fsynced. Readers never see a partial file, and after a crash or
// a power cut the target is either absent (or its old self) or complete. Writes that file and its temporary.

public import Foundation
import Glibc

/// A file being written whole or not at all.
///
/// Bytes go to the temporary file through a 64 KiB buffer; `commit()` flushes, fsyncs, closes, renames over `path`
/// (or refuses an existing `path` when not `replacing`) and fsyncs the folder. Dropped before it is placed, the
/// temporary file is removed, so every throwing path of a caller cleans up after itself. The steps of `commit()` are
/// also public (`seal`, `place`), for a group of files made durable together with one folder sync.
public final class DurableFile {
    /// The final path.
    public let path: String
    /// The temporary path the bytes go to until the file is placed.
    public let temporaryPath: String
    /// Bytes written so far through `write` (buffered or not).
    public private(set) var count: Int64 = 0
    /// The open temporary file, for a producer that writes to it itself instead of through `write`; -1 once sealed.
    public private(set) var descriptor: Int32
    private var buffer: [UInt8] = []
    private var placed = false

    /// Creates the temporary file (mode `mode`, less the umask) in `temporaryDirectory`, by default `path`'s folder;
    /// it must be on the same file system as `path`. `.io` when the folder cannot be written, or when `path` does not
    /// end in a file name.
    public init(path: String, mode: mode_t = 0o640, temporaryDirectory: String? = nil) throws(SedgateError) {
        let name = Syscall.name(of: path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw SedgateError(
                .io, "'\(path)' does not name a file; pass a path ending in a file name", location: .init(file: path))
        }
        // A long name would overflow NAME_MAX once decorated; the temporary name only has to be unique.
        let stem = name.utf8.count > 200 ? "sedgate" : name
        let folder = temporaryDirectory ?? Syscall.directory(of: path)
        let temporaryPath = Syscall.join(folder, ".\(stem).\(Syscall.randomToken()).tmp")
        let descriptor = Syscall.retrying {
            open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode)
        }
        guard descriptor >= 0 else {
            throw Syscall.error(
                "create the temporary file", temporaryPath, errno: errno,
                remedy: "check that the folder exists and the gateway may write to it")
        }
        self.path = path
        self.temporaryPath = temporaryPath
        self.descriptor = descriptor
    }

    deinit {
        if !placed {
            if descriptor >= 0 { close(descriptor) }
            unlink(temporaryPath)
        }
    }

    /// Writes `bytes` to `path` whole or not at all: `DurableFile(...)`, `write`, `commit`.
    ///
    /// With `durable: false` the fsyncs are skipped: the write is still atomic for every reader and survives a
    /// process kill (the page cache outlives the process), but not necessarily a power cut. For files that can be
    /// derived again from the journal, such as reports.
    public static func write(
        _ bytes: [UInt8], to path: String, mode: mode_t = 0o640, replacing: Bool = true,
        temporaryDirectory: String? = nil, durable: Bool = true
    ) throws(SedgateError) {
        let file = try DurableFile(path: path, mode: mode, temporaryDirectory: temporaryDirectory)
        try file.write(bytes)
        try file.commit(replacing: replacing, durable: durable)
    }

    /// Appends bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SedgateError) {
        precondition(descriptor >= 0, "write to a DurableFile after it was sealed")
        count += Int64(bytes.count)
        if buffer.count + bytes.count <= Syscall.chunkSize {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= Syscall.chunkSize {
            try check(Syscall.writeAll(descriptor, bytes))
        } else {
            buffer.append(contentsOf: bytes)
        }
    }

    /// Appends bytes.
    public func write(_ bytes: [UInt8]) throws(SedgateError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(SedgateError) in try write(raw) } }
        try result.get()
    }

    /// Appends bytes.
    public func write(_ data: Data) throws(SedgateError) {
        let result = data.withUnsafeBytes { raw in Result { () throws(SedgateError) in try write(raw) } }
        try result.get()
    }

    /// Appends a string's UTF-8 bytes.
    public func write(_ text: String) throws(SedgateError) {
        try write(Array(text.utf8))
    }

    /// Flushes, fsyncs, closes, places the file at `path` and fsyncs its folder (and the temporary folder, when
    /// another). Without `replacing`, an existing `path` is left untouched and the write fails with `.io`
    /// (EEXIST). With `durable: false` both fsyncs are skipped (see `write(_:to:)`).
    public func commit(replacing: Bool = true, durable: Bool = true) throws(SedgateError) {
        try seal(sync: durable)
        try place(replacing: replacing)
        guard durable else { return }
        let folder = Syscall.directory(of: path)
        try Syscall.fsyncDirectory(folder)
        let temporaryFolder = Syscall.directory(of: temporaryPath)
        if temporaryFolder != folder { try Syscall.fsyncDirectory(temporaryFolder) }
    }

    /// Flushes what is buffered, fsyncs the temporary file when `sync` (a caller syncing a whole group at once
    /// passes false, then `Syscall.syncFileSystem`), and closes it.
    public func seal(sync: Bool = true) throws(SedgateError) {
        guard descriptor >= 0 else { return }
        try flush()
        if sync {
            IOCounters.noteFsync()
            try check(fsync(descriptor) == 0 ? 0 : errno)
        }
        // A group keeps many sealed files until it places them: none keeps its buffer.
        buffer = []
        let closed = close(descriptor)
        descriptor = -1
        try check(closed == 0 ? 0 : errno)
    }

    /// Gives the sealed temporary file its final name: one rename, over an older `path` when `replacing`, else
    /// never over anything (EEXIST leaves `path` as it was and this file unplaced). The folder is not synced.
    public func place(replacing: Bool = true) throws(SedgateError) {
        let code = rename(replacing: replacing)
        guard code == 0 else { throw placingError(code) }
    }

    /// Gives the sealed temporary file its final name unless a file already has it: true when placed; false when
    /// `path` exists (it is left as it was, and the temporary file goes when this is dropped). The folder is not
    /// synced. One rename that never replaces, so no check-then-write race and no `stat` before it.
    public func placeUnlessTaken() throws(SedgateError) -> Bool {
        let code = rename(replacing: false)
        if code == EEXIST { return false }
        guard code == 0 else { throw placingError(code) }
        return true
    }

    /// The rename of `place`: 0 or its errno.
    private func rename(replacing: Bool) -> Int32 {
        precondition(descriptor < 0, "a DurableFile is placed only once sealed")
        let code =
            replacing
            ? (Glibc.rename(temporaryPath, path) == 0 ? 0 : errno) : Syscall.renameNoReplace(temporaryPath, path)
        if code == 0 { placed = true }
        return code
    }

    private func placingError(_ code: Int32) -> SedgateError {
        Syscall.error(
            "rename \(temporaryPath) to", path, errno: code,
            remedy: code == EEXIST
                ? "another file has that name; it was left as it was"
                : "the temporary folder must be on the same file system as the target; check its permissions")
    }

    private func flush() throws(SedgateError) {
        guard !buffer.isEmpty else { return }
        let code = buffer.withUnsafeBytes { Syscall.writeAll(descriptor, $0) }
        buffer.removeAll(keepingCapacity: true)
        try check(code)
    }

    /// Throws the `.io` error of a failed write, fsync or close of the temporary file (0: nothing failed).
    private func check(_ code: Int32) throws(SedgateError) {
        guard code != 0 else { return }
        throw Syscall.error("write", temporaryPath, errno: code, remedy: "check free space and the disk's health")
    }
}
