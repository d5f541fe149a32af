// SpoolFile+NoReplace: moving a file into a folder without ever overwriting what is there.
// Renames the source (a file, link or folder) to a free name in the target folder; fsyncs both folders.

import Glibc
public import SedgateCore

extension SpoolFile {
    /// Moves `from` into `toDirectory` under `preferredName`, or `name-1.ext`, `name-2.ext`, ... when taken.
    ///
    /// Never overwrites (`Syscall.renameNoReplace`). `preferredName` is made safe for one path component first.
    /// Returns the final path. Both folders are fsynced, unless `durable` is false (the caller syncs them once for a
    /// group of moves).
    public static func moveNoReplace(
        _ from: String, toDirectory: String, preferredName: String, durable: Bool = true
    )
        throws(SedgateError) -> String
    {
        let name = PathComponent.safe(preferredName)
        for attempt in 0..<10_000 {
            let target = Syscall.join(toDirectory, attempt == 0 ? name : PathComponent.numbered(name, attempt))
            switch Syscall.renameNoReplace(from, target) {
            case 0:
                if durable { try fsyncParents(from, target) }
                return target
            case EEXIST:
                continue
            case let code:
                throw Syscall.error(
                    "move \(from) into", toDirectory, errno: code,
                    remedy: "check that the source exists and both folders are on the same file system")
            }
        }
        throw SedgateError(
            .io, "\(toDirectory) holds 10000 files named like \(name); clear it out and retry",
            location: .init(file: from))
    }
}
