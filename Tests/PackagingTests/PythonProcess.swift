// PythonProcess: runs a python3 script as a child process without blocking the Swift concurrency pool.

import Foundation
import Testing

/// Runs `python3 -c <script>` on a dedicated thread and resumes the awaiting task with its output.
enum PythonProcess {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// The script's standard output; fails with its standard error when it exits non-zero.
    static func run(
        _ script: String, arguments: [String], standardInput path: String, errors: String
    ) async throws
        -> Data
    {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                do {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                    process.arguments = ["python3", "-c", script] + arguments
                    process.standardInput = FileHandle(forReadingAtPath: path)
                    let output = Pipe()
                    process.standardOutput = output
                    // Standard error goes to a file: two pipes read one after the other could deadlock.
                    _ = FileManager.default.createFile(atPath: errors, contents: nil)
                    process.standardError = FileHandle(forWritingAtPath: errors)
                    try process.run()
                    let data = output.fileHandleForReading.readDataToEndOfFile()
                    process.waitUntilExit()
                    guard process.terminationStatus == 0 else {
                        let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
                        throw Failure(description: "python3 exited with \(process.terminationStatus): \(text)")
                    }
                    continuation.resume(returning: data)
                } catch {
                    continuation.resume(throwing: error)
                }
            }
            thread.start()
        }
    }
}
