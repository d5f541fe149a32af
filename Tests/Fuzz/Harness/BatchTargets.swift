// BatchTargets: what a national producer commits as one batch: the manifest of `<batch>.manifest`, and an archive
// (zip, tar, tar.gz, tar.zst) read as a stream under the node's limits.

import Batches
import Foundation
import Glibc
import SedgateTesting

/// The batch-manifest and archive targets.
enum BatchTargets {
    /// A batch manifest: `BatchManifest(bytes:source:)`, then every name and checksum it lists.
    static let manifest = FuzzTarget(
        name: "batch-manifest",
        summary: "a <batch>.manifest: BatchManifest, its files, checksums and envelope defaults",
        prepare: {
            { bytes in
                guard let manifest = try? BatchManifest(bytes: bytes, source: "fuzz") else { return }
                for file in manifest.files.prefix(1_000) { _ = (file.name, file.sha256, file.line) }
                _ = manifest.defaults.count
            }
        })

    /// An archive: `ArchiveStream` over the input (written to a file, as the node reads one), every entry and
    /// problem, under small limits so a bomb is judged quickly.
    static let archive = FuzzTarget(
        name: "archive",
        summary: "an archive batch: ArchiveStream (libarchive) under limits, every entry and refusal",
        prepare: {
            let path = "/dev/shm/sedgate-fuzz-archive-\(getpid())"
            let limits = ArchiveLimits(maxEntries: 256, maxTotalBytes: 8 << 20, maxEntryBytes: 1 << 20, maxRatio: 200)
            return { bytes in
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
                guard let stream = try? ArchiveStream(path: path, shownAs: "fuzz", limits: limits) else { return }
                while let file = try? stream.next() { _ = file.bytes.count }
                _ = stream.problems.count
            }
        },
        writeSeeds: { folder in
            let sed = Array("<SED xmlns=\"urn:eessi:sedgate:sed:1\"/>".utf8)
            let seeds: [(String, TestArchive.Format, [TestArchive.Entry])] = [
                (
                    "plain.tar", .tar,
                    [.init("a.xml", .file(sed)), .init("d/", .directory), .init("d/b.xml", .file(sed))]
                ),
                (
                    "gzip.tar.gz", .tarGzip,
                    [.init("batch.manifest", .file(Array("a.xml\n".utf8))), .init("a.xml", .file(sed))]
                ),
                ("zstd.tar.zst", .tarZstd, [.init("a.xml", .file(sed))]),
                ("plain.zip", .zip, [.init("a.xml", .file(sed)), .init("a.xml", .file(sed))]),
                (
                    "hostile.tar", .tar,
                    [
                        .init("../x", .file(sed)), .init("/abs", .file(sed)), .init("l", .symlink("/etc/passwd")),
                        .init("h", .hardlink("a")), .init("c", .characterDevice),
                    ]
                ),
            ]
            for (name, format, entries) in seeds {
                try TestArchive.write(entries, format: format, to: folder + "/seed-" + name)
            }
        })
}
