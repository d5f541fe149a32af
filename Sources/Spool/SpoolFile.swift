// SpoolFile: durable file operations for spool folders: atomic write, move, directory fsync.
// Writes the target file (through a temporary name) and fsyncs files and directories so a crash loses nothing.

import Glibc
public import SedgateCore

/// Durable file operations. Every state change is one `rename`, after `fsync` of the file; the directories
/// involved are fsynced afterwards, so after a crash the file is either wholly at its old place or its new one.
public enum SpoolFile {
    /// Writes `bytes` to `path` so that no reader ever sees a partial file.
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
        let directory = Syscall.directory(of: path)
        let name = Syscall.name(of: path)
        guard !name.isEmpty, name != ".", name != ".." else {
            throw SedgateError(
                .io, "'\(path)' does not name a file; pass a path ending in a file name",
                location: .init(file: path))
        }
        let temporary = try writeTemporary(bytes, named: name, in: tmpDirectory ?? directory, durable: durable)
        var committed = false
        defer { if !committed { unlink(temporary) } }
        guard rename(temporary, path) == 0 else {
            throw Syscall.ioError(
                "rename \(temporary) to", path, errno: errno,
                remedy: "the temporary folder must be on the same file system as the target")
        }
        committed = true
        guard durable else { return }
        try fsyncDirectory(directory)
        if let tmpDirectory, tmpDirectory != directory { try fsyncDirectory(tmpDirectory) }
    }

    /// Writes several files into one folder, each whole or not at all, with one folder sync for all (group commit):
    /// each is written and fsynced under a temporary name, then all are renamed into place, then `directory` is
    /// fsynced once. On failure the temporary files not yet renamed are removed; those renamed stay (each whole).
    public static func writeAllAtomically(
        _ files: [(path: String, bytes: [UInt8])], in directory: String
    ) throws(SedgateError) {
        var temporaries: [String] = []
        defer { for temporary in temporaries { unlink(temporary) } }
        // A larger group is written first and made durable with one syncfs (see `syncFileSystem`).
        let together = files.count >= groupSyncThreshold
        for file in files {
            temporaries.append(
                try writeTemporary(file.bytes, named: Syscall.name(of: file.path), in: directory, durable: !together))
        }
        if together { try syncFileSystem(of: directory) }
        for (index, file) in files.enumerated() {
            guard rename(temporaries[index], file.path) == 0 else {
                throw Syscall.ioError(
                    "rename \(temporaries[index]) to", file.path, errno: errno, remedy: "check the disk's health")
            }
            temporaries[index] = ""
        }
        temporaries = []
        try fsyncDirectory(directory)
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
                throw Syscall.ioError(
                    "create", file.path, errno: errno,
                    remedy: "check that the directory exists and the gateway may write to it")
            }
            created.append((file.path, fd))
            let code = Syscall.writeAll(fd, file.bytes)
            guard code == 0 else {
                throw Syscall.ioError("write", file.path, errno: code, remedy: "check free space and the disk's health")
            }
        }
        // All written first, then synced: the file system can write them out together.
        if created.count >= groupSyncThreshold {
            try syncFileSystem(of: directory)
        } else {
            for file in created {
                IOCounters.noteFsync()
                guard fdatasync(file.fd) == 0 else {
                    throw Syscall.ioError("fsync", file.path, errno: errno, remedy: "check the disk's health")
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

    /// The `syncfs` entry point, looked up once.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// From how many files a group write syncs the file system once instead of each file.
    static let groupSyncThreshold = 8

    /// Makes every write to the file system holding `directory` durable with one `syncfs`: for a group of many small
    /// files one call instead of one fsync each (each of which commits the file system's journal on its own). On a
    /// spool volume of its own the cost is that of the group; on a volume shared with busy writers it is theirs too.
    static func syncFileSystem(of directory: String) throws(SedgateError) {
        let fd = Syscall.retrying { open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw Syscall.ioError("open the directory", directory, errno: errno, remedy: "check that it exists")
        }
        defer { close(fd) }
        IOCounters.noteFsync()
        // Glibc has syncfs, but Swift's Glibc module does not expose it; without it, sync() does the same for all.
        guard let syncfs = Self.syncfs else {
            sync()
            return
        }
        guard syncfs(fd) == 0 else {
            throw Syscall.ioError("sync the file system of", directory, errno: errno, remedy: "check the disk's health")
        }
    }

    /// Writes `bytes` to a fresh temporary name (`.name.<random>.tmp`) in `directory`, fsynced when `durable`;
    /// returns its path. On failure nothing is left behind.
    private static func writeTemporary(
        _ bytes: [UInt8], named name: String, in directory: String, durable: Bool
    ) throws(SedgateError) -> String {
        // Long names would overflow NAME_MAX once decorated; the temporary name only has to be unique.
        let stem = name.utf8.count > 200 ? "sedgate" : name
        let temporary = Syscall.join(directory, ".\(stem).\(Syscall.randomToken()).tmp")
        let fd = Syscall.retrying { open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o640) }
        guard fd >= 0 else {
            throw Syscall.ioError(
                "create the temporary file", temporary, errno: errno,
                remedy: "check that the directory exists and the gateway may write to it")
        }
        var code = Syscall.writeAll(fd, bytes)
        if code == 0, durable {
            IOCounters.noteFsync()
            if fsync(fd) != 0 { code = errno }
        }
        if close(fd) != 0, code == 0 { code = errno }
        guard code == 0 else {
            unlink(temporary)
            throw Syscall.ioError("write", temporary, errno: code, remedy: "check free space and the disk's health")
        }
        return temporary
    }

    /// Renames `from` to `to` (replacing `to` if it exists) and fsyncs both directories.
    /// Both must be on one file system; a symbolic link is moved as itself, never followed.
    public static func move(_ from: String, to: String) throws(SedgateError) {
        guard rename(from, to) == 0 else {
            throw Syscall.ioError(
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
                throw Syscall.ioError(
                    "link \(from) as", to, errno: errno,
                    remedy: "check that the source exists and both folders are on the same file system")
            }
        }
        try fsyncDirectory(Syscall.directory(of: to))
    }

    /// Fsyncs the directory at `path`, making the renames and creations inside it durable.
    public static func fsyncDirectory(_ path: String) throws(SedgateError) {
        let fd = Syscall.retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw Syscall.ioError("open the directory", path, errno: errno, remedy: "check that it exists")
        }
        defer { close(fd) }
        // EINVAL: the file system does not sync directories (e.g. some FUSE mounts); nothing more can be done.
        IOCounters.noteFsync()
        if fsync(fd) != 0, errno != EINVAL {
            throw Syscall.ioError("fsync the directory", path, errno: errno, remedy: "check the disk's health")
        }
    }

    /// Fsyncs the directories of two paths (once when they are the same).
    static func fsyncParents(_ first: String, _ second: String) throws(SedgateError) {
        let one = Syscall.directory(of: first)
        let two = Syscall.directory(of: second)
        try fsyncDirectory(two)
        if one != two { try fsyncDirectory(one) }
    }
}
