// SEDValidatorPolicy: what a profile does with a validation report (reject, flag only, or not validate).

public import SedgateCore

/// What to do with a SED according to its validation report; chosen per profile (inbound SEDs are always
/// validated, outbound ones per policy).
public enum ValidationPolicy: String, Sendable, Hashable, CaseIterable {
    /// Validate and refuse a SED with any error finding (its first error, `.schemaViolation`, says where).
    case reject
    /// Validate and keep the report, but let the SED through even with errors (for a trial period or new rules).
    case flag
    /// Do not validate at all (only the envelope schema, which `SEDReader` always applies, still holds).
    case off

    /// Whether this policy asks for validation to run.
    public var validates: Bool { self != .off }

    /// The error to refuse the SED with under this policy, or nil when it may go on.
    public func refusal(for report: ValidationReport) -> SedgateError? {
        self == .reject ? report.firstError() : nil
    }
}
