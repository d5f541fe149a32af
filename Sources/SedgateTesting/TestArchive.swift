// TestArchive: writes zip, tar, tar.gz and tar.zst archives with libarchive, hostile ones included (links,
// devices, `../` names, bombs), for the batch tests. Writes one archive file.

import CLibArchive
import Foundation
import SedgateCore

/// Archives made to order, the way a producer (or an attacker) would make them.
public enum TestArchive {
    /// What an entry is.
    public enum Kind: Sendable {
        case file([UInt8])
        /// A file of `count` zero bytes, written in chunks (a bomb's payload).
        case zeros(Int)
        case directory
        case symlink(String)
        case hardlink(String)
        case characterDevice
        case fifo
    }

    /// One entry: its name as stored, and what it is.
    public struct Entry: Sendable {
        public var name: String
        public var kind: Kind

        public init(_ name: String, _ kind: Kind) {
            self.name = name
            self.kind = kind
        }
    }

    /// The container and its compression.
    public enum Format: String, Sendable, CaseIterable {
        case tar, tarGzip = "tar.gz", tarZstd = "tar.zst", zip
    }

    /// Writes `entries` as one archive at `path`.
    public static func write(_ entries: [Entry], format: Format, to path: String) throws {
        guard let archive = archive_write_new() else { throw SedgateError(.io, "archive_write_new failed") }
        defer { archive_write_free(archive) }
        switch format {
        case .zip: archive_write_set_format_zip(archive)
        default: archive_write_set_format_pax_restricted(archive)
        }
        if format == .tarGzip { archive_write_add_filter_gzip(archive) }
        if format == .tarZstd { archive_write_add_filter_zstd(archive) }
        try check(archive, archive_write_open_filename(archive, path))
        for item in entries {
            guard let entry = archive_entry_new() else { throw SedgateError(.io, "archive_entry_new failed") }
            defer { archive_entry_free(entry) }
            archive_entry_set_pathname(entry, item.name)
            archive_entry_set_perm(entry, 0o644)
            switch item.kind {
            case .file(let bytes):
                archive_entry_set_filetype(entry, 0o100000)
                archive_entry_set_size(entry, la_int64_t(bytes.count))
            case .zeros(let count):
                archive_entry_set_filetype(entry, 0o100000)
                archive_entry_set_size(entry, la_int64_t(count))
            case .directory:
                archive_entry_set_filetype(entry, 0o040000)
            case .symlink(let target):
                archive_entry_set_filetype(entry, 0o120000)
                archive_entry_set_symlink(entry, target)
            case .hardlink(let target):
                archive_entry_set_filetype(entry, 0o100000)
                archive_entry_set_hardlink(entry, target)
            case .characterDevice:
                archive_entry_set_filetype(entry, 0o020000)
                archive_entry_set_rdev(entry, 0x0103)
            case .fifo:
                archive_entry_set_filetype(entry, 0o010000)
            }
            try check(archive, archive_write_header(archive, entry))
            switch item.kind {
            case .file(let bytes):
                _ = bytes.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, $0.count) }
            case .zeros(var count):
                let chunk = [UInt8](repeating: 0, count: 1 << 20)
                while count > 0 {
                    let size = min(count, chunk.count)
                    _ = chunk.withUnsafeBytes { archive_write_data(archive, $0.baseAddress, size) }
                    count -= size
                }
            default:
                break
            }
        }
        try check(archive, archive_write_close(archive))
    }

    private static func check(_ archive: OpaquePointer, _ status: Int32) throws {
        guard status == ARCHIVE_OK || status == ARCHIVE_WARN else {
            let why = archive_error_string(archive).map { String(cString: $0) } ?? "no detail"
            throw SedgateError(.io, "libarchive could not write the test archive: \(why)")
        }
    }
}
