// FileIO: small POSIX helpers shared by the packaging files: errno text, EINTR retries, path pieces.
// Does no I/O by itself beyond `stat` and the directory fsync.

import Glibc
import SedgateCore

/// Helpers around Glibc for the packaging files.
enum FileIO {
    /// The size of the chunks files are streamed in.
    static let chunkSize = 64 << 10

    /// An `.io` error for a failed call: what was attempted, on which path, why, and what to do.
    static func error(_ attempt: String, _ path: String, errno code: Int32, remedy: String) -> SedgateError {
        let reason = strerror(code).map { String(cString: $0) } ?? "errno \(code)"
        return SedgateError(.io, "could not \(attempt) \(path): \(reason); \(remedy)", location: .init(file: path))
    }

    /// Runs `body` again while it fails with EINTR (a signal arrived; nothing went wrong).
    static func retrying<Result: BinaryInteger>(_ body: () -> Result) -> Result {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// The directory part of a path (`"."` for a bare name, `"/"` for a name at the root).
    static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Joins a directory and a name with exactly one slash.
    static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Sixteen random hex digits, for temporary names and boundaries nobody else will pick.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The size of the regular file at `path`, or nil when there is none.
    static func regularFileSize(_ path: String) -> Int64? {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Whether `path` is a directory.
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Fsyncs the directory at `path`, making the renames and creations inside it durable.
    static func fsyncDirectory(_ path: String) throws(SedgateError) {
        let descriptor = retrying { open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard descriptor >= 0 else {
            throw error("open the directory", path, errno: errno, remedy: "check that it exists")
        }
        defer { close(descriptor) }
        // EINVAL: the file system does not sync directories (some FUSE mounts); nothing more can be done.
        IOCounters.noteFsync()
        if fsync(descriptor) != 0, errno != EINVAL {
            throw error("fsync the directory", path, errno: errno, remedy: "check the disk's health")
        }
    }

    /// Removes the file at `path`; a file that is already gone is not an error.
    static func remove(_ path: String) throws(SedgateError) {
        if unlink(path) != 0, errno != ENOENT {
            throw error("remove", path, errno: errno, remedy: "check the folder's permissions")
        }
    }
}
