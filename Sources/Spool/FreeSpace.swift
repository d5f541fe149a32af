// FreeSpace: how many bytes an unprivileged writer may still use on the file system of a path (statvfs).

import Glibc

/// Free space on the spool's file system.
public enum FreeSpace {
    /// Bytes available to unprivileged users on the file system holding `path`; Int64.max if unknown.
    public static func bytes(at path: String) -> Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return Int64.max }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }
}
