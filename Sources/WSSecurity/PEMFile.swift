// PEMFile: reads key and certificate files named in the configuration, with errors that name the file.

import Foundation
import SedgateCore

/// Reads PEM files for `NodeKey`, `PeerCertificate` and `TrustStore`.
enum PEMFile {
    /// The bytes of `path`; `what` says in the error what the file should have held (e.g. "the node's private key").
    static func read(_ path: String, what: String) throws(SedgateError) -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SedgateError(
                .configuration,
                "cannot read \(what) from \(path): \(error.localizedDescription). Check the path in the "
                    + "configuration and that the sedgate user may read the file",
                location: .init(file: path), cause: error)
        }
    }
}
