// ValidationReportFinding: one finding of SED validation (XSD issue, Schematron assert or report, engine notice).

public import SedgateCore

extension ValidationReport {
    /// How much a finding matters: only `.error` makes a document invalid.
    public enum Severity: String, Sendable, Hashable, Comparable, CaseIterable {
        /// The document breaks a schema or a rule; a `reject` policy refuses it.
        case error
        /// Something looks wrong but the document may still be exchanged (Schematron `role="warning"`).
        case warning
        /// A remark, e.g. that no rules exist for this SED type and version (Schematron `role="info"`).
        case info

        /// The severity a Schematron `role` (or `flag`) names: `warning`/`warn` and `info`/`information`
        /// lower it; anything else, or none, is an error (the ISO default for a failed assertion).
        public init(schematronRole role: String?) {
            switch role?.lowercased() {
            case "warning", "warn": self = .warning
            case "info", "information", "informational": self = .info
            default: self = .error
            }
        }

        /// Errors first, then warnings, then infos.
        public static func < (lhs: Severity, rhs: Severity) -> Bool {
            lhs.rank < rhs.rank
        }

        private var rank: Int {
            switch self {
            case .error: return 0
            case .warning: return 1
            case .info: return 2
            }
        }
    }

    /// One thing validation found, located in the document (element path and line) and in the rules.
    public struct Finding: Sendable, Hashable, CustomStringConvertible {
        /// How much it matters.
        public var severity: Severity
        /// What is wrong, as the rule's author wrote it (Schematron) or libxml2 worded it (XSD).
        public var message: String
        /// The element path in the document, with the prefixes written there, e.g.
        /// `/SED/Content/pe:PensionClaim/pe:ClaimDate`; a position `[n]` is added among same-named siblings.
        public var path: String?
        /// The 1-based line of the element in the document, when known.
        public var line: Int?
        /// The Schematron pattern id, when the finding comes from a pattern that has one.
        public var pattern: String?
        /// The Schematron rule context (an XSLT-style match pattern such as `pe:Period`).
        public var ruleContext: String?
        /// The `id` attribute of the assert or report, when it has one (a stable code for the rule).
        public var ruleID: String?
        /// The rule file the finding comes from (a `.sch` or `.xsd` under the rules directory).
        public var ruleFile: String?
        /// The line of the assert, report or XSD declaration in `ruleFile`, when known.
        public var ruleLine: Int?
        /// The error code this finding becomes when it rejects a document: `.schemaViolation` for the document's
        /// faults, `.configuration` when the rules themselves could not be loaded or run.
        public var code: SedgateError.Code

        /// Makes a finding.
        public init(
            severity: Severity, message: String, path: String? = nil, line: Int? = nil, pattern: String? = nil,
            ruleContext: String? = nil, ruleID: String? = nil, ruleFile: String? = nil, ruleLine: Int? = nil,
            code: SedgateError.Code = .schemaViolation
        ) {
            self.severity = severity
            self.message = message
            self.path = path
            self.line = line
            self.pattern = pattern
            self.ruleContext = ruleContext
            self.ruleID = ruleID
            self.ruleFile = ruleFile
            self.ruleLine = ruleLine
            self.code = code
        }

        /// Where the rule lives, e.g. `P001/1.0/p001.sch:42 pattern claim-dates`, for an admin looking for it.
        public var ruleReference: String {
            var parts: [String] = []
            if let ruleFile { parts.append(ruleFile + (ruleLine.map { ":\($0)" } ?? "")) }
            if let pattern { parts.append("pattern \(pattern)") }
            if let ruleID { parts.append("id \(ruleID)") }
            return parts.joined(separator: " ")
        }

        /// One line: path, line, severity, message, and the rule reference in brackets.
        public var description: String {
            var text = (path ?? "-") + " line " + (line.map(String.init) ?? "?") + " \(severity.rawValue): \(message)"
            let reference = ruleReference
            if !reference.isEmpty { text += " [\(reference)]" }
            return text
        }
    }
}
