// FragmentInbox: where a node keeps the fragments of large payloads that arrive ahead of the sealed SED whose
// manifest describes them: `<root>/frag-<payloadID>/<payloadID>.<index>.frag`, the names a Reassembler reads.
// Writes each fragment through a temporary name, fsync and rename, so a fragment acknowledged is a fragment kept.

public import Foundation
public import SedgateCore

/// The fragments received per payload, before (and until) their manifest arrives.
public struct FragmentInbox: Sendable {
    /// The folder holding one `frag-<payloadID>` folder per payload (a node's var/store/).
    public let root: String

    /// Makes an inbox under `root`.
    public init(root: String) {
        self.root = root
    }

    /// The folder of one payload's fragments.
    public func directory(for payloadID: String) -> String {
        Syscall.join(root, "frag-\(payloadID)")
    }

    /// Whether fragments of `payloadID` are kept here.
    public func holds(_ payloadID: String) -> Bool {
        Syscall.isDirectory(directory(for: payloadID))
    }

    /// Keeps fragment `index` of `payloadID` (its digest was checked against the message that carried it; the
    /// manifest's check comes when the sealed SED arrives). Idempotent: a fragment sent again replaces itself.
    public func accept(payloadID: String, index: Int, data: Data) throws(SedgateError) {
        try FragmentManifest.check(payloadID: payloadID)
        let folder = directory(for: payloadID)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw SedgateError(
                .io, "cannot create \(folder) for fragments", location: .init(file: folder), cause: error)
        }
        let output = try DurableFile(
            path: Syscall.join(folder, FragmentManifest.fileName(payloadID: payloadID, index: index)))
        try output.write(data)
        try output.commit()
    }

    /// A reassembler over the fragments kept for `manifest`'s payload.
    public func reassembler(for manifest: FragmentManifest) throws(SedgateError) -> Reassembler {
        let folder = directory(for: manifest.payloadID)
        if !Syscall.isDirectory(folder) {
            do {
                try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            } catch {
                throw SedgateError(.io, "cannot create \(folder)", location: .init(file: folder), cause: error)
            }
        }
        return try Reassembler(manifest: manifest, directory: folder)
    }

    /// Checks every fragment kept for `manifest` against its digest, streaming one at a time (what the CN does
    /// before it takes responsibility for a large SED). Throws naming the first missing or altered fragment.
    public func verify(_ manifest: FragmentManifest) throws(SedgateError) {
        let reassembler = try reassembler(for: manifest)
        let missing = reassembler.missing
        guard missing.isEmpty else {
            throw SedgateError(
                .protocolViolation,
                "\(missing.count) of the \(manifest.fragmentCount) fragments of payload \(manifest.payloadID) never "
                    + "arrived (first: \(missing[0])); send them again before the SED")
        }
        for fragment in manifest.fragments {
            let digest = try PayloadDigest.sha256(file: reassembler.path(ofFragment: fragment.index))
            guard digest == fragment.sha256 else {
                throw SedgateError(
                    .signatureInvalid,
                    "fragment \(fragment.index) of payload \(manifest.payloadID) is not the one the sender signed "
                        + "in its manifest (SHA-256 \(digest), signed \(fragment.sha256))")
            }
        }
    }

    /// Forgets the fragments of `payloadID` (after delivery, or when the SED failed).
    public func remove(_ payloadID: String) {
        let path = directory(for: payloadID)
        // Most SEDs never had fragments here: checked first, as a failed removal costs an error object for nothing.
        guard access(path, F_OK) == 0 else { return }
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The payload ids with fragments kept here.
    public func payloadIDs() -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []).filter { $0.hasPrefix("frag-") }.map {
            String($0.dropFirst(5))
        }
    }
}
