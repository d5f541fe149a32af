// ConversionsDirectory: finds the `conversions/` folder (environment, repository checkout, or working directory).

import Foundation

/// Where the function library's data files live.
enum ConversionsDirectory {
    /// `$SEDGATE_CONVERSIONS`, else the repository's `conversions/` next to `Sources/`, else `./conversions`.
    static func standard() -> String {
        if let configured = ProcessInfo.processInfo.environment["SEDGATE_CONVERSIONS"], !configured.isEmpty {
            return configured
        }
        // #filePath is …/Sources/ConversionFunctions/ConversionsDirectory.swift: three levels up is the repository.
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let candidate = repository.appendingPathComponent("conversions").path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
            return candidate
        }
        return FileManager.default.currentDirectoryPath + "/conversions"
    }
}
