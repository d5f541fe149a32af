// Fragmenter: cuts a payload file into numbered fragments, transforming (encrypting) each, and builds the
// manifest. Reads the file one fragment at a time; writes `<payloadID>.<index>.frag` files durably.

import Crypto
public import Foundation
public import SedgateCore

/// Splits large payloads into fragments for sending one by one.
public enum Fragmenter {
    /// Cuts the file at `path` into fragments of `fragmentSize` bytes (the last may be shorter), passes each
    /// through `transform` (identity by default; `FragmentCipher.seal` for encryption) and writes the result to
    /// `<directory>/<payloadID>.<index>.frag` (temp + fsync + rename). Returns the manifest describing them. With no
    /// `directory` nothing is written: the manifest alone, for a sender that makes each fragment again when it sends
    /// it (`fragment(_:of:file:transform:)`), so a payload never takes twice its size on disk.
    ///
    /// Memory: one fragment and its transform. Throws `.io` for file problems, `.hostileInput` for an unusable
    /// payload id, `.protocolViolation` for a fragment size out of range or a transform that fails or grows a
    /// fragment by more than `FragmentManifest.maxTransformOverhead`.
    public static func split(
        file path: String, fragmentSize: Int, payloadID: String, contentType: String = "application/octet-stream",
        fileName: String? = nil, into directory: String?,
        transform: (_ index: Int, _ fragment: Data) throws -> Data = { $1 }
    ) throws(SedgateError) -> FragmentManifest {
        try FragmentManifest.check(payloadID: payloadID)
        guard (1...FragmentManifest.maxFragmentSize).contains(fragmentSize) else {
            throw SedgateError(
                .protocolViolation,
                "fragment size \(fragmentSize) is out of range; choose 1 to \(FragmentManifest.maxFragmentSize) bytes")
        }
        if let directory, !Syscall.isDirectory(directory) {
            throw SedgateError(
                .io, "\(directory) is not a folder; create it before splitting into it",
                location: .init(file: directory))
        }
        let input = try ReadableFile(path: path)
        let totalSize = try input.size()
        let count = FragmentManifest.fragmentCount(totalSize: totalSize, fragmentSize: fragmentSize)
        guard count <= Int64(FragmentManifest.maxFragmentCount) else {
            throw SedgateError(
                .protocolViolation,
                "\(path) would make \(count) fragments of \(fragmentSize) bytes; choose a larger fragment size",
                location: .init(file: path))
        }
        var whole = SHA256()
        var fragments: [FragmentManifest.Fragment] = []
        for index in 0..<Int(count) {
            let offset = Int64(index) * Int64(fragmentSize)
            let plain = try input.read(count: Int(min(Int64(fragmentSize), totalSize - offset)), at: offset)
            whole.update(data: plain)
            let sent = try FragmentTransform.apply(
                transform, index: index, data: plain, payloadID: payloadID, purpose: "the transform")
            guard Int64(sent.count) <= Int64(plain.count) + FragmentManifest.maxTransformOverhead else {
                throw SedgateError(
                    .protocolViolation,
                    "fragment \(index) of payload \(payloadID) grew from \(plain.count) to \(sent.count) bytes in the "
                        + "transform; at most \(FragmentManifest.maxTransformOverhead) bytes may be added")
            }
            if let directory {
                let output = try DurableFile(
                    path: Syscall.join(directory, FragmentManifest.fileName(payloadID: payloadID, index: index)))
                try output.write(sent)
                try output.commit()
            }
            fragments.append(.init(index: index, size: Int64(sent.count), sha256: SHA256.hex(sent)))
        }
        // The file must not have grown while it was read: the manifest would describe a prefix of it.
        guard try input.size() == totalSize else {
            throw SedgateError(
                .io, "\(path) changed size while it was split; split it again once it is complete",
                location: .init(file: path))
        }
        return try FragmentManifest(
            payloadID: payloadID, totalSize: totalSize, fragmentSize: fragmentSize, fragments: fragments,
            sha256: whole.finalize().hex, contentType: contentType, fileName: fileName)
    }

    /// Fragment `index` of `manifest` made again from the payload at `path` through the same `transform` (which
    /// must be deterministic, as `FragmentCipher.seal` is: its nonce comes from the index). Throws `.io` when the
    /// payload no longer gives the fragment the manifest describes.
    public static func fragment(
        _ index: Int, of manifest: FragmentManifest, file path: String,
        transform: (_ index: Int, _ fragment: Data) throws -> Data = { $1 }
    ) throws(SedgateError) -> Data {
        guard manifest.fragments.indices.contains(index) else {
            throw SedgateError(
                .protocolViolation, "payload \(manifest.payloadID) has no fragment \(index)",
                location: .init(file: path))
        }
        let input = try ReadableFile(path: path)
        let offset = Int64(index) * Int64(manifest.fragmentSize)
        let plain = try input.read(count: manifest.originalSize(ofFragment: index), at: offset)
        let sent = try FragmentTransform.apply(
            transform, index: index, data: plain, payloadID: manifest.payloadID, purpose: "the transform")
        guard SHA256.hex(sent) == manifest.fragments[index].sha256 else {
            throw SedgateError(
                .io,
                "fragment \(index) of payload \(manifest.payloadID) made from \(path) differs from its manifest: the "
                    + "payload changed after it was split", location: .init(file: path))
        }
        return sent
    }
}
