// DirectoryFile: bulk files of directory entries, read and written: CSV (a header `kind,id,<field>...`, several
// values of a field separated by `|`), XML (<directory><entry kind id><field name>value</field>...), and LDIF for
// loading into an LDAP server. Reading reports every bad line by number; the caller applies nothing then.

import Documents
import Foundation
import SedgateCore

/// A bulk file's format.
public enum DirectoryFileFormat: String, Sendable, CaseIterable {
    case csv, xml, ldif, json
}

/// What reading a bulk file gave: the entries with their line numbers, and every problem with its line.
public struct DirectoryFileContents: Sendable {
    public var entries: [(line: Int, entry: DirectoryEntry)] = []
    public var problems: [(line: Int, message: String)] = []
}

/// Reads and writes bulk directory files.
public enum DirectoryFile {
    /// The XML namespace of directory files.
    public static let namespace = "urn:sedgate:directory:1"

    /// Reads `bytes` as `format`; each entry must belong to `country` and `sector` when they are given.
    public static func read(
        _ bytes: [UInt8], format: DirectoryFileFormat, source: String, country: String? = nil, sector: String? = nil
    ) -> DirectoryFileContents {
        var contents: DirectoryFileContents
        switch format {
        case .csv: contents = readCSV(String(decoding: bytes, as: UTF8.self))
        case .xml: contents = readXML(bytes, source: source)
        case .ldif, .json:
            contents = DirectoryFileContents()
            contents.problems.append((1, "\(format.rawValue) files can be exported, not imported; use csv or xml"))
        }
        for (line, entry) in contents.entries {
            if let country {
                let countries = entry.kind == .institution ? [entry.country ?? ""] : entry.fields["country"] ?? []
                if !countries.contains(country) {
                    contents.problems.append(
                        (line, "\(entry.id) is not of country \(country), which this import is for"))
                }
            }
            if let sector, !(entry.fields["sector"] ?? []).contains(sector) {
                contents.problems.append((line, "\(entry.id) is not of sector \(sector), which this import is for"))
            }
        }
        return contents
    }

    // MARK: - CSV

    static func readCSV(_ text: String) -> DirectoryFileContents {
        var contents = DirectoryFileContents()
        let records = csvRecords(text)
        guard let header = records.first else {
            contents.problems.append((1, "the file is empty; the first line names the columns: kind,id,<field>..."))
            return contents
        }
        let columns = header.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        guard columns.count >= 2, columns[0] == "kind", columns[1] == "id" else {
            contents.problems.append((header.line, "the first line must start with the columns kind,id"))
            return contents
        }
        for record in records.dropFirst() where !(record.fields.count == 1 && record.fields[0].isEmpty) {
            guard record.fields.count == columns.count else {
                contents.problems.append(
                    (record.line, "the line has \(record.fields.count) columns; the header names \(columns.count)"))
                continue
            }
            guard let kind = EntryKind(rawValue: record.fields[0]) else {
                contents.problems.append((record.line, "kind '\(record.fields[0])' is neither ap nor ci"))
                continue
            }
            var entry = DirectoryEntry(kind: kind, id: record.fields[1])
            for (column, value) in zip(columns.dropFirst(2), record.fields.dropFirst(2)) where !value.isEmpty {
                entry.fields[column] = value.split(separator: "|", omittingEmptySubsequences: true).map(String.init)
            }
            contents.entries.append((record.line, entry))
        }
        return contents
    }

