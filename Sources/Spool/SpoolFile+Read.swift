// SpoolFile+Read: reading a spool file safely: regular files only, never through a link, bounded in size.
// Reads the file; writes nothing.

import Glibc
public import SedgateCore

extension SpoolFile {
    /// Reads the whole regular file at `path`, at most `maxBytes` bytes.
    ///
    /// Refuses with `.hostileInput` a symbolic link (never followed), a folder, a FIFO, a socket or a device,
    /// and a file larger than `maxBytes`; other failures are `.io`. A size refusal names the file as `shownAs`
    /// when given: the name its producer knows (`outbound/claim.xml`), not the node's internal copy.
    public static func read(_ path: String, maxBytes: Int, shownAs: String? = nil) throws(SedgateError) -> [UInt8] {
        // lstat first: opening a FIFO or a device can block or have side effects.
        let (entry, code) = Syscall.lstat(path)
        guard let entry else {
            throw Syscall.error("read", path, errno: code, remedy: "check that the file still exists")
        }
        try requireRegular(entry, path)
        let fd = Syscall.retrying { open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC) }
        guard fd >= 0 else {
            let code = errno
            if code == ELOOP { try requireRegular(nil, path) }
            throw Syscall.error("open", path, errno: code, remedy: "check the file's permissions")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw Syscall.error("inspect", path, errno: errno, remedy: "check the disk's health")
        }
        // The entry may have been swapped between lstat and open.
        try requireRegular(info, path)
        let size = Int(info.st_size)
        guard size <= maxBytes else { throw tooLarge(shownAs ?? path, maxBytes) }

        // The size it has now, plus one byte to see the end: straight into the array, in one read for a small file.
        var failure: Int32 = 0
        var bytes = [UInt8](unsafeUninitializedCapacity: size + 1) { buffer, count in
            count = 0
            while count < buffer.count {
                let read = Syscall.retrying { Glibc.read(fd, buffer.baseAddress! + count, buffer.count - count) }
                if read < 0 { failure = errno }
                if read <= 0 { return }
                count += read
            }
        }
        if failure != 0 { throw Syscall.error("read", path, errno: failure, remedy: "check the disk's health") }
        guard bytes.count <= maxBytes else { throw tooLarge(shownAs ?? path, maxBytes) }
        // Fewer bytes than room: the end was reached.
        if bytes.count <= size { return bytes }
        // A producer still appending: the rest in chunks.
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                Syscall.retrying { Glibc.read(fd, buffer.baseAddress, buffer.count) }
            }
            if count < 0 {
                throw Syscall.error("read", path, errno: errno, remedy: "check the disk's health")
            }
            if count == 0 { return bytes }
            // A producer still appending must not push us past the limit.
            guard bytes.count + count <= maxBytes else { throw tooLarge(shownAs ?? path, maxBytes) }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    /// Throws `.hostileInput` unless `info` describes a regular file (nil: a link met by O_NOFOLLOW).
    static func requireRegular(_ info: stat?, _ path: String) throws(SedgateError) {
        let kind = info.map(Syscall.kind) ?? S_IFLNK
        guard kind != S_IFREG else { return }
        let what: String
        switch kind {
        case S_IFLNK: what = "a symbolic link (links are never followed; place the file itself)"
        case S_IFDIR: what = "a folder (only regular files are read)"
        case S_IFIFO: what = "a FIFO (only regular files are read)"
        case S_IFSOCK: what = "a socket (only regular files are read)"
        default: what = "a device (only regular files are read)"
        }
        throw SedgateError(.hostileInput, "\(path) is \(what)", location: .init(file: path))
    }

    private static func tooLarge(_ path: String, _ maxBytes: Int) -> SedgateError {
        SedgateError(
            .hostileInput,
            "\(path) is larger than the limit of \(maxBytes) bytes; split it or raise the limit in the configuration",
            location: .init(file: path))
    }
}
