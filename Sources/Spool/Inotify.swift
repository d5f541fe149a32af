// Inotify: a non-blocking inotify descriptor: add watches, wait with a timeout, read decoded events.
// Reads kernel events only; touches no files.

import Glibc
import SedgateCore

/// One inotify descriptor, owned by one thread (not Sendable). Closed on deinit.
final class Inotify {
    /// One decoded event.
    struct Event {
        var watch: Int32
        var mask: UInt32
        /// The entry name inside the watched folder (raw bytes; empty for events about the folder itself).
        var name: [UInt8]

        func has(_ flag: Int32) -> Bool { mask & UInt32(bitPattern: flag) != 0 }
    }

    /// What the watcher asks for on each folder.
    static let folderMask = UInt32(
        IN_MOVED_TO | IN_MOVED_FROM | IN_CLOSE_WRITE | IN_MODIFY | IN_CREATE | IN_DELETE
            | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)

    private let fd: Int32
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    /// Opens a descriptor; throws `.io` when the kernel refuses (e.g. the per-user instance limit).
    init() throws(SedgateError) {
        fd = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard fd >= 0 else {
            throw SedgateError(
                .io,
                "could not start inotify: \(Syscall.describe(errno)); "
                    + "raise fs.inotify.max_user_instances (falling back to scanning every second)")
        }
    }

    deinit { close(fd) }

    /// Watches the folder at `path` for the events in `mask`; returns the watch number, or throws `.io` (e.g. the watch limit is reached).
    func watch(_ path: String, mask: UInt32 = folderMask) throws(SedgateError) -> Int32 {
        let watch = inotify_add_watch(fd, path, mask)
        guard watch >= 0 else {
            throw Syscall.error(
                "watch", path, errno: errno,
                remedy: "check that the folder exists; raise fs.inotify.max_user_watches if the limit is reached")
        }
        return watch
    }

    /// Stops watching (the kernel then sends IN_IGNORED for it).
    func unwatch(_ watch: Int32) {
        inotify_rm_watch(fd, watch)
    }

    /// Waits until events are readable or `milliseconds` pass. True when events are readable.
    func wait(milliseconds: Int32) -> Bool {
        var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&entry, 1, max(0, milliseconds)) > 0 && entry.revents & Int16(POLLIN) != 0
    }

    /// Reads every pending event without blocking.
    func read() -> [Event] {
        var events: [Event] = []
        while true {
            let count = buffer.withUnsafeMutableBytes { raw in
                Syscall.retrying { Glibc.read(fd, raw.baseAddress, raw.count) }
            }
            guard count > 0 else { return events }
            buffer.withUnsafeBytes { raw in
                var offset = 0
                // struct inotify_event { int wd; uint32_t mask, cookie, len; char name[len]; }
                while offset + 16 <= count {
                    let watch = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let start = offset + 16
                    let end = min(start + length, count)
                    let name = Array(raw[start..<end].prefix { $0 != 0 })
                    events.append(Event(watch: watch, mask: mask, name: name))
                    offset = start + length
                }
            }
        }
    }
}
