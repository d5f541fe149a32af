// SpoolFile+NoReplace: moving a file into a folder without ever overwriting what is there.
// Renames the source (a file, link or folder) to a free name in the target folder; fsyncs both folders.

import Glibc
public import SedgateCore

extension SpoolFile {
    /// Moves `from` into `toDirectory` under `preferredName`, or `name-1.ext`, `name-2.ext`, ... when taken.
    ///
    /// Never overwrites: uses `renameat2(RENAME_NOREPLACE)`, or `link` + `unlink` where the kernel or file system
    /// lacks it. `preferredName` is made safe for one path component first. Returns the final path. Both folders are
    /// fsynced, unless `durable` is false (the caller syncs them once for a group of moves).
    public static func moveNoReplace(
        _ from: String, toDirectory: String, preferredName: String, durable: Bool = true
    )
        throws(SedgateError) -> String
    {
        let name = PathComponent.safe(preferredName)
        for attempt in 0..<10_000 {
            let target = Syscall.join(toDirectory, attempt == 0 ? name : PathComponent.numbered(name, attempt))
            switch renameNoReplace(from, target) {
            case 0:
                if durable { try fsyncParents(from, target) }
                return target
            case EEXIST:
                continue
            case let code:
                throw Syscall.ioError(
                    "move \(from) into", toDirectory, errno: code,
                    remedy: "check that the source exists and both folders are on the same file system")
            }
        }
        throw SedgateError(
            .io, "\(toDirectory) holds 10000 files named like \(name); clear it out and retry",
            location: .init(file: from))
    }

    /// The `renameat2` entry point, looked up once: Glibc has it, but Swift's Glibc module does not expose it.
    private static let renameat2: RenameAt2? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return nil }
        return unsafeBitCast(symbol, to: RenameAt2.self)
    }()

    private typealias RenameAt2 =
        @convention(c) (Int32, UnsafePointer<CChar>?, Int32, UnsafePointer<CChar>?, UInt32)
        -> Int32

    /// Renames without replacing; returns 0 or an errno (EEXIST when the target is taken).
    private static func renameNoReplace(_ from: String, _ to: String) -> Int32 {
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
        if Syscall.lstat(to).0 != nil { return EEXIST }
        return rename(from, to) == 0 ? 0 : errno
    }
}
