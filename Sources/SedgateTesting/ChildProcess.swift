// ChildProcess: runs a command for a test or a benchmark and waits for it without blocking a thread of Swift's
// cooperative pool.
//
// The pool has one thread per core (two here). A test that blocks one in `waitUntilExit()` or
// `readDataToEndOfFile()` starves every other test running beside it: their waits time out although nothing
// is wrong. So output goes to a file and the exit is awaited by polling with `Task.sleep`.

public import Foundation
import SedgateCore

/// Runs commands and awaits their exit without blocking a cooperative thread.
public enum ChildProcess {
    /// What a finished command left: its exit status and everything it wrote to standard output and error.
    public struct Outcome: Sendable {
        /// The exit status (or the signal number, if it was killed).
        public var status: Int32
        /// Standard output and standard error, interleaved as written.
        public var output: String
    }

    /// Runs `executable` with `arguments` and returns its outcome once it has exited. `environment`, when given,
    /// replaces the inherited one; `directory`, when given, is the child's working directory.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        directory workingDirectory: String? = nil
    ) async throws -> Outcome {
        let directory = try TemporaryDirectory("child")
        let path = directory.appending("output")
        guard FileManager.default.createFile(atPath: path, contents: nil) else {
            throw SedgateError(.io, "cannot create \(path) for a child's output")
        }
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let workingDirectory { process.currentDirectoryURL = URL(fileURLWithPath: workingDirectory) }
        process.standardOutput = output
        process.standardError = output
        process.standardInput = FileHandle.nullDevice
        try process.run()
        try? output.close()
        await exit(of: process)
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return Outcome(status: process.terminationStatus, output: text)
    }

    /// Waits until `process` has exited, checking every 5 ms; never blocks a thread.
    public static func exit(of process: Process) async {
        while process.isRunning {
            try? await Task.sleep(for: .milliseconds(5))
        }
    }
}
