// SedgateBinary: finds the built `sedgate` executable for end-to-end tests (beside the test bundle).

import Foundation
import SedgateCore

/// Locates the `sedgate` executable.
public enum SedgateBinary {
    /// `$SEDGATE_BINARY`, or `sedgate` in the folder of the running executable (SwiftPM puts the test
    /// bundle and the products side by side). Throws, saying how to build it, when it is missing.
    public static func path() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["SEDGATE_BINARY"], !explicit.isEmpty { return explicit }
        let running =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let candidate = URL(fileURLWithPath: running).deletingLastPathComponent().appendingPathComponent("sedgate").path
        guard FileManager.default.isExecutableFile(atPath: candidate) else {
            throw SedgateError(
                .notFound,
                "no sedgate executable at \(candidate); build it first (`swift build --build-tests`, as `make test` does)"
            )
        }
        return candidate
    }
}
