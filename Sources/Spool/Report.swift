// Report: the status file written to `reports/` for one outbound item in one state (the README's spool contract). Pure value.

public import SedgateCore

/// One status report: what happened to one outbound file, machine-readable (JSON) for national batch jobs.
///
/// Encoded with sorted keys; absent optional fields are left out.
public struct Report: Codable, Sendable, Hashable {
    /// The original name, relative to `outbound/` (`claim.xml` or `profile/claim.xml`).
    public var file: String
    /// The SED id, once one is assigned.
    public var sedId: String?
    /// The intake ticket, for items refused before a SED id was assigned.
    public var ticket: String?
    /// The state this report announces.
    public var state: SEDState
    /// When the state was reached: ISO 8601 UTC with fractional seconds.
    public var at: String
    /// The node that wrote the report.
    public var node: String
    /// The error code, for `rejected` and `failed`.
    public var code: String?
    /// A human sentence: why, and what to do next.
    public var reason: String?
    /// Where in the file the problem is, when known.
    public var location: SedgateError.Location?
    /// The envelope fields, by their template names (`sedId`, `receiver`, ...), when known.
    public var envelope: [String: String]?

    /// Makes a report; `at` defaults to now.
    public init(
        file: String, sedId: String? = nil, ticket: String? = nil, state: SEDState, at: String = Timestamp.iso8601(),
        node: String, code: String? = nil, reason: String? = nil, location: SedgateError.Location? = nil,
        envelope: [String: String]? = nil
    ) {
        self.file = file
        self.sedId = sedId
        self.ticket = ticket
        self.state = state
        self.at = at
        self.node = node
        self.code = code
        self.reason = reason
        self.location = location
        self.envelope = envelope
    }

    /// A report for a failure: code, reason and location are taken from `error`.
    public init(
        file: String, sedId: String? = nil, ticket: String? = nil, state: SEDState, node: String,
        error: SedgateError
    ) {
        self.init(
            file: file, sedId: sedId, ticket: ticket, state: state, node: node, code: error.code.name,
            reason: error.message, location: error.location)
    }

    /// The envelope's present fields keyed by their template names, for `envelope`.
    public static func fields(of envelope: Envelope) -> [String: String] {
        Dictionary(uniqueKeysWithValues: envelope.fields.map { ($0.0.rawValue, $0.1) })
    }
}
