// PowerCut: cuts the power under a process that ran with libSedgatePowerCut.so preloaded (Sources/CPowerCut).
// After the test has SIGKILLed it, `revert` undoes, newest first, every change the process made under its root
// that no fsync had made durable, so the files are what a power cut could have left; then it clears the log so
// the process can run again under the library.
//
// The model is conservative (like LazyFS clearing its cache, and stricter for names): a change to a file's bytes
// or size survives only if an fsync or fdatasync of that file followed it; a name made, removed or renamed
// survives only if its folder (both folders for a rename) was fsynced after it; sync(2) and syncfs(2) keep all.

import Foundation
import Glibc
import SedgateCore

/// The power-loss model of the tests: run a process with `environment(log:root:library:)`, SIGKILL it, then
/// `revert(log:)` before starting it again.
public enum PowerCut {
    /// What `revert(log:)` did.
    public struct Summary: Sendable, CustomStringConvertible {
        /// Changes to bytes or sizes undone (no fsync of their file followed them).
        public var undoneData = 0
        /// Changes to names undone (no fsync of their folder followed them).
        public var undoneNames = 0
        /// Changes to bytes or sizes an fsync made durable.
        public var keptData = 0
        /// Changes to names an fsync of their folder made durable.
        public var keptNames = 0
        /// SQLite shared-memory (`-shm`) files removed: SQLite rebuilds them from the WAL.
        public var removedSharedMemory = 0
        /// Undo steps that could not be applied, each saying why. Empty when the log explained every change.
        public var unresolved: [String] = []

        public var description: String {
            "undid \(undoneData) data and \(undoneNames) name changes, kept \(keptData) and \(keptNames) (synced), "
                + "removed \(removedSharedMemory) -shm files"
                + (unresolved.isEmpty ? "" : "; \(unresolved.count) unresolved: \(unresolved.prefix(5))")
        }
    }

    /// The environment for a child run under the library: `base` (by default this process's environment) with the
    /// library preloaded and the changes under `root` logged in `log`, a folder outside `root` on the same file
    /// system (the log hard-links files).
    public static func environment(
        log: String, root: String, library: String, base: [String: String]? = nil
    ) -> [String: String] {
        var environment = base ?? ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = [library, environment["LD_PRELOAD"]].compactMap { $0 }.joined(separator: " ")
        environment["SEDGATE_POWERCUT_LOG"] = log
        environment["SEDGATE_POWERCUT_ROOT"] = root
        return environment
    }

    /// `$SEDGATE_POWERCUT_LIBRARY`, or `libSedgatePowerCut.so` beside `$SEDGATE_BINARY` or beside the running
    /// executable (SwiftPM puts the test bundle and the products side by side). Throws, saying how to build it.
    public static func libraryPath() throws -> String {
        let environment = ProcessInfo.processInfo.environment
        if let explicit = environment["SEDGATE_POWERCUT_LIBRARY"], !explicit.isEmpty { return explicit }
        let running =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let folders = [environment["SEDGATE_BINARY"], running].compactMap { $0 }.filter { !$0.isEmpty }
            .map { URL(fileURLWithPath: $0).deletingLastPathComponent().path }
        for folder in folders where FileManager.default.fileExists(atPath: folder + "/libSedgatePowerCut.so") {
            return folder + "/libSedgatePowerCut.so"
        }
        throw SedgateError(
            .notFound,
            "no libSedgatePowerCut.so in \(folders.joined(separator: " or ")); build it first "
                + "(`swift build --build-tests`, as `make test` does, or `swift build --product SedgatePowerCut`)")
    }

    /// Cuts the power: undoes every change logged in `log` that was not durable, newest first, removes SQLite's
    /// `-shm` files under the root, and clears the log (moving its text to `keepingLogAs`, if given, for a person
    /// to read). Call it only once the process has exited (SIGKILL).
    @discardableResult
    public static func revert(log: String, keepingLogAs keptLog: String? = nil) throws -> Summary {
        var entries = try entries(of: log + "/log").sorted { $0.seq > $1.seq }
        // Renames and removals are logged before their call; one whose call failed never happened.
        let cancelled = Set(
            entries.compactMap { item -> UInt64? in
                if case .cancelled(let seq) = item.entry { return seq }
                return nil
            })
        entries.removeAll { cancelled.contains($0.seq) }
        var durableUpTo: [FileID: UInt64] = [:]
        var everythingUpTo: UInt64 = 0
        for (_, entry) in entries {
            switch entry {
            case .synced(let file, let upTo): durableUpTo[file] = max(durableUpTo[file] ?? 0, upTo)
            case .syncedAll(let upTo): everythingUpTo = max(everythingUpTo, upTo)
            default: break
            }
        }
        func durable(_ seq: UInt64, _ file: FileID) -> Bool {
            file == .outside || seq <= max(everythingUpTo, durableUpTo[file] ?? 0)
        }
        var summary = Summary()
        var undo = Undo(log: log)
        for (seq, entry) in entries {
            let isData: Bool
            let dependsOn: [FileID]
            switch entry {
            case .data(let file, _, _, _, _): (isData, dependsOn) = (true, [file])
            case .renamed(let from, let to, _, _, _): (isData, dependsOn) = (false, [from, to])
            case .made(let folder, _, _), .madeFolder(let folder, _), .removedFolder(let folder, _, _),
                .removed(let folder, _, _):
                (isData, dependsOn) = (false, [folder])
            case .synced, .syncedAll, .cancelled: continue
            }
            let kept = dependsOn.allSatisfy { durable(seq, $0) }
            switch (isData, kept) {
            case (true, true): summary.keptData += 1
            case (true, false): summary.undoneData += 1
            case (false, true): summary.keptNames += 1
            case (false, false): summary.undoneNames += 1
            }
            if !kept { undo.apply(entry) }
        }
        summary.unresolved = undo.unresolved
        let root = (try? String(contentsOfFile: log + "/root", encoding: .utf8)) ?? ""
        if !root.isEmpty, let names = FileManager.default.enumerator(atPath: root) {
            for case let name as String in names where name.hasSuffix("-shm") {
                if unlink(root + "/" + name) == 0 { summary.removedSharedMemory += 1 }
            }
        }
        if let keptLog { try? FileManager.default.moveItem(atPath: log + "/log", toPath: keptLog) }
        for name in ["log", "pre", "counters", "root", "stash"] {
            try? FileManager.default.removeItem(atPath: log + "/" + name)
        }
        return summary
    }
}
