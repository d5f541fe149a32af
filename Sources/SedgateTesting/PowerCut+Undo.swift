// PowerCut+Undo: undoes one logged change: puts a file's old bytes and size back through its stash link, or a name
// back as it was. Changes are undone newest first, so a path names what it named when the change was made.
// What cannot be undone is recorded, not thrown: the summary lists it.

import Foundation
import Glibc

extension PowerCut {
    /// Undoes changes logged in one log folder; collects what it could not undo.
    struct Undo {
        let log: String
        var unresolved: [String] = []

        init(log: String) {
            self.log = log
        }

        mutating func apply(_ entry: Entry) {
            switch entry {
            case .data(let file, let offset, let length, let oldSize, let at):
                restore(file, offset: offset, length: length, oldSize: oldSize, at: at)
            case .made(_, let inode, let path):
                var status = stat()
                guard lstat(path, &status) == 0, UInt64(status.st_ino) == inode else {
                    return unresolved.append("\(path) was made, but the file is not there to remove any more")
                }
                check(unlink(path), "remove \(path)")
            case .madeFolder(_, let path):
                do { try FileManager.default.removeItem(atPath: path) } catch {
                    unresolved.append("remove the folder \(path): \(error)")
                }
            case .removedFolder(_, let mode, let path):
                if exists(path) { return }  // logged before its call, which never came
                check(mkdir(path, mode), "make the folder \(path) again")
            case .removed(_, let file, let path):
                // Logged before its call: a name still there was never removed (killed in between).
                if exists(path) { return }
                check(link(stashed(file), path), "link \(path) again")
            case .renamed(_, _, .exchanged, let old, let new):
                check(exchange(old, new), "exchange \(new) and \(old) again")
            case .renamed(_, _, let replaced, let old, let new):
                // Logged before its call: an old name still there was never renamed (killed in between).
                if exists(old) { return }
                check(rename(new, old), "rename \(new) back to \(old)")
                switch replaced {
                case .file(let victim): check(link(stashed(victim), new), "link the replaced \(new) again")
                case .folder(let mode): check(mkdir(new, mode), "make the replaced folder \(new) again")
                case .nothing, .exchanged: break
                }
            case .synced, .syncedAll, .cancelled:
                break
            }
        }

        private func exists(_ path: String) -> Bool {
            var status = stat()
            return lstat(path, &status) == 0
        }

        private func stashed(_ file: FileID) -> String {
            "\(log)/stash/ino-\(file.device)-\(file.inode)"
        }

        private mutating func check(_ result: Int32, _ what: String) {
            if result != 0 { unresolved.append("\(what): \(String(cString: strerror(errno)))") }
        }

        /// Writes `pre[at, at + length)` back at `offset` of the file and sets its size back to `oldSize`.
        private mutating func restore(_ file: FileID, offset: Int64, length: Int, oldSize: Int64, at: Int64) {
            let path = stashed(file)
            let target = open(path, O_WRONLY | O_CLOEXEC)
            guard target >= 0 else { return check(-1, "open \(path) to restore its bytes") }
            defer { close(target) }
            if length > 0 {
                let pre = open(log + "/pre", O_RDONLY | O_CLOEXEC)
                guard pre >= 0 else { return check(-1, "open \(log)/pre") }
                defer { close(pre) }
                var buffer = [UInt8](repeating: 0, count: min(length, 1 << 20))
                var done = 0
                while done < length {
                    let chunk = min(buffer.count, length - done)
                    let moved = buffer.withUnsafeMutableBytes { bytes in
                        pread(pre, bytes.baseAddress, chunk, off_t(at) + off_t(done)) == chunk
                            && pwrite(target, bytes.baseAddress, chunk, off_t(offset) + off_t(done)) == chunk
                    }
                    guard moved else { return check(-1, "copy the old bytes of \(path) back") }
                    done += chunk
                }
            }
            check(ftruncate(target, off_t(oldSize)), "set the size of \(path) back to \(oldSize)")
        }

        /// `renameat2(RENAME_EXCHANGE)`, which Swift's Glibc module does not expose.
        private func exchange(_ first: String, _ second: String) -> Int32 {
            typealias RenameAt2 =
                @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
            guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "renameat2") else { return -1 }
            let renameExchange: UInt32 = 2
            return unsafeBitCast(symbol, to: RenameAt2.self)(AT_FDCWD, first, AT_FDCWD, second, renameExchange)
        }
    }
}
