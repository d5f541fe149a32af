// Reassembler+Assemble: joins the stored fragments in order, through the inverse transform (decryption), into
// the target file, and verifies the whole payload's size and SHA-256 before the target appears.

import Crypto
public import Foundation
import Glibc
public import SedgateCore

extension Reassembler {
    /// Writes the original payload to `target`: each fragment in order is read, checked against its digest
    /// again, passed through `inverse` (identity by default; `FragmentCipher.open` for encrypted fragments) and
    /// appended to the partial file in the fragments' folder, which is synced (every 32 MiB) before the files of
    /// the fragments it now holds are removed: the payload is never on disk twice (but for 32 MiB), and an assembly
    /// cut short (a crash, a power cut) resumes after the fragments already joined. The target appears (fsync +
    /// rename) only if the whole payload's SHA-256 matches.
    ///
    /// Memory: one fragment. Throws `.protocolViolation` when fragments are missing (listing them), when a
    /// stored fragment no longer matches its digest (it is removed, so `missing` asks for it again), when
    /// `inverse` fails or gives the wrong size, and when the payload's size or SHA-256 differs from the manifest
    /// (the partial file is then removed too: the payload must be sent again).
    public func assemble(
        to target: String, inverse: (_ index: Int, _ fragment: Data) throws -> Data = { $1 }
    )
        throws(SedgateError)
    {
        let missing = missing
        guard missing.isEmpty else {
            let listed = missing.prefix(20).map(String.init).joined(separator: ", ")
            throw SedgateError(
                .protocolViolation,
                "payload \(manifest.payloadID) cannot be assembled yet: \(missing.count) of "
                    + "\(manifest.fragmentCount) fragments are missing (\(listed)\(missing.count > 20 ? ", ..." : ""))")
        }
        let joined = Self.joined(manifest, partial: partialPath)
        let partial = try PartialFile(path: partialPath, keeping: Int64(joined) * Int64(manifest.fragmentSize))
        var whole = try partial.digestOfKeptBytes()
        // Fragments in the partial file whose own files stay until a sync covers their bytes: at first those an
        // assembly cut short had joined but not yet synced.
        var unsynced = Array(0..<joined)
        /// Syncs the partial file, then removes the files of the fragments it now holds.
        func settle() throws(SedgateError) {
            try partial.sync()
            for index in unsynced { discard(index) }
            unsynced.removeAll()
        }
        do throws(SedgateError) {
            try settle()
            for fragment in manifest.fragments where fragment.index >= joined {
                let file = try ReadableFile(path: path(ofFragment: fragment.index))
                let size = try file.size()
                let sent = try file.read(count: Int(min(size, fragment.size)), at: 0)
                do {
                    try checkSize(size, of: fragment)
                    try checkDigest(SHA256.hex(sent), of: fragment)
                } catch {
                    discard(fragment.index)
                    throw error
                }
                let plain = try FragmentTransform.apply(
                    inverse, index: fragment.index, data: sent, payloadID: manifest.payloadID, purpose: "the inverse")
                let expected = manifest.originalSize(ofFragment: fragment.index)
                guard plain.count == expected else {
                    throw SedgateError(
                        .protocolViolation,
                        "fragment \(fragment.index) of payload \(manifest.payloadID) gave \(plain.count) bytes after "
                            + "the inverse transform, but the manifest implies \(expected)")
                }
                whole.update(data: plain)
                try partial.append(plain)
                unsynced.append(fragment.index)
                if partial.unsyncedBytes >= Self.syncEvery { try settle() }
            }
        } catch {
            // What was joined stays joined: an assembly started again resumes after it.
            try? settle()
            throw error
        }
        let digest = whole.finalize().hex
        guard digest == manifest.sha256, partial.size == manifest.totalSize else {
            try? Syscall.remove(partialPath)
            for index in unsynced { discard(index) }
            throw SedgateError(
                .protocolViolation,
                "the reassembled payload \(manifest.payloadID) (\(partial.size) bytes) has SHA-256 \(digest), but "
                    + "the manifest says \(manifest.sha256) for \(manifest.totalSize) bytes; \(target) was not "
                    + "written. The sender's manifest or fragments are wrong: ask for the payload again",
                location: .init(file: target))
        }
        try settle()
        try partial.move(to: target)
    }

    /// The partial file is synced (and the fragments joined since the last sync removed) once this many bytes were
    /// appended: one fsync per 32 MiB instead of one per fragment. A crash before a sync leaves those fragments'
    /// files in place, so nothing acknowledged is ever held only in unsynced bytes.
    static let syncEvery = 32 << 20
}

/// The partial file of an assembly: opened keeping its first `keeping` bytes (a torn tail is cut), appended to
/// and synced every 32 MiB, then renamed to its target.
private final class PartialFile {
    let path: String
    private(set) var size: Int64
    private let descriptor: Int32

    init(path: String, keeping: Int64) throws(SedgateError) {
        let descriptor = Syscall.retrying { open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o640) }
        guard descriptor >= 0 else {
            throw Syscall.error(
                "open the partial payload", path, errno: errno,
                remedy: "check that the folder exists and the gateway may write to it")
        }
        guard ftruncate(descriptor, off_t(keeping)) == 0 else {
            let code = errno
            close(descriptor)
            throw Syscall.error("cut the partial payload to its joined fragments", path, errno: code, remedy: "")
        }
        self.path = path
        self.descriptor = descriptor
        self.size = keeping
        // The bytes kept may not be on disk yet (the assembly before was cut short between two syncs).
        self.unsyncedBytes = Int(keeping)
    }

    deinit { close(descriptor) }

    /// The SHA-256 state over the bytes kept from an earlier assembly (read once, a chunk at a time).
    func digestOfKeptBytes() throws(SedgateError) -> SHA256 {
        var hash = SHA256()
        guard size > 0 else { return hash }
        let input = try ReadableFile(path: path)
        var offset: Int64 = 0
        while offset < size {
            let chunk = try input.read(count: Int(min(Int64(Syscall.chunkSize), size - offset)), at: offset)
            guard !chunk.isEmpty else { break }
            hash.update(data: chunk)
            offset += Int64(chunk.count)
        }
        return hash
    }

    /// Bytes appended since the last `sync`.
    private(set) var unsyncedBytes = 0

    /// Appends `data`, unsynced until `sync`.
    func append(_ data: Data) throws(SedgateError) {
        var written = 0
        while written < data.count {
            let result = data.withUnsafeBytes { bytes in
                Syscall.retrying {
                    pwrite(
                        descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(size) + off_t(written))
                }
            }
            guard result > 0 else {
                throw Syscall.error(
                    "write the partial payload", path, errno: errno, remedy: "check the free space on the disk")
            }
            written += result
        }
        size += Int64(data.count)
        unsyncedBytes += data.count
    }

    /// Makes what was appended durable.
    func sync() throws(SedgateError) {
        guard unsyncedBytes > 0 else { return }
        IOCounters.noteFsync()
        guard fsync(descriptor) == 0 else {
            throw Syscall.error("fsync the partial payload", path, errno: errno, remedy: "check the disk's health")
        }
        unsyncedBytes = 0
    }

    /// Renames the (synced) file to `target` and makes the rename durable.
    func move(to target: String) throws(SedgateError) {
        guard rename(path, target) == 0 else {
            throw Syscall.error(
                "rename the assembled payload to", target, errno: errno,
                remedy: "check that the folder exists and the gateway may write to it")
        }
        try Syscall.fsyncDirectory(Syscall.directory(of: target))
        try Syscall.fsyncDirectory(Syscall.directory(of: path))
    }
}
