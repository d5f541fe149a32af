// Reassembler+Assemble: joins the stored fragments in order, through the inverse transform (decryption), into
// the target file, and verifies the whole payload's size and SHA-256 before the target appears.

import Crypto
public import Foundation
public import SedgateCore

extension Reassembler {
    /// Writes the original payload to `target`: each fragment in order is read, checked against its digest
    /// again, passed through `inverse` (identity by default; `FragmentCipher.open` for encrypted fragments) and
    /// appended. The target appears (temp + fsync + rename) only if the whole payload's SHA-256 matches.
    ///
    /// Memory: one fragment. Throws `.protocolViolation` when fragments are missing (listing them), when a
    /// stored fragment no longer matches its digest (it is removed, so `missing` asks for it again), when
    /// `inverse` fails or gives the wrong size, and when the payload's size or SHA-256 differs from the manifest.
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
        let output = try AtomicFile(path: target)
        var whole = SHA256()
        for fragment in manifest.fragments {
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
                    "fragment \(fragment.index) of payload \(manifest.payloadID) gave \(plain.count) bytes after the "
                        + "inverse transform, but the manifest implies \(expected)")
            }
            whole.update(data: plain)
            try output.write(plain)
        }
        let digest = whole.finalize().hex
        guard digest == manifest.sha256, output.count == manifest.totalSize else {
            throw SedgateError(
                .protocolViolation,
                "the reassembled payload \(manifest.payloadID) (\(output.count) bytes) has SHA-256 \(digest), but "
                    + "the manifest says \(manifest.sha256) for \(manifest.totalSize) bytes; \(target) was not "
                    + "written. The sender's manifest or fragments are wrong: ask for the payload again",
                location: .init(file: target))
        }
        try output.commit()
    }
}
