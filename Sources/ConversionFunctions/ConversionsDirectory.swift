// ConversionsDirectory: finds the `conversions/` folder at run time, from where the sedgate binary is installed,
// never from a path compiled in at build time (which names the build machine's checkout, not the installation).

import Foundation
public import SedgateCore

/// Where the function library's data files (code lists, transliteration tables, stylesheets) live.
///
/// The first of these that is a folder wins; when none is, the error lists every path tried:
/// 1. a configured path: the node file's `[conversions] directory`, else `$SEDGATE_CONVERSIONS` (when one is
///    given, it is the only place looked at: a configured folder that is missing is an error, not a fallback);
/// 2. beside the binary: `<bin>/../share/sedgate/conversions` (an installation: `/usr/local/bin/sedgate` →
///    `/usr/local/share/sedgate/conversions`; symbolic links to the binary are followed first), then, for a
///    build inside a source checkout (`<checkout>/.build/<triple>/<debug|release>/sedgate`), `<checkout>/conversions`;
/// 3. beside the node's configuration file: `<folder of the .toml>/conversions`;
/// 4. the working directory: `./conversions`.
public enum ConversionsDirectory {
    /// The folder to load, or a `.configuration` error naming every place tried.
    /// - Parameters:
    ///   - configured: a path given in configuration (`[conversions] directory`), relative to the working directory.
    ///   - configurationFile: the node's configuration file, whose folder is searched too.
    public static func find(configured: String? = nil, configurationFile: String? = nil) throws(SedgateError) -> String
    {
        let environment = ProcessInfo.processInfo.environment["SEDGATE_CONVERSIONS"].flatMap { $0.isEmpty ? nil : $0 }
        let candidates = Self.candidates(
            configured: configured, environment: environment, executable: executablePath(),
            configurationFile: configurationFile, workingDirectory: FileManager.default.currentDirectoryPath)
        for candidate in candidates where isFolder(candidate.path) { return candidate.path }
        let tried = candidates.map { "\($0.path) (\($0.reason))" }.joined(separator: "; ")
        throw SedgateError(
            .configuration,
            "no conversions/ folder (code lists, transliteration tables) was found; tried: \(tried). Install it as "
                + "<prefix>/share/sedgate/conversions beside <prefix>/bin/sedgate, or name it with "
                + "$SEDGATE_CONVERSIONS or [conversions] directory in the node's file")
    }

    /// The places to look, in order, each with why it is looked at.
    static func candidates(
        configured: String?, environment: String?, executable: String?, configurationFile: String?,
        workingDirectory: String
    ) -> [(path: String, reason: String)] {
        func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : workingDirectory + "/" + path }
        if let configured { return [(absolute(configured), "[conversions] directory")] }
        if let environment { return [(absolute(environment), "$SEDGATE_CONVERSIONS")] }
        var result: [(path: String, reason: String)] = []
        if let executable {
            let bin = URL(fileURLWithPath: executable).deletingLastPathComponent()
            let prefix = bin.deletingLastPathComponent()
            result.append((prefix.appendingPathComponent("share/sedgate/conversions").path, "beside the binary"))
            let checkout = prefix.deletingLastPathComponent().deletingLastPathComponent()
            if bin.deletingLastPathComponent().deletingLastPathComponent().lastPathComponent == ".build",
                FileManager.default.fileExists(atPath: checkout.appendingPathComponent("Package.swift").path)
            {
                result.append(
                    (checkout.appendingPathComponent("conversions").path, "the checkout the binary was built in"))
            }
        }
        if let configurationFile {
            let folder = URL(fileURLWithPath: absolute(configurationFile)).deletingLastPathComponent()
            result.append((folder.appendingPathComponent("conversions").path, "beside the configuration file"))
        }
        result.append((absolute("conversions"), "the working directory"))
        return result
    }

    /// The running binary, with symbolic links resolved.
    static func executablePath() -> String? {
        if let resolved = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            return resolved
        }
        let first = CommandLine.arguments.first ?? ""
        return first.contains("/") ? URL(fileURLWithPath: first).resolvingSymlinksInPath().path : nil
    }

    private static func isFolder(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
