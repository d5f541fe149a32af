// PowerCutChild: a small python3 program run under libSedgatePowerCut.so in a fresh folder, killed with SIGKILL,
// then the power cut with PowerCut.revert; python lets a test decide exactly which writes are fsynced.

import Foundation
import Glibc
import SedgateCore
import SedgateTesting

/// A python3 program that changes files under `root` while the power-cut library logs in `log`.
final class PowerCutChild {
    let directory: TemporaryDirectory
    let python: String
    var root: String { directory.appending("root") }
    var log: String { directory.appending("log") }
    private var progressPath: String { directory.appending("progress") }
    private var process: Process?

    /// The python3 executable itself (not a pyenv shim), if it has its sqlite3 module.
    static func findPython() async -> String? {
        let probe = try? await ChildProcess.run(
            "/usr/bin/env", ["python3", "-c", "import sqlite3, sys; print(sys.executable)"])
        guard let probe, probe.status == 0 else { return nil }
        let path = probe.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? nil : path
    }

    init() async throws {
        guard let python = await PowerCutChild.findPython() else {
            throw SedgateError(.notFound, "no python3 with its sqlite3 module on PATH")
        }
        self.python = python
        directory = try TemporaryDirectory("powercut")
        try FileManager.default.createDirectory(atPath: directory.appending("root"), withIntermediateDirectories: false)
    }

    /// Runs `body` under the library. The program sees `root`, `os`, `sqlite3`, `progress(text)` (a line the test
    /// reads), `sync_folder(path)` and `write(path, data, fsync)`. Returns once it has reported `until` (by
    /// default "done", which it reports after `body`); the program then waits to be killed.
    func start(_ body: String, until: @escaping ([String]) -> Bool = { $0.contains("done") }) async throws {
        let program = """
            import os, signal, sqlite3, sys
            root, progress_path = sys.argv[1], sys.argv[2]
            progress_fd = os.open(progress_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            def progress(text):
                os.write(progress_fd, (str(text) + "\\n").encode())
            def sync_folder(path):
                fd = os.open(path, os.O_RDONLY)
                os.fsync(fd)
                os.close(fd)
            def write(path, data, fsync=False):
                fd = os.open(path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o644)
                os.write(fd, data)
                if fsync:
                    os.fsync(fd)
                os.close(fd)
            \(body)
            progress("done")
            while True:
                signal.pause()
            """
        let output = directory.appending("output")
        guard FileManager.default.createFile(atPath: output, contents: nil) else {
            throw SedgateError(.io, "cannot create \(output)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", program, root, progressPath]
        process.environment = PowerCut.environment(log: log, root: root, library: try PowerCut.libraryPath())
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardError = process.standardOutput
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        try await Wait.until("the python program to report its progress", timeout: .seconds(60)) {
            guard process.isRunning else {
                let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                throw SedgateError(.io, "the python program exited with \(process.terminationStatus): \(text)")
            }
            return until(self.progress())
        }
    }

    /// The lines the program has reported so far.
    func progress() -> [String] {
        let text = (try? String(contentsOfFile: progressPath, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").map(String.init)
    }

    /// Kills the program with SIGKILL and cuts the power.
    func cut() async throws -> PowerCut.Summary {
        if let process {
            kill(process.processIdentifier, SIGKILL)
            await ChildProcess.exit(of: process)
        }
        return try PowerCut.revert(log: log)
    }

    /// The contents of `name` under the root, or nil when it does not exist.
    func contents(_ name: String) -> String? {
        try? String(contentsOfFile: root + "/" + name, encoding: .utf8)
    }

    /// Runs `query` on the SQLite database `name` under the root with python3 (not under the library).
    func sqlite(_ name: String, _ query: String) async throws -> String {
        let script = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute(sys.argv[2]).fetchone()[0])"
        let outcome = try await ChildProcess.run(python, ["-c", script, root + "/" + name, query])
        guard outcome.status == 0 else { throw SedgateError(.io, "\(query) failed: \(outcome.output)") }
        return outcome.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}
