// BatchRejection: refusing a batch whole: its manifest and folder, or its archive, go to `rejected/` untouched,
// beside one `.error` naming each bad file. Moves files and writes the `.error`, fsyncing both.

public import SedgateCore
public import Spool

/// Puts a refused batch into `rejected/`: every part of it, and one `.error` that names every bad file.
public enum BatchRejection {
    /// Moves each `(path, name)` into `rejected/` under `name` (never overwriting: `name-1` when taken), the first
    /// being what the producer committed (the manifest or the archive), then writes `<first>.error`. Parts that
    /// are already gone are skipped. Returns the final path of the first part.
    @discardableResult
    public static func reject(
        _ parts: [(path: String, name: String)], layout: SpoolLayout, error: SedgateError, problems: [BatchProblem]
    ) throws(SedgateError) -> String {
        var first: String?
        for part in parts {
            do {
                let target = try SpoolFile.moveNoReplace(
                    part.path, toDirectory: layout.rejected, preferredName: part.name)
                if first == nil { first = target }
            } catch  where first != nil {
                // A batch folder that never came: the manifest still goes, and the .error says what was missing.
                continue
            }
        }
        guard let first else {
            throw SedgateError(.io, "the refused batch \(parts.first?.name ?? "?") vanished before it was moved")
        }
        try SpoolFile.writeAtomically(
            Array(errorText(originalName: parts[0].name, error: error, problems: problems).utf8),
            to: first + ".error")
        return first
    }

    /// The `.error` text: the lines of a single refusal (`file`, `code`, `reason`, `at`), then one `bad:` line per
    /// bad file, `bad: <file>: <code>: <reason>`.
    public static func errorText(
        originalName: String, error: SedgateError, problems: [BatchProblem], at: String = Timestamp.iso8601()
    ) -> String {
        var lines = ["file: \(originalName)", "code: \(error.code.name)"]
        if let line = error.location?.line { lines.append("line: \(line)") }
        lines.append("reason: \(error.message)")
        for problem in problems {
            lines.append("bad: \(problem.name): \(problem.error.code.name): \(problem.error.message)")
        }
        lines.append("at: \(at)")
        return lines.map { $0.map { $0.isNewline ? " " : String($0) }.joined() }.joined(separator: "\n") + "\n"
    }
}
