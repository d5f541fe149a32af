// DataFile: reads the TSV data files admins write (a `# key: value` metadata header, then tab-separated rows).

import Foundation
import SedgateCore

/// A parsed data file: metadata from the leading `# key: value` lines, then rows of tab-separated cells.
///
/// Lines starting with `#` are comments (metadata when they look like `# key: value` and come before the first
/// row); blank lines are skipped. Cells keep their spaces: a code list may map to a value with spaces.
struct DataFile: Sendable {
    /// One row and the 1-based line it came from, for error messages.
    struct Row: Sendable {
        let line: Int
        let cells: [String]
    }

    /// The file path, as given.
    let path: String
    /// Metadata keys (lower-cased) and values.
    let metadata: [String: String]
    /// The data rows, in file order.
    let rows: [Row]

    /// Reads and splits `path`; refuses a file that is not UTF-8.
    init(path: String) throws(SedgateError) {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw SedgateError(
                .io, "cannot read data file \(path); check that it exists and is readable",
                location: .init(file: path), cause: error)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw SedgateError(
                .configuration, "data file \(path) is not UTF-8 text; save it as UTF-8", location: .init(file: path))
        }
        var metadata: [String: String] = [:]
        var rows: [Row] = []
        // Split on LF only and drop a trailing CR, so files saved on Windows read the same.
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.hasSuffix("\r") ? String(rawLine.dropLast()) : String(rawLine)
            if line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            if line.hasPrefix("#") {
                let body = line.dropFirst().trimmingCharacters(in: .whitespaces)
                if rows.isEmpty, let colon = body.firstIndex(of: ":") {
                    let key = body[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                    let value = body[body.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    if !key.isEmpty, !key.contains(" ") { metadata[key] = value }
                }
                continue
            }
            rows.append(
                Row(
                    line: index + 1,
                    cells: line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)))
        }
        self.metadata = metadata
        self.rows = rows
    }

    /// Metadata value `key`, or a `.configuration` error naming the file when it is missing.
    func required(_ key: String) throws(SedgateError) -> String {
        guard let value = metadata[key], !value.isEmpty else {
            throw SedgateError(
                .configuration, "data file \(path) has no '# \(key): …' line in its header; add one",
                location: .init(file: path, line: 1))
        }
        return value
    }

    /// Metadata `key` read as yes/no (`yes`, `true`, `no`, `false`), `fallback` when absent.
    func flag(_ key: String, default fallback: Bool) throws(SedgateError) -> Bool {
        guard let value = metadata[key] else { return fallback }
        switch value.lowercased() {
        case "yes", "true": return true
        case "no", "false": return false
        default:
            throw SedgateError(
                .configuration, "data file \(path): '# \(key): \(value)' must be yes or no",
                location: .init(file: path))
        }
    }

    /// The `.tsv` files in `directory`, sorted; none when the directory does not exist.
    static func files(in directory: String) throws(SedgateError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue
        else { return [] }
        do {
            return try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tsv") }
                .sorted().map { directory + "/" + $0 }
        } catch {
            throw SedgateError(
                .io, "cannot list \(directory); check its permissions", location: .init(file: directory), cause: error)
        }
    }
}
