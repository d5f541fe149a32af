// ConfigFile: reads one node's TOML file and hands out typed values; every error names the file,
// the table and the key, and unknown keys are refused (a typo must not silently fall back to a default).

import Foundation
import SedgateCore
import TOMLKit

/// A parsed `etc/<node>.toml`, with typed, checked look-ups.
final class ConfigFile {
    let path: String
    private let root: TOMLTable
    /// Keys that were read; anything else in the file is reported as unknown by `checkUnknownKeys()`.
    private var used: Set<String> = []

    init(path: String) throws(SedgateError) {
        self.path = path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SedgateError(
                .configuration, "cannot read the configuration file \(path); check the path given to --config")
        }
        do {
            root = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            throw SedgateError(
                .configuration,
                "\(path) line \(error.source.begin.line), column \(error.source.begin.column): \(error.description)",
                location: .init(file: path, line: error.source.begin.line, column: error.source.begin.column))
        } catch {
            throw SedgateError(.configuration, "\(path) is not valid TOML: \(error)")
        }
    }

    private func value(_ table: String, _ key: String) throws(SedgateError) -> (any TOMLValueConvertible)? {
        used.insert("\(table).\(key)")
        guard let section = root[table] else { return nil }
        guard let sectionTable = section.table else {
            throw fail(table, nil, "must be a table ([\(table)])")
        }
        return sectionTable[key]
    }

    func fail(_ table: String, _ key: String?, _ reason: String) -> SedgateError {
        let name = key.map { "[\(table)] \($0)" } ?? "[\(table)]"
        return SedgateError(.configuration, "\(path): \(name) \(reason)", location: .init(file: path, field: name))
    }

    func string(_ table: String, _ key: String, default fallback: String? = nil) throws(SedgateError) -> String {
        guard let value = try value(table, key) else {
            if let fallback { return fallback }
            throw fail(table, key, "is missing")
        }
        guard let text = value.string else { throw fail(table, key, "must be a string (in quotes)") }
        return text
    }

    func int(_ table: String, _ key: String, default fallback: Int? = nil) throws(SedgateError) -> Int {
        guard let value = try value(table, key) else {
            if let fallback { return fallback }
            throw fail(table, key, "is missing")
        }
        guard let number = value.int else { throw fail(table, key, "must be an integer") }
        return number
    }

    func node(_ table: String, _ key: String) throws(SedgateError) -> NodeID {
        let text = try string(table, key)
        guard let id = NodeID(text) else { throw fail(table, key, "'\(text)' is not a node id ([A-Za-z0-9._-], 1-32)") }
        return id
    }

    func milliseconds(_ table: String, _ key: String, default fallback: Int) throws(SedgateError) -> Duration {
        let value = try int(table, key, default: fallback)
        guard value >= 0 else { throw fail(table, key, "must not be negative") }
        return .milliseconds(value)
    }

    /// A table of string values (e.g. `[peers]`, `[routes]`); every entry counts as used.
    func stringTable(_ table: String) throws(SedgateError) -> [String: String] {
        guard let section = root[table] else { return [:] }
        guard let sectionTable = section.table else { throw fail(table, nil, "must be a table") }
        var result: [String: String] = [:]
        for key in sectionTable.keys {
            used.insert("\(table).\(key)")
            guard let text = sectionTable[key]?.string else { throw fail(table, key, "must be a string (in quotes)") }
            result[key] = text
        }
        return result
    }

    /// The sub-tables of `table` (e.g. `[profiles.claims]`), each as its string values; every key counts as used.
    func subtables(_ table: String) throws(SedgateError) -> [String: [String: String]] {
        guard let section = root[table] else { return [:] }
        guard let sectionTable = section.table else { throw fail(table, nil, "must be a table") }
        var result: [String: [String: String]] = [:]
        for name in sectionTable.keys {
            guard let sub = sectionTable[name]?.table else {
                throw fail(table, name, "must be a table ([\(table).\(name)])")
            }
            var values: [String: String] = [:]
            for key in sub.keys {
                guard let text = sub[key]?.string else {
                    throw fail("\(table).\(name)", key, "must be a string (in quotes)")
                }
                values[key] = text
            }
            used.insert("\(table).\(name)")
            result[name] = values
        }
        return result
    }

    /// Refuses keys this node does not know, so a misspelt key never silently becomes a default.
    func checkUnknownKeys() throws(SedgateError) {
        for table in root.keys.sorted() {
            guard let section = root[table]?.table else { throw fail(table, nil, "must be a table ([\(table)])") }
            for key in section.keys.sorted() where !used.contains("\(table).\(key)") {
                throw fail(
                    table, key,
                    "is not a known setting; etc/demo/ap-be.toml and etc/demo/cn.toml show every key with its default")
            }
        }
    }
}
