// FailureNotice: decides which occurrences of a failure that repeats every tick an operator is told about: the
// first, each change of kind, and the recovery. Pure value; the caller logs.

/// Tells a retry loop when to log, so a lasting condition (an unwritable `inbound/`) is one line, not one a second.
public struct FailureNotice: Sendable {
    private var current: String?

    public init() {}

    /// Records a failure of kind `kind` (e.g. an error code); true when it should be logged (the first of its kind).
    public mutating func failed(_ kind: String) -> Bool {
        defer { current = kind }
        return kind != current
    }

    /// Records a success; true when it ends a failure that was logged (log the recovery).
    public mutating func succeeded() -> Bool {
        defer { current = nil }
        return current != nil
    }
}
