// TemporaryDirectory: a unique, empty folder for one test, removed when the value goes away.
// Creates a folder under $TMPDIR (or /tmp) and deletes it with its contents on deinit.

import Foundation
import Glibc
public import SedgateCore

/// A fresh folder for one test. Removed, with everything in it, when the last reference goes away
/// (set `SEDGATE_KEEP_TMP=1` to keep it for inspection).
public final class TemporaryDirectory: Sendable {
    /// The absolute path of the folder.
    public let path: String

    /// Creates `<tmp>/<label>.XXXXXX`; throws `.io` when the temporary folder cannot be written.
    public init(_ label: String = "sedgate") throws(SedgateError) {
        let base = ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        let safeLabel = String(label.map { $0.isLetter || $0.isNumber || $0 == "-" ? $0 : "_" }.prefix(40))
        var template = Array("\(base)/\(safeLabel).XXXXXX".utf8CString)
        guard let created = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw SedgateError(
                .io,
                "could not create a temporary folder under \(base): \(String(cString: strerror(errno))); "
                    + "check that it exists and is writable, or set TMPDIR")
        }
        path = String(cString: created)
    }

    /// `path` joined with a relative path.
    public func appending(_ relative: String) -> String {
        path + "/" + relative
    }

    deinit {
        if ProcessInfo.processInfo.environment["SEDGATE_KEEP_TMP"] == nil {
            try? FileManager.default.removeItem(atPath: path)
        }
    }
}
