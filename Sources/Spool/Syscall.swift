// Syscall: thin wrappers over the Glibc calls the spool makes, turning errno into a SedgateError.
// Reads and writes nothing by itself; each caller names the file and the remedy in its error.

import Glibc
import SedgateCore

/// Small helpers around Glibc: errno text, EINTR retries, `lstat` without following links, path pieces.
enum Syscall {
    /// The human text of an errno value.
    static func describe(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "errno \(code)" }
        return String(cString: text)
    }

    /// An `.io` error for a failed call: what was attempted, on which path, why, and what to do.
    static func ioError(_ attempt: String, _ path: String, errno code: Int32, remedy: String) -> SedgateError {
        SedgateError(.io, "could not \(attempt) \(path): \(describe(code)); \(remedy)", location: .init(file: path))
    }

    /// Runs `body` again while it fails with EINTR (a signal arrived; nothing went wrong).
    static func retrying<Result: BinaryInteger>(_ body: () -> Result) -> Result {
        while true {
            let result = body()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// `lstat` of a path: the entry itself, never what a symbolic link points to. Nil plus errno on failure.
    static func lstat(_ path: String) -> (stat?, Int32) {
        var info = stat()
        let result = Glibc.lstat(path, &info)
        return result == 0 ? (info, 0) : (nil, errno)
    }

    /// `lstat` of a path given as raw bytes (names that are not valid UTF-8 stay reachable).
    static func lstat(bytes: [UInt8]) -> (stat?, Int32) {
        var info = stat()
        let result = (bytes + [0]).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { fstatat(AT_FDCWD, $0.baseAddress!, &info, AT_SYMLINK_NOFOLLOW) }
        }
        return result == 0 ? (info, 0) : (nil, errno)
    }

    /// The file-type bits of a mode.
    static func kind(_ info: stat) -> mode_t { info.st_mode & S_IFMT }

    /// Writes every byte to `fd`, retrying short writes and EINTR. Returns 0 or an errno.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Int32 {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { buffer in
                retrying { Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            }
            if written < 0 { return errno }
            offset += written
        }
        return 0
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

    /// Eight random bytes as hex, for temporary names nobody else will pick.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let value = UInt64.random(in: .min ... .max, using: &generator)
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }
}

extension Syscall {
    /// The raw names in a folder (without `.` and `..`); nil when it cannot be opened.
    static func names(in folder: String) -> [[UInt8]]? {
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
    static func nanoseconds(_ clock: clockid_t) -> Int64 {
        var now = timespec()
        clock_gettime(clock, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
