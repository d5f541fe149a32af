// Syscall+Sync: the calls that make file changes durable or move names without losing them: directory fsync,
// syncfs for a group, and a rename that never replaces what is there.

import Glibc

extension Syscall {
    /// Fsyncs the directory at `path`, making the renames and creations inside it durable.
    public static func fsyncDirectory(_ path: String) throws(SedgateError) {
        try withDirectory(path) { (fd) throws(SedgateError) in
            // EINVAL: the file system does not sync directories (e.g. some FUSE mounts); nothing more can be done.
            IOCounters.noteFsync()
            if fsync(fd) != 0, errno != EINVAL {
                throw error("fsync the directory", path, errno: errno, remedy: "check the disk's health")
            }
        }
    }

    /// Makes every write to the file system holding `directory` durable with one `syncfs`: for a group of many small
    /// files one call instead of one fsync each (each of which commits the file system's journal on its own). On a
    /// spool volume of its own the cost is that of the group; on a volume shared with busy writers it is theirs too.
    public static func syncFileSystem(of directory: String) throws(SedgateError) {
        try withDirectory(directory) { (fd) throws(SedgateError) in
            IOCounters.noteFsync()
            // Glibc has syncfs, but Swift's Glibc module does not expose it; without it, sync() does the same for all.
            guard let syncfs = Self.syncfs else {
                sync()
                return
            }
            guard syncfs(fd) == 0 else {
                throw error("sync the file system of", directory, errno: errno, remedy: "check the disk's health")
            }
        }
    }

    /// Runs `body` with the directory at `path` open (read-only), and closes it.
    private static func withDirectory(
        _ path: String, _ body: (Int32) throws(SedgateError) -> Void
    ) throws(SedgateError) {
        let fd = retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard fd >= 0 else {
            throw error("open the directory", path, errno: errno, remedy: "check that it exists")
        }
        defer { close(fd) }
        try body(fd)
    }

    /// Renames `from` to `to` unless `to` exists; returns 0 or an errno (EEXIST when the target is taken).
    ///
    /// Uses `renameat2(RENAME_NOREPLACE)`, or `link` + `unlink` where the kernel or file system lacks it, or for a
    /// folder (which cannot be hard-linked) a check then a rename. A symbolic link is moved as itself.
    public static func renameNoReplace(_ from: String, _ to: String) -> Int32 {
        let noReplace: UInt32 = 1  // RENAME_NOREPLACE
        if let renameat2 {
            if renameat2(AT_FDCWD, from, AT_FDCWD, to, noReplace) == 0 { return 0 }
            let code = errno
            // Anything but "not supported here" is the real answer.
            guard code == EINVAL || code == ENOSYS || code == ENOTSUP else { return code }
        }
        // link() fails with EEXIST atomically; flags 0 links a symbolic link itself, never its target.
        if linkat(AT_FDCWD, from, AT_FDCWD, to, 0) == 0 {
            unlink(from)
            return 0
        }
        let code = errno
        guard code == EPERM || code == EXDEV || code == EMLINK else { return code }
        // Folders cannot be hard-linked: check, then rename (a race only with writers of our own folders).
        if lstat(to).0 != nil { return EEXIST }
        return rename(from, to) == 0 ? 0 : errno
    }

    /// The `syncfs` entry point, looked up once.
    private static let syncfs: (@convention(c) (Int32) -> Int32)? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "syncfs") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (Int32) -> Int32).self)
    }()

    /// The `renameat2` entry point, looked up once: Glibc has it, but Swift's Glibc module does not expose it.
    private static let renameat2: RenameAt2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    private typealias RenameAt2 =
        @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32)
        -> Int32
}
