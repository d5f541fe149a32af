// Rejection: moving a refused file to `rejected/` beside an `.error` file that says why (the README's spool contract).
// Moves the original (bytes, or a symbolic link itself) and writes `<name>.error`; fsyncs both.

public import SedgateCore

/// Puts refused input into `rejected/`: nothing is ever silently dropped.
public enum Rejection {
    /// Moves `path` to `rejected/<flat name>` (never overwriting: `name-1.ext` when taken) and writes
    /// `<final name>.error` beside it. Returns the final path of the moved file.
    ///
    /// `originalName` is the name the producer knows (`claim.xml`, `profile/claim.xml`); `/` becomes `__`.
    /// The `.error` file has `key: value` lines: `file`, `code`, then `line`, `column`, `record`, `field` when known,
    /// `reason` (one sentence) and `at` (ISO 8601 UTC). A symbolic link is moved as itself, never followed.
    /// The file is moved before the `.error` is written, so a crash in between loses no bytes.
    @discardableResult
    public static func reject(
        _ path: String, originalName: String, layout: SpoolLayout, error: SedgateError
    )
        throws(SedgateError) -> String
    {
        let target = try SpoolFile.moveNoReplace(
            path, toDirectory: layout.rejected,
            preferredName: PathComponent.flat(originalName))
        try SpoolFile.writeAtomically(
            Array(errorText(originalName: originalName, error: error).utf8),
            to: target + ".error")
        return target
    }

    /// The text of an `.error` file.
    public static func errorText(
        originalName: String, error: SedgateError, at: String = Timestamp.iso8601()
    )
        -> String
    {
        var lines = ["file: \(originalName)", "code: \(error.code.name)"]
        if let location = error.location {
            if let line = location.line { lines.append("line: \(line)") }
            if let column = location.column { lines.append("column: \(column)") }
            if let record = location.record { lines.append("record: \(record)") }
            if let field = location.field { lines.append("field: \(field)") }
        }
        lines.append("reason: \(error.message)")
        lines.append("at: \(at)")
        // One entry per line: a newline inside a value must not start a fake key.
        return lines.map { $0.map { $0.isNewline ? " " : String($0) }.joined() }.joined(separator: "\n") + "\n"
    }
}