    /// RFC 4180 records with the line each starts on; quoted fields may hold commas, quotes ("") and line breaks.
    static func csvRecords(_ text: String) -> [(line: Int, fields: [String])] {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var start = 1
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        func next() -> Unicode.Scalar? {
            if let p = pending {
                pending = nil
                return p
            }
            return iterator.next()
        }
        while let c = next() {
            if quoted {
                if c == "\"" {
                    if let after = next() {
                        if after == "\"" {
                            field.unicodeScalars.append("\"")
                        } else {
                            quoted = false
                            pending = after
                        }
                    } else {
                        quoted = false
                    }
                } else {
                    if c == "\n" { line += 1 }
                    field.unicodeScalars.append(c)
                }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",":
                fields.append(field)
                field = ""
            case "\r": break
            case "\n":
                fields.append(field)
                records.append((start, fields))
                fields = []
                field = ""
                line += 1
                start = line
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((start, fields))
        }
        return records
    }

    /// Writes entries as CSV: one column per field any entry has, in name order after kind and id.
    public static func csv(_ entries: [DirectoryEntry]) -> String {
        let columns = Set(entries.flatMap(\.fields.keys)).sorted()
        var out = (["kind", "id"] + columns).joined(separator: ",") + "\n"
        for entry in entries {
            let values =
                [entry.kind.rawValue, entry.id] + columns.map { (entry.fields[$0] ?? []).joined(separator: "|") }
            out += values.map(quote).joined(separator: ",") + "\n"
        }
        return out
    }

    private static func quote(_ value: String) -> String {
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: - XML

    static func readXML(_ bytes: [UInt8], source: String) -> DirectoryFileContents {
        var contents = DirectoryFileContents()
        let tree: XMLTree
        do {
            tree = try XMLTree.parse(
                bytes, source: source, limits: XMLLimits(maxBytes: 2 << 30, maxNodes: 100_000_000))
        } catch {
            contents.problems.append((error.location?.line ?? 1, error.message))
            return contents
        }
        guard tree.root.localName == "directory" else {
            contents.problems.append((tree.root.line, "the root element must be <directory xmlns=\"\(namespace)\">"))
            return contents
        }
        for node in tree.root.children where node.localName == "entry" {
            guard let kind = node.attribute("kind").flatMap(EntryKind.init), let id = node.attribute("id") else {
                contents.problems.append((node.line, "an <entry> needs kind=\"ap\" or kind=\"ci\" and an id"))
                continue
            }
            var entry = DirectoryEntry(kind: kind, id: id)
            for field in node.children where field.localName == "field" {
                guard let name = field.attribute("name") else {
                    contents.problems.append((field.line, "a <field> needs a name"))
                    continue
                }
                entry.fields[name, default: []].append(field.text)
            }
            contents.entries.append((node.line, entry))
        }
        return contents
    }

    /// Writes entries as XML.
    public static func xml(_ entries: [DirectoryEntry]) -> String {
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<directory xmlns=\"\(namespace)\">\n"
        for entry in entries {
            out += "  <entry kind=\"\(entry.kind.rawValue)\" id=\"\(escape(entry.id))\">\n"
            for (name, values) in entry.fields.sorted(by: { $0.key < $1.key }) {
                for value in values { out += "    <field name=\"\(escape(name))\">\(escape(value))</field>\n" }
            }
            out += "  </entry>\n"
        }
        return out + "</directory>\n"
    }

    private static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }

    // MARK: - LDIF

    /// Writes entries as LDIF under `base` (e.g. `dc=eessi,dc=eu`), with the standard schema only (`organization`
    /// and `device` entries, extra attributes in `description`), so a stock OpenLDAP server loads it: an
    /// institution is `o=<address>,ou=institutions,<base>` with its names in `o` and its Latin name in `cn`...
    public static func ldif(_ entries: [DirectoryEntry], base: String, latin: (String) -> String) -> String {
        var out = "dn: \(base)\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\n"
        let firstDC = base.split(separator: ",").first?.split(separator: "=").last.map(String.init) ?? "eessi"
        out += "dc: \(firstDC)\no: EESSI directory\n\n"
        out += "dn: ou=institutions,\(base)\nobjectClass: organizationalUnit\nou: institutions\n\n"
        out += "dn: ou=accesspoints,\(base)\nobjectClass: organizationalUnit\nou: accesspoints\n\n"
        for entry in entries {
            let escapedID = entry.id.replacingOccurrences(of: ",", with: "\\,").replacingOccurrences(
                of: "+", with: "\\+")
            switch entry.kind {
            case .institution:
                out += "dn: o=\(escapedID),ou=institutions,\(base)\nobjectClass: organization\n"
                var names = [entry.id]
                for (key, values) in entry.fields.sorted(by: { $0.key < $1.key }) where key.hasPrefix("name.") {
                    for value in values {
                        for form in [value, latin(value)] where !names.contains(form) { names.append(form) }
                    }
                }
                for name in names { out += attribute("o", name) }
                for value in entry.fields["street"] ?? [] { out += attribute("street", value) }
                for value in entry.fields["postcode"] ?? [] { out += attribute("postalCode", value) }
                for (key, values) in entry.fields where key.hasPrefix("city") {
                    for value in values { out += attribute("l", value) }
                }
                for value in entry.fields["phone"] ?? [] { out += attribute("telephoneNumber", value) }
                if let country = entry.country { out += attribute("st", country) }
                for (key, values) in entry.fields.sorted(by: { $0.key < $1.key })
                where !key.hasPrefix("name.") && !["street", "postcode", "phone"].contains(key)
                    && !key.hasPrefix("city")
                {
                    out += attribute("description", "\(key)=\(values.joined(separator: "|"))")
                }
            case .accessPoint:
                out += "dn: cn=\(escapedID),ou=accesspoints,\(base)\nobjectClass: device\n"
                out += attribute("cn", entry.id)
                for (key, values) in entry.fields.sorted(by: { $0.key < $1.key }) where key != "certificate" {
                    out += attribute("description", "\(key)=\(values.joined(separator: "|"))")
                }
            }
            out += "\n"
        }
        return out
    }

    /// One LDIF attribute line; base64 (`::`) when the value is not safe ASCII.
    private static func attribute(_ name: String, _ value: String) -> String {
        let safe =
            value.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value < 0x7F }
            && !value.hasPrefix(" ") && !value.hasPrefix(":") && !value.hasPrefix("<") && !value.hasSuffix(" ")
        if safe { return "\(name): \(value)\n" }
        return "\(name):: \(Data(value.utf8).base64EncodedString())\n"
    }
}
