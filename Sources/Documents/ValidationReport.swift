// ValidationReport: what validating one SED against its XSD and Schematron rules found, for people and policies.

public import SedgateCore

/// The findings of validating one SED (content XSD and Schematron rules for its type and version).
///
/// Valid means no finding of severity `.error`; warnings and infos are kept for the report. `text()` prints one
/// line per finding; `firstError()` turns the first error into the `SedgateError` a `reject` policy throws.
public struct ValidationReport: Sendable, Hashable {
    /// The document's name (as given to `SEDReader.read`), used as the file in error locations.
    public var source: String
    /// The SED type validated against, e.g. `P001`.
    public var sedType: String
    /// The SED version validated against, e.g. `1.0`.
    public var sedVersion: String
    /// The rule files applied, relative to the rules directory (e.g. `P001/1.0/p001.sch`), in order.
    public var rulesApplied: [String]
    /// Everything found, in the order the rule files were applied and, within a file, in document order.
    public var findings: [Finding]

    /// Makes a report.
    public init(
        source: String, sedType: String, sedVersion: String, rulesApplied: [String] = [], findings: [Finding] = []
    ) {
        self.source = source
        self.sedType = sedType
        self.sedVersion = sedVersion
        self.rulesApplied = rulesApplied
        self.findings = findings
    }

    /// The findings of severity `.error`.
    public var errors: [Finding] { findings.filter { $0.severity == .error } }

    /// The findings of severity `.warning`.
    public var warnings: [Finding] { findings.filter { $0.severity == .warning } }

    /// The findings of severity `.info`.
    public var infos: [Finding] { findings.filter { $0.severity == .info } }

    /// Whether the document passed: no finding is an error (warnings and infos do not count).
    public var isValid: Bool { !findings.contains { $0.severity == .error } }

    /// One line per finding (`path line N severity: message [rule]`), each ending in a newline; empty when
    /// nothing was found.
    public func text() -> String {
        findings.map { $0.description + "\n" }.joined()
    }

    /// The first error as the `SedgateError` to refuse the document with, or nil when the document is valid.
    ///
    /// The code is the finding's (`.schemaViolation` for the document's faults, `.configuration` when the rules
    /// could not be run); the location names the document, the line and the element path.
    public func firstError() -> SedgateError? {
        let errors = errors
        guard let first = errors.first else { return nil }
        let more = errors.count > 1 ? " (and \(errors.count - 1) more error(s))" : ""
        let reference = first.ruleReference.isEmpty ? "" : " [\(first.ruleReference)]"
        let remedy =
            first.code == .configuration
            ? "The validation rules need an administrator's attention; the document was not judged"
            : "Correct the element and send the document again"
        return SedgateError(
            first.code,
            "the SED does not pass the validation rules for \(sedType) \(sedVersion): \(first.message)\(reference)"
                + "\(more). \(remedy)",
            location: .init(file: source, line: first.line, field: first.path))
    }
}
