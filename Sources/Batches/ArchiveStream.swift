// ArchiveStream: the files of a zip, tar, tar.gz or tar.zst archive, one at a time, in memory, read with
// libarchive under limits. Reads the archive; writes nothing (no entry ever touches the disk).

import CLibArchive
import Glibc
public import SedgateCore

/// Bounds on what an outbound archive may unpack to: what keeps a bomb from filling memory, disk or time.
public struct ArchiveLimits: Sendable, Hashable {
    /// The most entries (files and folders) one archive may hold.
    public var maxEntries: Int
    /// The most bytes all its files may unpack to.
    public var maxTotalBytes: Int
    /// The most bytes one file may unpack to (a SED's own limit).
    public var maxEntryBytes: Int
    /// The most unpacked bytes per byte of archive, once `ratioFloor` bytes are unpacked.
    public var maxRatio: Int
    /// Unpacked bytes below which the ratio is not judged (small, repetitive XML compresses well).
    public var ratioFloor: Int

    /// Limits with defaults: 10,000 entries, 1 GiB in all, 16 MiB a file, a ratio of 200 above 1 MiB.
    public init(
        maxEntries: Int = 10_000, maxTotalBytes: Int = 1 << 30, maxEntryBytes: Int = 16 << 20, maxRatio: Int = 200,
        ratioFloor: Int = 1 << 20
    ) {
        self.maxEntries = maxEntries
        self.maxTotalBytes = maxTotalBytes
        self.maxEntryBytes = maxEntryBytes
        self.maxRatio = maxRatio
        self.ratioFloor = ratioFloor
    }
}

/// One refused entry of a batch: its name and why.
public struct BatchProblem: Sendable {
    /// The entry's name as the batch lists it (escaped when it holds control characters).
    public var name: String
    public var error: SedgateError

    public init(name: String, error: SedgateError) {
        self.name = name
        self.error = error
    }
}

/// One file of an archive, read whole (at most `ArchiveLimits.maxEntryBytes`).
public struct ArchiveFile: Sendable {
    /// Its path in the archive, normalised (`./a/b.xml` is `a/b.xml`).
    public var name: String
    public var bytes: [UInt8]
}

/// Reads an archive's regular files one by one, refusing what could escape or explode.
///
/// Only the tar (ustar, pax, GNU) and zip formats are read, raw or compressed with gzip or zstd. An entry that
/// is a symbolic or hard link, a device, FIFO or socket, an encrypted zip entry, a name that is absolute, climbs
/// with `..`, holds a backslash or a control character, is not UTF-8, or repeats an earlier name is skipped
/// unread and added to `problems`; the caller refuses the batch. Past a limit (entry count, total size, one
/// file's size, ratio of unpacked to archive bytes) or on a damaged archive, `next()` throws and nothing more is
/// read. Not thread-safe: one task reads one stream.
public final class ArchiveStream {
    /// The entries refused so far, in archive order.
    public private(set) var problems: [BatchProblem] = []
    private let handle: OpaquePointer
    private let shownAs: String
    private let limits: ArchiveLimits
    private let archiveBytes: Int
    private var entries = 0
    private var total = 0
    private var names: Set<String> = []
    private var finished = false

    /// Whether a committed file's name marks it as an archive batch.
    public static func isArchive(_ name: String) -> Bool {
        let lower = name.lowercased()
        return [".zip", ".tar", ".tar.gz", ".tgz", ".tar.zst", ".tzst"].contains { lower.hasSuffix($0) }
    }

    /// Opens the archive at `path`; `shownAs` names it in errors (`outbound/claims.tar.gz`).
    public init(path: String, shownAs: String, limits: ArchiveLimits) throws(SedgateError) {
        guard let handle = archive_read_new() else {
            throw SedgateError(.io, "libarchive could not start a reader; the node is out of memory")
        }
        self.handle = handle
        self.shownAs = shownAs
        self.limits = limits
        var info = stat()
        archiveBytes = lstat(path, &info) == 0 ? Int(info.st_size) : 0
        archive_read_support_filter_gzip(handle)
        archive_read_support_filter_zstd(handle)
        archive_read_support_format_tar(handle)
        archive_read_support_format_gnutar(handle)
        archive_read_support_format_zip(handle)
        guard archive_read_open_filename(handle, path, 64 << 10) == ARCHIVE_OK else {
            // deinit frees the handle: every stored property is set, so it runs on this throw too.
            let why = Self.message(handle)
            throw SedgateError(
                .unsupportedInput,
                "\(shownAs) cannot be read as a zip, tar, tar.gz or tar.zst archive (\(why)); send one of those",
                location: .init(file: shownAs))
        }
    }

    deinit { archive_read_free(handle) }

