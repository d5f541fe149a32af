// Reassembler: collects the fragments of one payload in a folder, verifying each against the manifest, and
// knows which are still missing. The folder is the state: a new Reassembler over it resumes where one stopped.

import Crypto
public import Foundation
public import SedgateCore

/// Receives the fragments of one payload in any order, verifies each against its manifest digest and stores
/// it durably as `<directory>/<payloadID>.<index>.frag`; `Reassembler+Assemble` joins them when complete.
///
/// A fragment is on disk only after its SHA-256 matched, so a new Reassembler over the same folder counts the
/// files present (with the right size) as received. Accepting a fragment again is harmless. Refuses, naming the
/// fragment index: an index outside the manifest, a wrong size, a wrong digest (`.protocolViolation`).
public struct Reassembler: Sendable {
    /// Whether `accept` stored a fragment or already had it.
    public enum Acceptance: Sendable, Hashable {
        /// The fragment was verified and stored.
        case stored
        /// The fragment was verified and was already stored; nothing changed.
        case alreadyPresent
    }

    /// The manifest the fragments are checked against.
    public let manifest: FragmentManifest
    /// The folder the fragments are stored in.
    public let directory: String
    private var present: [Bool]

    /// Starts (or resumes) collecting `manifest`'s fragments in `directory`, which must exist.
    public init(manifest: FragmentManifest, directory: String) throws(SedgateError) {
        guard Syscall.isDirectory(directory) else {
            throw SedgateError(
                .io, "\(directory) is not a folder; create it before receiving fragments into it",
                location: .init(file: directory))
        }
        self.manifest = manifest
        self.directory = directory
        let joined = Self.joined(manifest, partial: Syscall.join(directory, "\(manifest.payloadID).partial"))
        present = manifest.fragments.map { fragment in
            fragment.index < joined
                || Syscall.regularFileSize(Syscall.join(directory, manifest.fileName(ofFragment: fragment.index)))
                    == fragment.size
        }
    }

    /// The file the payload is joined into, inside the folder; it holds the leading fragments already joined (their
    /// own files are then gone, once synced), so an assembly cut short resumes and the payload is never on disk twice
    /// (but for 32 MiB).
    var partialPath: String {
        Syscall.join(directory, "\(manifest.payloadID).partial")
    }

    /// How many leading fragments the partial file at `partial` holds whole (a torn tail does not count).
    static func joined(_ manifest: FragmentManifest, partial: String) -> Int {
        guard let size = Syscall.regularFileSize(partial), manifest.fragmentSize > 0 else { return 0 }
        if size >= manifest.totalSize { return manifest.fragmentCount }
        return min(Int(size / Int64(manifest.fragmentSize)), manifest.fragmentCount)
    }

    /// The indexes of the fragments not yet received, in order.
    public var missing: [Int] {
        present.indices.filter { !present[$0] }
    }

    /// Whether every fragment has been received.
    public var isComplete: Bool {
        !present.contains(false)
    }

    /// The path fragment `index` is stored at.
    public func path(ofFragment index: Int) -> String {
        Syscall.join(directory, manifest.fileName(ofFragment: index))
    }

    /// Verifies fragment `index` (as transmitted) and stores it, unless it is already stored.
    @discardableResult
    public mutating func accept(index: Int, data: Data) throws(SedgateError) -> Acceptance {
        let expected = try fragment(index)
        try checkSize(Int64(data.count), of: expected)
        try checkDigest(SHA256.hex(data), of: expected)
        if isStored(index) { return .alreadyPresent }
        let output = try DurableFile(path: path(ofFragment: index))
        try output.write(data)
        try output.commit()
        present[index] = true
        return .stored
    }

    /// Verifies the fragment in the file at `file` and copies it into the folder, streaming, unless stored.
    @discardableResult
    public mutating func accept(index: Int, file: String) throws(SedgateError) -> Acceptance {
        let expected = try fragment(index)
        let input = try ReadableFile(path: file)
        try checkSize(try input.size(), of: expected)
        let output = isStored(index) ? nil : try DurableFile(path: path(ofFragment: index))
        var hash = SHA256()
        var chunk = [UInt8](repeating: 0, count: Syscall.chunkSize)
        var offset: Int64 = 0
        while true {
            let count = try chunk.withMutableBytes { (buffer) throws(SedgateError) in
                try input.read(into: buffer, at: offset)
            }
            if count == 0 { break }
            offset += Int64(count)
            try chunk.withBytes { (bytes) throws(SedgateError) in
                let piece = UnsafeRawBufferPointer(rebasing: bytes[..<count])
                hash.update(bufferPointer: piece)
                try output?.write(piece)
            }
        }
        try checkSize(offset, of: expected)
        try checkDigest(hash.finalize().hex, of: expected)
        guard let output else { return .alreadyPresent }
        try output.commit()
        present[index] = true
        return .stored
    }

    /// Removes the stored fragments and any partial assembly (after the payload was assembled and handed on).
    public func removeFragments() throws(SedgateError) {
        for index in present.indices { try Syscall.remove(path(ofFragment: index)) }
        try Syscall.remove(partialPath)
        try Syscall.fsyncDirectory(directory)
    }

    /// Whether fragment `index` was accepted and its file is still there (someone may have removed it since).
    private func isStored(_ index: Int) -> Bool {
        present[index] && Syscall.regularFileSize(path(ofFragment: index)) == manifest.fragments[index].size
    }

    /// Forgets fragment `index` and removes its file (it failed verification at assembly).
    func discard(_ index: Int) {
        try? Syscall.remove(path(ofFragment: index))
    }

    private func fragment(_ index: Int) throws(SedgateError) -> FragmentManifest.Fragment {
        guard manifest.fragments.indices.contains(index) else {
            throw SedgateError(
                .protocolViolation,
                "fragment \(index) of payload \(manifest.payloadID) does not exist: the manifest has "
                    + "\(manifest.fragmentCount) fragments, numbered from 0")
        }
        return manifest.fragments[index]
    }

    func checkSize(_ size: Int64, of fragment: FragmentManifest.Fragment) throws(SedgateError) {
        guard size == fragment.size else {
            throw SedgateError(
                .protocolViolation,
                "fragment \(fragment.index) of payload \(manifest.payloadID) has \(size) bytes, but the manifest "
                    + "says \(fragment.size); it was cut or padded in transit. Ask the sender to send it again")
        }
    }

    func checkDigest(_ digest: String, of fragment: FragmentManifest.Fragment) throws(SedgateError) {
        guard digest == fragment.sha256 else {
            throw SedgateError(
                .protocolViolation,
                "fragment \(fragment.index) of payload \(manifest.payloadID) was altered or damaged: its SHA-256 is "
                    + "\(digest), the manifest says \(fragment.sha256). Ask the sender to send fragment "
                    + "\(fragment.index) again")
        }
    }
}
