// PowerCut+Log: reads the undo log that libSedgatePowerCut.so appends to (its format is described at the top of
// Sources/CPowerCut/powercut.c): one change or sync per line, a torn last line ignored.

import Foundation
import SedgateCore

extension PowerCut {
    /// A file or folder, named by device and inode; `outside` stands for a folder outside the root.
    struct FileID: Hashable {
        var device: UInt64
        var inode: UInt64

        static let outside = FileID(device: 0, inode: 0)
    }

    /// What a rename replaced at its new name.
    enum Replaced: Equatable {
        case nothing
        /// A file, hard-linked into the stash first.
        case file(FileID)
        /// An empty folder, made again with this mode.
        case folder(mode_t)
        /// The other file of a `RENAME_EXCHANGE`.
        case exchanged
    }

    /// One line of the log.
    enum Entry {
        /// The bytes `[offset, offset + length)` of `file` were `pre[at, at + length)`; its size was `oldSize`.
        case data(file: FileID, offset: Int64, length: Int, oldSize: Int64, at: Int64)
        /// A name made for the file `inode` in `folder`.
        case made(folder: FileID, inode: UInt64, path: String)
        case madeFolder(folder: FileID, path: String)
        case removedFolder(folder: FileID, mode: mode_t, path: String)
        /// A name removed; `file` is in the stash.
        case removed(folder: FileID, file: FileID, path: String)
        case renamed(from: FileID, to: FileID, replaced: Replaced, old: String, new: String)
        /// An fsync of `file` (a file or folder) made its changes up to `upTo` durable.
        case synced(file: FileID, upTo: UInt64)
        /// A sync(2) or syncfs(2) made every change up to `upTo` durable.
        case syncedAll(upTo: UInt64)
        /// The change logged as `seq` (a rename or removal, logged before its call) failed: it never happened.
        case cancelled(seq: UInt64)
    }

    /// The entries of the log file at `path`, with their sequence numbers, in the order written.
    static func entries(of path: String) throws -> [(seq: UInt64, entry: Entry)] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        var lines = data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        lines.removeLast()  // empty after the last newline, or a line SIGKILL tore (its change never happened)
        return try lines.map { bytes in
            let line = String(decoding: bytes, as: UTF8.self)
            guard let parsed = parse(line) else {
                throw SedgateError(.io, "\(path): cannot read the log line '\(line)'; was it written by this version?")
            }
            return parsed
        }
    }

    private static func parse(_ line: String) -> (seq: UInt64, entry: Entry)? {
        let head = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
        guard head.count == 3, let seq = UInt64(head[0]) else { return nil }
        /// The `count` numbers after the kind, then the rest of the line (the paths).
        func fields(_ count: Int) -> (numbers: [Substring], rest: String)? {
            let parts = head[2].split(separator: " ", maxSplits: count, omittingEmptySubsequences: false)
            guard parts.count >= count else { return nil }
            return (Array(parts.prefix(count)), parts.count > count ? String(parts[count]) : "")
        }
        func id(_ numbers: [Substring], _ index: Int) -> FileID? {
            guard let device = UInt64(numbers[index]), let inode = UInt64(numbers[index + 1]) else { return nil }
            return FileID(device: device, inode: inode)
        }
        let entry: Entry?
        switch head[1] {
        case "W":
            guard let row = fields(6), let file = id(row.numbers, 0), let offset = Int64(row.numbers[2]),
                let length = Int(row.numbers[3]), let oldSize = Int64(row.numbers[4]), let at = Int64(row.numbers[5])
            else { return nil }
            entry = .data(file: file, offset: offset, length: length, oldSize: oldSize, at: at)
        case "C":
            guard let row = fields(3), let folder = id(row.numbers, 0), let inode = UInt64(row.numbers[2]) else {
                return nil
            }
            entry = .made(folder: folder, inode: inode, path: unescaped(row.rest))
        case "M":
            guard let row = fields(2), let folder = id(row.numbers, 0) else { return nil }
            entry = .madeFolder(folder: folder, path: unescaped(row.rest))
        case "D":
            guard let row = fields(3), let folder = id(row.numbers, 0), let mode = mode_t(row.numbers[2], radix: 8)
            else { return nil }
            entry = .removedFolder(folder: folder, mode: mode, path: unescaped(row.rest))
        case "U":
            guard let row = fields(4), let folder = id(row.numbers, 0), let file = id(row.numbers, 2) else {
                return nil
            }
            entry = .removed(folder: folder, file: file, path: unescaped(row.rest))
        case "R":
            guard let row = fields(8), let from = id(row.numbers, 0), let to = id(row.numbers, 2),
                let victim = id(row.numbers, 5), let mode = mode_t(row.numbers[7], radix: 8)
            else { return nil }
            let pair = row.rest.split(separator: "\t", omittingEmptySubsequences: false)
            guard pair.count == 2 else { return nil }
            let replaced: Replaced? =
                switch row.numbers[4] {
                case "-": .nothing
                case "f": .file(victim)
                case "d": .folder(mode)
                case "x": .exchanged
                default: nil
                }
            guard let replaced else { return nil }
            entry = .renamed(
                from: from, to: to, replaced: replaced, old: unescaped(pair[0]), new: unescaped(pair[1]))
        case "S":
            guard let row = fields(3), let file = id(row.numbers, 0), let upTo = UInt64(row.numbers[2]) else {
                return nil
            }
            entry = .synced(file: file, upTo: upTo)
        case "A":
            guard let row = fields(1), let upTo = UInt64(row.numbers[0]) else { return nil }
            entry = .syncedAll(upTo: upTo)
        case "X":
            guard let row = fields(1), let cancelled = UInt64(row.numbers[0]) else { return nil }
            entry = .cancelled(seq: cancelled)
        default:
            entry = nil
        }
        return entry.map { (seq, $0) }
    }

    /// Undoes the library's escapes: `%25`, `%09`, `%0A`.
    private static func unescaped(_ text: some StringProtocol) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var rest = Substring(text).utf8[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "%"), rest.count >= 2,
                let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
