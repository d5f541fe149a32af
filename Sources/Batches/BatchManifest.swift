// BatchManifest: the text file that commits an outbound batch: the files it holds, an optional SHA-256 of
// each, and optional default envelope fields. Pure parsing; reads and writes nothing.

import Foundation
public import SedgateCore

/// What `<batch>.manifest` says: the batch's files in order, their checksums, and envelope defaults.
///
/// The format is line-based, so `sha256sum` writes most of it:
///
/// ```
/// # lines starting with # are comments; blank lines are ignored
/// Sender = BE:1000              # a default envelope field: <Field> = <value> (the field's XML name)
/// Receiver = DK:2000
/// 9f86d081...0f00a08  claim-0001.xml     # sha256sum's own line: 64 hex digits, two spaces (or " *"), the name
/// claim-0002.xml                         # a name alone: no checksum
/// ```
///
/// A default fills a field a SED leaves out; a field a SED writes is kept. Names are plain file names (no `/`,
/// not starting with a dot), each listed once.
public struct BatchManifest: Sendable, Hashable {
    /// One listed file.
    public struct File: Sendable, Hashable {
        /// The file's name inside the batch.
        public var name: String
        /// Its SHA-256 in lowercase hex, when the manifest gives one.
        public var sha256: String?
        /// The manifest line that lists it.
        public var line: Int
    }

    /// The files, in manifest order (the order their SEDs are accepted in).
    public var files: [File]
    /// Envelope fields every SED of the batch gets unless it writes its own.
    public var defaults: [EnvelopeField: String]

    /// The most files one manifest may list.
    public static let maxFiles = 100_000

    /// Fields a manifest may not default: the access point assigns them per SED.
    static let reserved: Set<EnvelopeField> = [.sedId, .sendingAP, .receivingAP, .createdAt, .payloadSize]

    /// Parses manifest text; `source` names it in errors (`outbound/claims.manifest`).
    ///
    /// Throws `.unsupportedInput` naming the line of the first problem: text that is not UTF-8, an unknown or
    /// reserved envelope field, a checksum that is not 64 hex digits, a name with a `/` or a leading dot, a
    /// name listed twice, no file at all, or more than `maxFiles`.
    public init(bytes: [UInt8], source: String) throws(SedgateError) {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw SedgateError(
                .unsupportedInput, "the manifest is not UTF-8 text; write it as UTF-8",
                location: .init(file: source))
        }
        var files: [File] = []
        var defaults: [EnvelopeField: String] = [:]
        var seen: Set<String> = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let number = index + 1
            func fail(_ why: String) -> SedgateError {
                SedgateError(.unsupportedInput, why, location: .init(file: source, line: number))
            }
            var line = Substring(raw)
            if line.hasSuffix("\r") { line = line.dropLast() }
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            if let equals = trimmed.firstIndex(of: "="),
                trimmed[..<equals].trimmingSpaces.allSatisfy({ $0.isASCII && $0.isLetter })
            {
                let key = String(trimmed[..<equals].trimmingSpaces)
                var value = trimmed[trimmed.index(after: equals)...]
                if let hash = value.range(of: " #") { value = value[..<hash.lowerBound] }
                guard let field = EnvelopeField(xmlName: key) else {
                    throw fail("\(key) is not an envelope field; use one of the names in the README's SED table")
                }
                guard !Self.reserved.contains(field) else {
                    throw fail("\(key) is set by the access point for each SED; a manifest cannot give a default")
                }
                defaults[field] = String(value.trimmingSpaces)
                continue
            }
            var sha256: String?
            var name = trimmed
            let words = trimmed.split(separator: " ", maxSplits: 1)
            if words.count == 2, words[0].count == 64, words[0].allSatisfy(\.isHexDigit) {
                sha256 = words[0].lowercased()
                name = words[1].trimmingSpaces
                if name.hasPrefix("*") { name = name.dropFirst() }
            } else if words.count == 2, words[0].count > 32, words[0].allSatisfy(\.isHexDigit) {
                throw fail("the checksum of \(words[1]) is not 64 hex digits; give its SHA-256 (sha256sum) or none")
            }
            if let why = Self.problem(inName: String(name)) { throw fail(why) }
            guard seen.insert(String(name)).inserted else {
                throw fail("\(name) is listed twice; list each file once")
            }
            files.append(File(name: String(name), sha256: sha256, line: number))
            guard files.count <= Self.maxFiles else {
                throw fail("the manifest lists more than \(Self.maxFiles) files; split the batch")
            }
        }
        guard !files.isEmpty else {
            throw SedgateError(
                .unsupportedInput, "the manifest lists no file; list the batch's files, one a line",
                location: .init(file: source))
        }
        self.files = files
        self.defaults = defaults
    }

    /// Why `name` cannot be a batch file's name, or nil when it can.
    static func problem(inName name: String) -> String? {
        if name.contains("/") { return "\(name) has a `/`: list plain file names, relative to the batch folder" }
        if name.hasPrefix(".") { return "\(name) starts with a dot; dot-files are never taken" }
        if name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "a name has a control character; rename the file"
        }
        return nil
    }
}

extension Substring {
    /// The text without leading and trailing spaces and tabs.
    fileprivate var trimmingSpaces: Substring {
        var text = self
        while let first = text.first, first == " " || first == "\t" { text = text.dropFirst() }
        while let last = text.last, last == " " || last == "\t" { text = text.dropLast() }
        return text
    }
}
