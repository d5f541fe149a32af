// ConfigurationTarget: a node's TOML configuration file, read as `sedgate ap|cn --config` reads it: ConfigFile
// (TOMLKit underneath) and the look-ups NodeConfiguration makes, down to the refusal of unknown keys.

import ConfigurationFile
import Foundation

/// The TOML target.
enum ConfigurationTarget {
    /// A configuration file's text, loaded and read back.
    static let toml = FuzzTarget(
        name: "toml",
        summary: "TOML configuration: ConfigFile(path:), typed look-ups, unknown keys",
        prepare: {
            // ConfigFile reads a path, so each input is written to this process's own file first.
            let folder = NSTemporaryDirectory() + "/sedgate-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = folder + "/node.toml"
            return { bytes in
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)),
                    let file = try? ConfigFile(path: path)
                else { return }
                for (table, key) in [("node", "role"), ("node", "spool"), ("server", "host"), ("cn", "url")] {
                    _ = try? file.string(table, key)
                }
                for (table, key) in [("server", "port"), ("pack", "max-seds"), ("limits", "min-free-mb")] {
                    _ = try? file.int(table, key)
                }
                _ = try? file.node("node", "id")
                _ = try? file.milliseconds("retry", "initial-ms", default: 250)
                _ = try? file.stringTable("routes")
                _ = try? file.stringTable("peers")
                _ = try? file.subtables("profiles")
                _ = try? file.checkUnknownKeys()
            }
        })
}