    /// The next regular file, or nil at the end. Refused entries are skipped (see `problems`).
    public func next() throws(SedgateError) -> ArchiveFile? {
        while !finished {
            var entry: OpaquePointer?
            let status = archive_read_next_header(handle, &entry)
            if status == ARCHIVE_EOF {
                // libarchive refuses another call after its end; callers may ask again.
                finished = true
                return nil
            }
            guard status == ARCHIVE_OK || status == ARCHIVE_WARN, let entry else { throw damaged() }
            entries += 1
            guard entries <= limits.maxEntries else {
                throw bomb("holds more than \(limits.maxEntries) entries")
            }
            let raw = archive_entry_pathname_utf8(entry).map { String(cString: $0) }
            guard let raw else {
                refuse(
                    archive_entry_pathname(entry).map { String(decoding: strlen($0).bytes($0), as: UTF8.self) }
                        ?? "?", "has a name that is not UTF-8")
                continue
            }
            let type = archive_entry_filetype(entry) & 0o170000
            if let why = Self.nameProblem(raw) {
                refuse(raw, why)
                continue
            }
            let name = Self.normalised(raw)
            if archive_entry_hardlink(entry) != nil {
                refuse(raw, "is a hard link; an archive batch holds regular files only")
                continue
            }
            switch type {
            case 0o100000:
                break
            case 0o040000:
                continue
            case 0o120000:
                refuse(raw, "is a symbolic link; an archive batch holds regular files only")
                continue
            default:
                refuse(raw, "is a device, FIFO or socket; an archive batch holds regular files only")
                continue
            }
            if archive_entry_is_encrypted(entry) != 0 {
                refuse(raw, "is encrypted; send the archive without a password")
                continue
            }
            guard names.insert(name).inserted else {
                refuse(raw, "repeats the name of an earlier entry; each file may appear once")
                continue
            }
            if archive_entry_size_is_set(entry) != 0, Int(archive_entry_size(entry)) > limits.maxEntryBytes {
                throw bomb("entry \(name) declares \(archive_entry_size(entry)) bytes, over \(limits.maxEntryBytes)")
            }
            return ArchiveFile(name: name, bytes: try data(of: name))
        }
        return nil
    }

    /// Reads the current entry's data, judging every limit as bytes come.
    private func data(of name: String) throws(SedgateError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = chunk.withUnsafeMutableBytes { archive_read_data(handle, $0.baseAddress, $0.count) }
            if count == 0 { return bytes }
            guard count > 0 else { throw damaged() }
            total += count
            guard bytes.count + count <= limits.maxEntryBytes else {
                throw bomb("entry \(name) unpacks to more than \(limits.maxEntryBytes) bytes")
            }
            guard total <= limits.maxTotalBytes else {
                throw bomb("unpacks to more than \(limits.maxTotalBytes) bytes")
            }
            if total > limits.ratioFloor, total / max(archiveBytes, 1) > limits.maxRatio {
                throw bomb(
                    "unpacks to more than \(limits.maxRatio) times its own size (\(archiveBytes) bytes compressed)")
            }
            bytes.append(contentsOf: chunk[0..<count])
        }
    }

    private func refuse(_ name: String, _ why: String) {
        let shown = name.unicodeScalars.map { $0.properties.generalCategory == .control ? "?" : String($0) }.joined()
        problems.append(
            BatchProblem(
                name: shown,
                error: SedgateError(.hostileInput, "entry \(shown) \(why)", location: .init(file: "\(shownAs)"))))
    }

    private func bomb(_ why: String) -> SedgateError {
        SedgateError(
            .hostileInput, "\(shownAs) \(why); it was read no further. Split the batch or send it uncompressed",
            location: .init(file: shownAs))
    }

    private func damaged() -> SedgateError {
        SedgateError(
            .unsupportedInput, "\(shownAs) is damaged or not a zip or tar archive (\(Self.message(handle)))",
            location: .init(file: shownAs))
    }

    private static func message(_ handle: OpaquePointer) -> String {
        archive_error_string(handle).map { String(cString: $0) } ?? "no detail"
    }

    /// Why an entry's name could escape or mislead, or nil when it is a plain relative path.
    static func nameProblem(_ name: String) -> String? {
        if name.isEmpty { return "has an empty name" }
        if name.hasPrefix("/") { return "has an absolute path; an archive batch holds relative names only" }
        if name.contains("\\") { return "has a backslash in its name, which could be read as a path elsewhere" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "has a control character in its name"
        }
        if name.split(separator: "/").contains("..") { return "climbs out of the archive with `..`" }
        if normalised(name).isEmpty { return "names no file" }
        return nil
    }

    /// `./a//b/` → `a/b`.
    static func normalised(_ name: String) -> String {
        name.split(separator: "/").filter { $0 != "." }.joined(separator: "/")
    }
}

extension Int {
    /// The bytes of a C string of this length at `pointer`.
    fileprivate func bytes(_ pointer: UnsafePointer<CChar>) -> [UInt8] {
        pointer.withMemoryRebound(to: UInt8.self, capacity: self) { Array(UnsafeBufferPointer(start: $0, count: self)) }
    }
}
