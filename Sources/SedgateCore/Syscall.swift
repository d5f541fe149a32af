// Syscall: thin wrappers over the Glibc calls sedgate's file code makes (the spool, packaging, conversion output),
// turning errno into a SedgateError that names the path, the reason and the remedy. Each call does only what its
// name says; the one durable write built on them is `DurableFile`.

public import Glibc

/// Small helpers around Glibc: errno text, EINTR retries, whole writes, `lstat` without following links, path
/// pieces, directory fsync and renaming without replacing.
public enum Syscall {
    /// The size of the chunks files are streamed and buffered in.
    public static let chunkSize = 64 << 10

    /// The human text of an errno value.
    public static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// An `.io` error for a failed call: what was attempted, on which path, why, and what to do.
    public static func error(_ attempt: String, _ path: String, errno code: Int32, remedy: String) -> SedgateError {
        SedgateError(.io, "could not \(attempt) \(path): \(describe(code)); \(remedy)", location: .init(file: path))
    }

    /// Runs `body` again while it fails with EINTR (a signal arrived; nothing went wrong).
    public static func retrying<Result: BinaryInteger>(_ body: () -> Result) -> Result {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// Writes every byte to `fd`, retrying short writes and EINTR. Returns 0 or an errno.
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = retrying { Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset) }
            if written < 0 { return errno }
            offset += written
        }
        return 0
    }

    /// Writes every byte to `fd`, retrying short writes and EINTR. Returns 0 or an errno.
    public static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        bytes.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// `lstat` of a path: the entry itself, never what a symbolic link points to. Nil plus errno on failure.
    public static func lstat(_ path: String) -> (stat?, Int32) {
        var info = stat()
        let result = Glibc.lstat(path, &info)
        return result == 0 ? (info, 0) : (nil, errno)
    }

    /// `lstat` of a path given as raw bytes (names that are not valid UTF-8 stay reachable).
    public static func lstat(bytes: [UInt8]) -> (stat?, Int32) {
        var info = stat()
        let result = (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { fstatat(AT_FDCWD, $0.baseAddress!, &info, AT_SYMLINK_NOFOLLOW) }
        }
        return result == 0 ? (info, 0) : (nil, errno)
    }

    /// The file-type bits of a mode.
    public static func kind(_ info: stat) -> mode_t { info.st_mode & S_IFMT }

    /// The size of the regular file at `path`, or nil when there is none.
    public static func regularFileSize(_ path: String) -> Int64? {
        guard let info = lstat(path).0, kind(info) == S_IFREG else { return nil }
        return Int64(info.st_size)
    }

    /// Whether `path` is a directory (following a link).
    public static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && info.st_mode & S_IFMT == S_IFDIR
    }

    /// Removes the file at `path`; a file that is already gone is not an error.
    public static func remove(_ path: String) throws(SedgateError) {
        if unlink(path) != 0, errno != ENOENT {
            throw error("remove", path, errno: errno, remedy: "check the folder's permissions")
        }
    }

    /// The directory part of a path (`"."` for a bare name, `"/"` for a name at the root).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of a path.
    public static func name(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Joins a directory and a name with exactly one slash.
    public static func join(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }

    /// Sixteen random hex digits, for temporary names and boundaries nobody else will pick.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = String(UInt64.random(in: .min ... .max, using: &generator), radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// The raw names in a folder (without `.` and `..`); nil when it cannot be opened.
    public static func names(in folder: String) -> [[UInt8]]? {
        guard let stream = opendir(folder) else { return nil }
        defer { closedir(stream) }
        var names: [[UInt8]] = []
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: &entry.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2E] || name == [0x2E, 0x2E] { continue }
            names.append(name)
        }
        return names
    }

    /// Nanoseconds on `clock` (CLOCK_MONOTONIC for deadlines, CLOCK_REALTIME to compare with mtimes).
    public static func nanoseconds(_ clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
