// ConfigurationTarget: a node's TOML configuration file. The node's own loader (ConfigFile, NodeConfiguration)
// lives in the sedgate executable, which no other target can import; this target fuzzes the library call it wraps,
// TOMLKit's TOMLTable(string:), and reads every value back the way ConfigFile does (tables, strings, integers).

import Foundation
import TOMLKit

/// The TOML target.
enum ConfigurationTarget {
    /// A configuration file's text, parsed and walked.
    static let toml = FuzzTarget(
        name: "toml",
        summary: "TOML configuration: TOMLTable(string:) and every table, key and value read back",
        prepare: {
            { bytes in
                // ConfigFile reads the file as UTF-8 and refuses it otherwise.
                guard let text = String(bytes: bytes, encoding: .utf8), let root = try? TOMLTable(string: text) else {
                    return
                }
                walk(root, depth: 0)
            }
        })

    /// Reads every value below `table` as ConfigFile would (string, int, sub-table), arrays element by element.
    private static func walk(_ table: TOMLTable, depth: Int) {
        guard depth < 64 else { return }
        for key in table.keys {
            guard let value = table[key] else { continue }
            visit(value, depth: depth)
        }
    }

    private static func visit(_ value: any TOMLValueConvertible, depth: Int) {
        _ = value.string
        _ = value.int
        if let table = value.table { walk(table, depth: depth + 1) }
        if let array = value.array {
            for element in array.prefix(1_000) { visit(element, depth: depth + 1) }
        }
    }
}
