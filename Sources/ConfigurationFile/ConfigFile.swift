// ConfigFile: reads one node's TOML file and hands out typed values; every error names the file,
// the table and the key, and unknown keys are refused (a typo must not silently fall back to a default).

import Foundation
public import SedgateCore
import TOMLKit

/// A parsed `etc/<node>.toml`, with typed, checked look-ups.
public final class ConfigFile {
    /// The file's path, as given.
    public let path: String
    private let root: TOMLTable
    /// Keys that were read; anything else in the file is reported as unknown by `checkUnknownKeys()`.
    private var used: Set<String> = []

    /// Reads and parses the file; throws `.configuration` naming the file (and the line, for a syntax error).
    public init(path: String) throws(SedgateError) {
        self.path = path
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw SedgateError(
                .configuration, "cannot read the configuration file \(path); check the path given to --config")
        }
        if let line = Self.unnamedTableHeader(in: text) {
            throw SedgateError(
                .configuration,
                "a table header names its table, e.g. [node] or [profiles.claims]",
                location: .init(file: path, line: line))
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

    /// The line of the first table header (`[...]` or `[[...]]` starting a line) whose name starts with a character
    /// no key can start with (`[#x]`, `[=]`, a lone `[`), or nil. TOMLKit's parser (toml++) aborts the whole process on such a
    /// header (a failed assertion) instead of reporting it, so it is refused here first. Lines inside multi-line
    /// strings are skipped; a line of a multi-line array is taken for a header, which costs nothing since no setting
    /// takes an array.
    static func unnamedTableHeader(in text: String) -> Int? {
        // The multi-line string (""" or ''') the lines so far left open, if any.
        var openString: String?
        // TOML's line ends: LF and CRLF (one Character in Swift, so splitting at "\n" alone would miss it).
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (index, line) in lines.enumerated() {
            let trimmed = line.drop(while: { $0 == " " || $0 == "\t" || $0 == "\u{FEFF}" })
            if openString == nil, trimmed.first == "[" {
                var name = trimmed.dropFirst()
                if name.first == "[" { name = name.dropFirst() }
                // Nothing after the bracket counts too: toml++ then asserts on the line feed.
                let first = name.first(where: { $0 != " " && $0 != "\t" })
                guard let first, first.isASCII, first.isLetter || first.isNumber || "-_\"']".contains(first) else {
                    return index + 1
                }
            }
            // An odd number of delimiters on a line opens or closes a multi-line string.
            for quote in ["\"\"\"", "'''"] where openString == nil || openString == quote {
                if line.components(separatedBy: quote).count % 2 == 0 { openString = openString == nil ? quote : nil }
            }
        }
        return nil
    }

    private func value(_ table: String, _ key: String) throws(SedgateError) -> (any TOMLValueConvertible)? {
        used.insert("\(table).\(key)")
        guard let section = root[table] else { return nil }
        guard let sectionTable = section.table else {
            throw fail(table, nil, "must be a table ([\(table)])")
        }
        return sectionTable[key]
    }

    /// The error for `[table] key` (or the whole table when `key` is nil): the file, the name, then `reason`.
    public func fail(_ table: String, _ key: String?, _ reason: String) -> SedgateError {
        let name = key.map { "[\(table)] \($0)" } ?? "[\(table)]"
        return SedgateError(.configuration, "\(path): \(name) \(reason)", location: .init(file: path, field: name))
    }

    /// The string at `[table] key`, else `fallback`; throws when missing without a fallback, or not a string.
    public func string(_ table: String, _ key: String, default fallback: String? = nil) throws(SedgateError) -> String {
        guard let value = try value(table, key) else {
            if let fallback { return fallback }
            throw fail(table, key, "is missing")
        }
        guard let text = value.string else { throw fail(table, key, "must be a string (in quotes)") }
        return text
    }

    /// The integer at `[table] key`, else `fallback`; throws when missing without a fallback, or not an integer.
    public func int(_ table: String, _ key: String, default fallback: Int? = nil) throws(SedgateError) -> Int {
        guard let value = try value(table, key) else {
            if let fallback { return fallback }
            throw fail(table, key, "is missing")
        }
        guard let number = value.int else { throw fail(table, key, "must be an integer") }
        return number
    }

    /// The boolean at `[table] key`, else `fallback`; throws when not a boolean.
    public func bool(_ table: String, _ key: String, default fallback: Bool) throws(SedgateError) -> Bool {
        guard let value = try value(table, key) else { return fallback }
        guard let flag = value.bool else { throw fail(table, key, "must be true or false") }
        return flag
    }

    /// The array of strings at `[table] key` (on one line, e.g. a command's argv), else `[]`.
    public func strings(_ table: String, _ key: String) throws(SedgateError) -> [String] {
        guard let value = try value(table, key) else { return [] }
        guard let array = value.array else {
            throw fail(table, key, "must be an array of strings, e.g. [\"a\", \"b\"]")
        }
        var result: [String] = []
        for element in array {
            guard let text = element.string else { throw fail(table, key, "must hold strings only") }
            result.append(text)
        }
        return result
    }

    /// The node id at `[table] key`; throws when missing or not a node id.
    public func node(_ table: String, _ key: String) throws(SedgateError) -> NodeID {
        let text = try string(table, key)
        guard let id = NodeID(text) else { throw fail(table, key, "'\(text)' is not a node id ([A-Za-z0-9._-], 1-32)") }
        return id
    }

    /// The non-negative milliseconds at `[table] key` as a duration, else `fallback`.
    public func milliseconds(_ table: String, _ key: String, default fallback: Int) throws(SedgateError) -> Duration {
        let value = try int(table, key, default: fallback)
        guard value >= 0 else { throw fail(table, key, "must not be negative") }
        return .milliseconds(value)
    }

    /// A table of string values (e.g. `[peers]`, `[routes]`); every entry counts as used.
    public func stringTable(_ table: String) throws(SedgateError) -> [String: String] {
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
    public func subtables(_ table: String) throws(SedgateError) -> [String: [String: String]] {
        guard let section = root[table] else { return [:] }
        guard let sectionTable = section.table else { throw fail(table, nil, "must be a table") }
        var result: [String: [String: String]] = [:]
        for name in sectionTable.keys {
            guard let sub = sectionTable[name]?.table else {
                throw fail(table, name, "must be a table ([\(table).\(name)])")
            }
            var values: [String: String] = [:]
            for key in sub.keys {
                // A whole number is read as its digits (`max-count = 500`), for the tables that take counts.
                guard let text = sub[key]?.string ?? sub[key]?.int.map(String.init) else {
                    throw fail("\(table).\(name)", key, "must be a string (in quotes) or a whole number")
                }
                values[key] = text
            }
            used.insert("\(table).\(name)")
            result[name] = values
        }
        return result
    }

    /// Refuses keys this node does not know, so a misspelt key never silently becomes a default.
    public func checkUnknownKeys() throws(SedgateError) {
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
