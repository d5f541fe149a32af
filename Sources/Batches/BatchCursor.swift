// BatchCursor: the files of one batch, one at a time, whether a manifest's folder or an archive: each file's bytes,
// or why it is bad. Reads the batch folder or the archive; writes nothing.

import Crypto
import Foundation
public import SedgateCore
import Spool

/// Walks a batch's files in order: a manifest batch in the manifest's order, an archive in its own order.
///
/// A manifest batch's folder must hold exactly the files the manifest lists (dot-files, `*.part` and `*.tmp`
/// aside), each a regular file. An archive may hold a manifest as its first entry (`manifest` or `*.manifest`):
/// its defaults and checksums then apply, and its list must match the archive's files.
public struct BatchCursor {
    /// One step of the walk.
    public enum Entry {
        /// A file's name (relative to the batch) and bytes.
        case file(String, [UInt8])
        /// An entry that cannot be taken.
        case bad(BatchProblem)
    }

    /// The batch's manifest (for an archive, once its first entry was read).
    public private(set) var manifest: BatchManifest?
    /// Entries of a manifest's folder the manifest does not list, or that are not files.
    public private(set) var folderProblems: [BatchProblem] = []
    private var archive: ArchiveStream?
    private var folder: String?
    private var maxBytes = 0
    private var shownAs = ""
    private var position = 0
    private var archiveManifest: String?
    private var seen: [String] = []
    private var reportedProblems = 0

    /// A manifest batch: `manifest`'s files in `folder`; `shownAs` names the folder in errors.
    public init(folder: String, manifest: BatchManifest, maxBytes: Int, shownAs: String) {
        self.folder = folder
        self.manifest = manifest
        self.maxBytes = maxBytes
        self.shownAs = shownAs
        let listed = Set(manifest.files.map(\.name))
        let present = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in present.sorted()
        where !name.hasPrefix(".") && !name.hasSuffix(".part") && !name.hasSuffix(".tmp") && !listed.contains(name) {
            folderProblems.append(
                BatchProblem(
                    name: name,
                    error: SedgateError(
                        .unsupportedInput,
                        "is in the batch folder but not listed in the manifest; list it or take it out",
                        location: .init(file: "\(shownAs)/\(name)"))))
        }
    }

    /// An archive batch.
    public init(archive: ArchiveStream) {
        self.archive = archive
    }

    /// The next file or bad entry; nil at the end. Throws when the archive cannot be read further.
    public mutating func next() throws(SedgateError) -> Entry? {
        if let archive {
            if archive.problems.count > reportedProblems {
                reportedProblems += 1
                return .bad(archive.problems[reportedProblems - 1])
            }
            guard let file = try archive.next() else {
                if archive.problems.count > reportedProblems { return try next() }
                return nil
            }
            defer { position += 1 }
            seen.append(file.name)
            if file.name == "manifest" || (!file.name.contains("/") && file.name.hasSuffix(".manifest")) {
                guard position == 0 else {
                    return .bad(
                        BatchProblem(
                            name: file.name,
                            error: SedgateError(
                                .unsupportedInput,
                                "is a manifest but not the archive's first entry; put it first (tar cf x.tar "
                                    + "batch.manifest *.xml)")))
                }
                manifest = try BatchManifest(bytes: file.bytes, source: "\(file.name) in the archive")
                archiveManifest = file.name
            }
            return .file(file.name, file.bytes)
        }
        guard let folder, let manifest, position < manifest.files.count else { return nil }
        let name = manifest.files[position].name
        position += 1
        let path = folder + "/" + name
        guard FileManager.default.fileExists(atPath: path) || isLink(path) else {
            return .bad(
                BatchProblem(
                    name: name,
                    error: SedgateError(
                        .unsupportedInput,
                        "is listed in the manifest (line \(manifest.files[position - 1].line)) but not in \(shownAs)/",
                        location: .init(file: "\(shownAs)/\(name)"))))
        }
        do {
            return .file(name, try SpoolFile.read(path, maxBytes: maxBytes, shownAs: "\(shownAs)/\(name)"))
        } catch {
            return .bad(BatchProblem(name: name, error: error))
        }
    }

    /// Whether `name` is the archive's own manifest (not a SED).
    public func isManifest(_ name: String) -> Bool { name == archiveManifest }

    /// The problems only the whole batch shows: checksums that differ and, for an archive with a manifest, files
    /// listed but absent or present but not listed. `digests` maps each file read to its SHA-256.
    public func manifestProblems(digests: [String: String]) -> [BatchProblem] {
        guard let manifest else { return [] }
        var problems: [BatchProblem] = []
        for file in manifest.files {
            if let expected = file.sha256, let actual = digests[file.name], actual != expected {
                problems.append(
                    BatchProblem(
                        name: file.name,
                        error: SedgateError(
                            .unsupportedInput,
                            "has SHA-256 \(actual), not \(expected) as the manifest says (line \(file.line)); the "
                                + "file changed or was damaged after the manifest was written")))
            }
        }
        guard archive != nil else { return problems }
        let listed = Set(manifest.files.map(\.name))
        for file in manifest.files where !seen.contains(file.name) {
            problems.append(
                BatchProblem(
                    name: file.name,
                    error: SedgateError(
                        .unsupportedInput, "is listed in the manifest (line \(file.line)) but not in the archive")))
        }
        for name in seen where name != archiveManifest && !listed.contains(name) {
            problems.append(
                BatchProblem(
                    name: name,
                    error: SedgateError(
                        .unsupportedInput, "is in the archive but not listed in its manifest; list it or take it out")
                ))
        }
        return problems
    }

    /// The SHA-256 of `bytes`, in lowercase hex (as `sha256sum` prints it).
    public static func sha256(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    private func isLink(_ path: String) -> Bool {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: path)) != nil
    }
}
