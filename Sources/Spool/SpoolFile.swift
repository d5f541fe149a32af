// SpoolFile: durable file operations for spool folders: atomic write, group writes, move, link, directory fsync.
// Each file is written through `DurableFile` (SedgateCore), so a crash leaves it whole at its old place or its new.

import Glibc
public import SedgateCore

/// Durable file operations. Every state change is one `rename`, after `fsync` of the file; the directories
/// involved are fsynced afterwards, so after a crash the file is either wholly at its old place or its new one.
public enum SpoolFile {
    /// Writes `bytes` to `path` so that no reader ever sees a partial file (`DurableFile.write`).
    ///
    /// The bytes go to a temporary name first (`.name.<random>.tmp`, in the target's directory or in
    /// `tmpDirectory`, which must be on the same file system), are fsynced, renamed over `path` (replacing
    /// what was there), and the directory is fsynced. On failure the temporary file is removed.
    ///
    /// With `durable: false` the fsyncs are skipped: the write is still atomic for every reader and survives
    /// a process kill (the page cache outlives the process), but not necessarily a power cut. For files
    /// that can be derived again from the journal, such as reports.
    public static func writeAtomically(
        _ bytes: [UInt8], to path: String, tmpDirectory: String? = nil, durable: Bool = true
    )
        throws(SedgateError)
    {
        try DurableFile.write(bytes, to: path, temporaryDirectory: tmpDirectory, durable: durable)
    }

    /// Writes several files into one folder, each whole or not at all, with one folder sync for all (group commit):
    /// each is written and fsynced under a temporary name, then all are renamed into place, then `directory` is
    /// fsynced once. On failure the temporary files not yet renamed are removed; those renamed stay (each whole).
    /// With `keepingExisting`, a file whose name is taken is not written over: the one there stays as it was.
    public static func writeAllAtomically(
        _ files: [(path: String, bytes: [UInt8])], in directory: String, keepingExisting: Bool = false
    ) throws(SedgateError) {
        // A larger group is written first and made durable with one syncfs (see `Syscall.syncFileSystem`).
        let together = files.count >= groupSyncThreshold
        var written: [DurableFile] = []
        for file in files {
            let output = try DurableFile(path: file.path, temporaryDirectory: directory)
            try output.write(file.bytes)
            try output.seal(sync: !together)
            written.append(output)
        }
        if together { try Syscall.syncFileSystem(of: directory) }
        for output in written {
            if keepingExisting { _ = try output.placeUnlessTaken() } else { try output.place() }
        }
        try Syscall.fsyncDirectory(directory)
    }

    /// Creates new files in one folder (group commit): each is created under its final name (it must not exist),
    /// written, then all are fsynced and the folder is fsynced once. For files no reader looks at until a later
    /// commit names them (a stored SED becomes visible only through the journal row written after this returns): a
    /// crash before that commit leaves at most an orphan, which the store sweep removes. On failure the files this
    /// call created are removed.
    public static func writeAllNew(_ files: [(path: String, bytes: [UInt8])], in directory: String) throws(SedgateError)
    {
        var created: [(path: String, fd: Int32)] = []
        var done = false
        defer {
            for file in created {
                close(file.fd)
                if !done { unlink(file.path) }
            }
        }
        for file in files {
            let fd = Syscall.retrying { open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o640) }
            guard fd >= 0 else {
                throw Syscall.error(
                    "create", file.path, errno: errno,
                    remedy: "check that the directory exists and the gateway may write to it")
            }
            created.append((file.path, fd))
            let code = Syscall.writeAll(fd, file.bytes)
            guard code == 0 else {
                throw Syscall.error("write", file.path, errno: code, remedy: "check free space and the disk's health")
            }
        }
        // All written first, then synced: the file system can write them out together.
        if created.count >= groupSyncThreshold {
            try Syscall.syncFileSystem(of: directory)
        } else {
            for file in created {
                IOCounters.noteFsync()
                guard fdatasync(file.fd) == 0 else {
                    throw Syscall.error("fsync", file.path, errno: errno, remedy: "check the disk's health")
                }
            }
        }
        if !created.isEmpty { try fsyncDirectory(directory) }
        done = true
    }

    /// Renames each `from` to its `to` (replacing what is there), then fsyncs every folder involved once: the moves of
    /// a group made durable together. Returns, per move, 0 or the errno of a rename that failed (that file stayed).
    public static func moveAll(_ moves: [(from: String, to: String)]) throws(SedgateError) -> [Int32] {
        var folders: [String] = []
        let codes = moves.map { move -> Int32 in
            guard rename(move.from, move.to) == 0 else { return errno }
            for folder in [Syscall.directory(of: move.to), Syscall.directory(of: move.from)]
            where !folders.contains(folder) {
                folders.append(folder)
            }
            return 0
        }
        for folder in folders { try fsyncDirectory(folder) }
        return codes
    }

    /// From how many files a group write syncs the file system once instead of each file.
    static let groupSyncThreshold = 8

    /// Renames `from` to `to` (replacing `to` if it exists) and fsyncs both directories.
    /// Both must be on one file system; a symbolic link is moved as itself, never followed.
    public static func move(_ from: String, to: String) throws(SedgateError) {
        guard rename(from, to) == 0 else {
            throw Syscall.error(
                "move \(from) to", to, errno: errno,
                remedy: "check that the source exists and both folders are on the same file system")
        }
        try fsyncParents(from, to)
    }

    /// Makes `to` a second name of the file at `from` (a hard link, so nothing is copied however large the file),
    /// replacing an older `to`, and fsyncs `to`'s directory. Both must be on one file system.
    public static func link(_ from: String, to: String) throws(SedgateError) {
        if Glibc.link(from, to) != 0 {
            guard errno == EEXIST, unlink(to) == 0, Glibc.link(from, to) == 0 else {
                throw Syscall.error(
                    "link \(from) as", to, errno: errno,
                    remedy: "check that the source exists and both folders are on the same file system")
            }
        }
        try fsyncDirectory(Syscall.directory(of: to))
    }

    /// Fsyncs the directory at `path`, making the renames and creations inside it durable (`Syscall.fsyncDirectory`).
    public static func fsyncDirectory(_ path: String) throws(SedgateError) {
        try Syscall.fsyncDirectory(path)
    }

    /// Fsyncs the directories of two paths (once when they are the same).
    static func fsyncParents(_ first: String, _ second: String) throws(SedgateError) {
        let one = Syscall.directory(of: first)
        let two = Syscall.directory(of: second)
        try fsyncDirectory(two)
        if one != two { try fsyncDirectory(one) }
    }
}
