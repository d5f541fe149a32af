// DirectorySchema: the directory's fields, which are mandatory per kind, their types and code lists, with labels
// per language (FS-24: a new attribute or code is a line in conversions/directory/schema.json, not code).
// Reads the schema file; writes nothing. A malformed file is refused naming it.

import Foundation
public import SedgateCore

/// The fields an entry may have, and the checks an entry must pass before it is applied.
public struct DirectorySchema: Sendable, Codable {
    /// One field.
    public struct Field: Sendable, Codable {
        /// The kinds of entry (`ap`, `ci`) that may carry it.
        public var kinds: [EntryKind]
        /// `text`, `code`, `boolean`, `url`, `node`, `certificate`, `address`, `email`.
        public var type: String
        /// For `code`: the code list's id in `codes`.
        public var codes: String?
        /// Whether it takes several values.
        public var multiple: Bool?
        /// Whether it is written per language (`name.el`, `name.de`).
        public var localized: Bool?
        /// Whether free-text search reads it.
        public var searchable: Bool?
        /// Operational data, left out of the public copy (AP URLs, certificates).
        public var operational: Bool?
        /// Its name per language.
        public var label: [String: String]
    }

    /// One kind of entry.
    public struct Kind: Sendable, Codable {
        public var label: [String: String]
        /// The fields an entry of this kind must have (a localized one: in at least one language).
        public var mandatory: [String]
    }

    public var description: String?
    public var kinds: [String: Kind]
    public var fields: [String: Field]
    /// Code lists: list id → code → language → label.
    public var codes: [String: [String: [String: String]]]

    /// Reads `schema.json` of the conversions folder's `directory/`.
    public static func load(_ path: String) throws(SedgateError) -> DirectorySchema {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw SedgateError(
                .configuration, "the directory schema cannot be read; it is conversions/directory/schema.json",
                location: .init(file: path))
        }
        do {
            return try JSONDecoder().decode(DirectorySchema.self, from: data)
        } catch {
            throw SedgateError(
                .configuration, "the directory schema is not valid: \(error)", location: .init(file: path))
        }
    }

    /// The field a key names: `name.el` → `name`.
    public static func base(_ key: String) -> String {
        key.split(separator: ".", maxSplits: 1).first.map(String.init) ?? key
    }

    /// Everything wrong with `entry`, each naming the field; empty when it may be applied.
    public func problems(_ entry: DirectoryEntry) -> [String] {
        var problems: [String] = []
        switch entry.kind {
        case .accessPoint:
            if NodeID(entry.id) == nil {
                problems.append("id '\(entry.id)' is not a node id (letters, digits, . _ -)")
            }
        case .institution:
            if Address(entry.id) == nil {
                problems.append("id '\(entry.id)' is not an institution address CC:INSTITUTION[:OFFICE[:EXTRA]]")
            }
        }
        let present = Set(entry.fields.filter { !$0.value.allSatisfy(\.isEmpty) }.keys.map(Self.base))
        for name in kinds[entry.kind.rawValue]?.mandatory ?? [] where !present.contains(name) {
            problems.append("mandatory field '\(name)' is missing")
        }
        for (key, values) in entry.fields.sorted(by: { $0.key < $1.key }) {
            let name = Self.base(key)
            guard let field = fields[name], field.kinds.contains(entry.kind) else {
                problems.append("field '\(key)' is not a field of a \(entry.kind.rawValue) entry in the schema")
                continue
            }
            if field.localized == true, key == name {
                problems.append("field '\(key)' is written per language: \(name).en, \(name).el, ...")
            }
            if field.localized != true, key != name {
                problems.append("field '\(key)': '\(name)' takes no language suffix")
            }
            if field.multiple != true, values.count > 1 {
                problems.append("field '\(key)' takes one value, not \(values.count)")
            }
            for value in values {
                if let problem = check(value, field) { problems.append("field '\(key)': \(problem)") }
            }
        }
        return problems
    }

    private func check(_ value: String, _ field: Field) -> String? {
        switch field.type {
        case "code":
            guard let list = field.codes.flatMap({ codes[$0] }) else { return "its code list is missing" }
            if list[value] == nil {
                return
                    "'\(value)' is not a code of '\(field.codes ?? "")' (\(list.keys.sorted().joined(separator: ", ")))"
            }
        case "boolean":
            if value != "true" && value != "false" { return "'\(value)' is neither true nor false" }
        case "url":
            if !value.hasPrefix("https://") && value != "pull" { return "'\(value)' is not an https:// URL" }
        case "node":
            if NodeID(value) == nil { return "'\(value)' is not a node id" }
        case "address":
            if Address(value) == nil { return "'\(value)' is not CC:INSTITUTION[:OFFICE[:EXTRA]]" }
        case "email":
            if !value.contains("@") { return "'\(value)' is not an e-mail address" }
        case "certificate":
            if !value.contains("-----BEGIN CERTIFICATE-----") { return "is not a PEM certificate" }
        default:
            if value.isEmpty { return "is empty" }
        }
        return nil
    }

    /// The label of `code` in list `list`, in `language` (else English, else the code).
    public func label(code: String, list: String, language: String) -> String {
        let labels = codes[list]?[code] ?? [:]
        return labels[language] ?? labels["en"] ?? code
    }

    /// The label of a field in `language` (else English, else its name).
    public func label(field: String, language: String) -> String {
        let labels = fields[Self.base(field)]?.label ?? [:]
        let suffix = field.contains(".") ? " (\(field.split(separator: ".").last ?? ""))" : ""
        return (labels[language] ?? labels["en"] ?? field) + suffix
    }

    /// Whether `field` is operational data (left out of the public copy).
    public func isOperational(_ field: String) -> Bool { fields[Self.base(field)]?.operational == true }
}
