// WatcherHarness: runs an OutboundWatcher for one test and records its events; helpers to make spool files.
// Creates, writes, renames and ages files in a test's temporary folder.

import Foundation
import Glibc
import Logging
import SedgateTesting
import Spool
import Synchronization

/// The events one watcher reported, shared between the consuming task and the test.
final class EventLog: Sendable {
    /// The name of the file every harness run commits first, to know the watcher is watching.
    static let readyName = "zz-ready.barrier"

    private let events = Mutex<[SpoolEvent]>([])

    func append(_ event: SpoolEvent) { events.withLock { $0.append(event) } }

    /// Every event but the harness's own ready barrier.
    var all: [SpoolEvent] { events.withLock { $0 }.filter { $0.relativePath != Self.readyName } }

    /// Relative paths of committed files, in report order.
    var committed: [String] {
        all.compactMap { if case .committed(let file) = $0 { file.relativePath } else { nil } }
    }

    /// Relative paths of refused entries, in report order.
    var refused: [String] {
        all.compactMap { if case .refused(_, let relative, _) = $0 { relative } else { nil } }
    }

    /// Waits until `condition` holds, checking every 10 ms, for at most `timeout`. Returns whether it held.
    /// The timeout only bounds a failing test: a loaded machine (two cores shared with end-to-end tests) may
    /// take seconds to schedule the watcher, and that must not fail a test of what the watcher reports.
    func wait(upTo timeout: Duration = .seconds(60), until condition: (EventLog) -> Bool) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if condition(self) { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition(self)
    }

    /// Waits until `name` has been committed.
    func waitCommitted(_ name: String) async -> Bool {
        await wait { $0.committed.contains(name) }
    }

    fileprivate func sawReady() -> Bool {
        events.withLock { $0.contains { $0.relativePath == Self.readyName } }
    }
}

/// Runs a watcher on `directory` while `body` runs, after it has proved to be watching; cancels it afterwards.
/// Returns how long the watcher took to end after cancellation.
@discardableResult
func withWatcher(
    _ directory: String, settle: Duration = .milliseconds(100), profiles: Set<String> = [],
    _ body: (EventLog) async throws -> Void
) async throws -> Duration {
    let log = EventLog()
    let watcher = OutboundWatcher(
        directory: directory, settle: settle, allowedProfiles: profiles,
        logger: Logger(label: "spool-tests"))
    // An old file is reported by the start-up scan, which runs after the watch is in place.
    try write("ready", to: directory + "/" + EventLog.readyName)
    try age(directory + "/" + EventLog.readyName, bySeconds: 3600)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            for await event in watcher { log.append(event) }
        }
        guard await log.wait(until: { $0.sawReady() }) else { throw HarnessError("the watcher never started") }
        try await body(log)
        group.cancelAll()
        let start = ContinuousClock.now
        try await group.waitForAll()
        return ContinuousClock.now - start
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Writes a file in place (create, write, close).
func write(_ text: String, to path: String) throws {
    guard FileManager.default.createFile(atPath: path, contents: Data(text.utf8)) else {
        throw HarnessError("could not write \(path)")
    }
}

/// Writes `.name` beside the target, then renames it into place: a rename commit.
func commitByRename(_ text: String, to path: String) throws {
    let directory = (path as NSString).deletingLastPathComponent
    let temporary = directory + "/." + (path as NSString).lastPathComponent
    try write(text, to: temporary)
    guard rename(temporary, path) == 0 else { throw HarnessError("could not rename into \(path)") }
}

/// Sets a file's mtime `seconds` into the past.
func age(_ path: String, bySeconds seconds: Int) throws {
    let past = Date().addingTimeInterval(-Double(seconds))
    try FileManager.default.setAttributes([.modificationDate: past], ofItemAtPath: path)
}

/// The names in a folder, sorted.
func names(in directory: String) throws -> [String] {
    try FileManager.default.contentsOfDirectory(atPath: directory).sorted()
}
