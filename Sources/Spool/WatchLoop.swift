// WatchLoop: the outbound watcher's engine, run on its own thread: inotify hints, settle timers and full scans.
// Reads `outbound/` and its profile folders (lstat, readdir, inotify); writes nothing; reports through `emit`.

import Glibc
import Logging
import SedgateCore

/// Finds committed files in `outbound/` (the README's spool contract). Owned by one thread; not Sendable.
///
/// - A rename into the folder (IN_MOVED_TO) commits at once.
/// - A close after writing (IN_CLOSE_WRITE) commits once size and mtime stay unchanged for `settle` and no
///   process has the file open for writing (`WriterCheck`); a write in the meantime (IN_MODIFY) means a
///   producer reopened it, and only its next close starts a new settle. A create or write never commits by itself.
/// - A full scan at start, on IN_Q_OVERFLOW and (without inotify) every second is the truth: a file commits
///   once its mtime is `settle` old.
/// - A name is reported once while the same inode stays there; a new inode at the name is a new commit.
final class WatchLoop {
    /// A file closed after writing, or found young by a scan, waiting to settle.
    private struct Pending {
        var profile: String?
        var rawName: [UInt8]
        var observation: OutboundEntry.Observation
        /// CLOCK_MONOTONIC nanoseconds.
        var deadline: Int64
    }

    /// How an entry came to our attention.
    private enum Arrival { case renamed, created, closed }

    private let root: String
    private let settle: Int64
    /// Nanoseconds between full scans while inotify works (0: none): files written by another host over NFS or
    /// SMB raise no inotify event here, so only a scan finds them.
    private let rescan: Int64
    private var nextRescan: Int64 = 0
    private let allowedProfiles: Set<String>
    private let logger: Logger
    private let emit: (SpoolEvent) -> Void

    private var inotify: Inotify?
    private var rootWatch: Int32?
    private var profileOfWatch: [Int32: String] = [:]
    private var watchOfProfile: [String: Int32] = [:]
    private var pending: [String: Pending] = [:]
    /// Files waiting because their writer cannot be checked, already logged.
    private var unknownWriter = Set<String>()
    /// What was reported and is still in place, by relative path.
    private var reported: [String: OutboundEntry.Identity] = [:]
    /// When to next try to (re)watch the root and scan, while inotify is unavailable.
    private var nextFallback: Int64 = 0
    private var degradedLogged = false

    private static let second: Int64 = 1_000_000_000
    private static let tick: Int64 = 200_000_000
    /// Nanoseconds to let events gather after a wake-up that found some.
    private static let coalesce = 1_000_000

    init(
        root: String, settle: Duration, rescan: Duration = .zero, allowedProfiles: Set<String>, logger: Logger,
        emit: @escaping (SpoolEvent) -> Void
    ) {
        self.root = root
        let (seconds, attoseconds) = settle.components
        self.settle = max(0, seconds * Self.second + attoseconds / 1_000_000_000)
        let (rescanSeconds, rescanAttoseconds) = rescan.components
        self.rescan = max(0, rescanSeconds * Self.second + rescanAttoseconds / 1_000_000_000)
        self.allowedProfiles = allowedProfiles
        self.logger = logger
        self.emit = emit
    }

    /// Watches until `shouldStop` says so (checked at least every 200 ms).
    func run(shouldStop: () -> Bool) {
        do {
            inotify = try Inotify()
        } catch {
            logger.warning("\(error.message)", metadata: ["folder": "\(root)"])
        }
        // Watch before scanning, so nothing committed between the two is missed.
        watchRoot()
        scan()
        nextRescan = Syscall.nanoseconds(CLOCK_MONOTONIC) + rescan
        while !shouldStop() {
            let now = Syscall.nanoseconds(CLOCK_MONOTONIC)
            if rescan > 0, now >= nextRescan, rootWatch != nil {
                nextRescan = now + rescan
                scan()
            }
            var wait = Self.tick
            if let soonest = pending.values.map(\.deadline).min() { wait = min(wait, max(0, soonest - now)) }
            // Round up: waking a little late is harmless, waking early would spin.
            let milliseconds = Int32((wait + 999_999) / 1_000_000)
            if let inotify, rootWatch != nil {
                if inotify.wait(milliseconds: milliseconds) {
                    handle(inotify.read())
                    // While files keep arriving, each wake-up takes what a millisecond brought instead of waking for
                    // every event: a burst of thousands of renames costs a thousand wake-ups a second at most. The
                    // events just read were already reported, so this delays no file that was waiting.
                    var pause = timespec(tv_sec: 0, tv_nsec: Self.coalesce)
                    nanosleep(&pause, nil)
                }
            } else {
                poll(nil, 0, milliseconds)
                if now >= nextFallback {
                    nextFallback = now + Self.second
                    watchRoot()
                    scan()
                }
            }
            settleDue()
        }
    }

    // MARK: - inotify events

    private func handle(_ events: [Inotify.Event]) {
        var overflowed = false
        for event in events {
            if event.has(IN_Q_OVERFLOW) {
                overflowed = true
                continue
            }
            let folderGone = event.has(IN_IGNORED) || event.has(IN_DELETE_SELF) || event.has(IN_MOVE_SELF)
            if event.watch == rootWatch {
                if folderGone {
                    inotify?.unwatch(event.watch)
                    rootWatch = nil
                    nextFallback = 0
                    logger.error("outbound folder \(root) was removed or moved; waiting for it to come back")
                } else {
                    entryChanged(profile: nil, event)
                }
            } else if let profile = profileOfWatch[event.watch] {
                if folderGone { dropProfile(profile) } else { entryChanged(profile: profile, event) }
            }
        }
        if overflowed {
            logger.notice("inotify queue overflowed; rescanning \(root)")
            scan()
        }
    }

    private func entryChanged(profile: String?, _ event: Inotify.Event) {
        guard !event.name.isEmpty else { return }
        let shown = OutboundName.lossy(event.name)
        let relative = profile.map { "\($0)/\(shown)" } ?? shown
        if event.has(IN_MOVED_FROM) || event.has(IN_DELETE) {
            forget(relative)
            if profile == nil, watchOfProfile[shown] != nil { dropProfile(shown) }
            return
        }
        if event.has(IN_MOVED_TO) { arrive(profile, event.name, .renamed) }
        if event.has(IN_CREATE) { arrive(profile, event.name, .created) }
        if event.has(IN_CLOSE_WRITE) { arrive(profile, event.name, .closed) }
        if event.has(IN_MODIFY), !event.has(IN_CLOSE_WRITE), pending[relative] != nil {
            // A write after the close: a producer has the file open again. It is being written, not
            // settling; its next IN_CLOSE_WRITE puts it back to settle from scratch.
            pending[relative] = nil
        }
    }

    private func arrive(_ profile: String?, _ rawName: [UInt8], _ arrival: Arrival) {
        guard let entry = inspect(profile, rawName) else { return }
        if entry.profileFolder != nil { return report(entry) }
        switch arrival {
        case .renamed:
            pending[entry.relativePath] = nil
            report(entry)
        case .created:
            // Links, FIFOs and folders get no further events; a regular file waits for its close or rename.
            if !entry.isRegularFile || entry.refusal != nil { report(entry) }
        case .closed:
            guard entry.isRegularFile, reported[entry.relativePath] != entry.observation.identity else { return }
            pending[entry.relativePath] = Pending(
                profile: profile, rawName: rawName,
                observation: entry.observation, deadline: Syscall.nanoseconds(CLOCK_MONOTONIC) + settle)
        }
    }

    // MARK: - settling

    private func settleDue() {
        let now = Syscall.nanoseconds(CLOCK_MONOTONIC)
        let due = pending.filter { $0.value.deadline <= now }.sorted { $0.value.deadline < $1.value.deadline }
        for (relative, waiting) in due {
            guard let entry = inspect(waiting.profile, waiting.rawName) else {
                forget(relative)
                continue
            }
            if !entry.isRegularFile {
                pending[relative] = nil
                report(entry)
            } else if entry.observation == waiting.observation, writerClosed(entry) {
                pending[relative] = nil
                report(entry)
            } else {
                pending[relative]?.observation = entry.observation
                pending[relative]?.deadline = now + settle
            }
        }
    }

    // MARK: - scanning

    /// The truth: every entry of `outbound/` and the profile folders. Forgets what is no longer there.
    private func scan() {
        var seen = Set<String>()
        guard scanFolder(profile: nil, seen: &seen) else {
            logger.error("cannot read the outbound folder \(root); check that it exists and may be read")
            return
        }
        reported = reported.filter { seen.contains($0.key) }
        pending = pending.filter { seen.contains($0.key) }
        unknownWriter = unknownWriter.filter { seen.contains($0) }
        for profile in watchOfProfile.keys where !seen.contains(profile) { dropProfile(profile) }
    }

    /// Scans one folder (and, for the root, the profile folders in it). False when it cannot be read.
    @discardableResult
    private func scanFolder(profile: String?, seen: inout Set<String>) -> Bool {
        guard let entries = OutboundEntry.list(root: root, profile: profile, allowedProfiles: allowedProfiles) else {
            return false
        }
        let wallNow = Syscall.nanoseconds(CLOCK_REALTIME)
        let now = Syscall.nanoseconds(CLOCK_MONOTONIC)
        var ready: [OutboundEntry] = []
        for entry in entries {
            seen.insert(entry.relativePath)
            if let name = entry.profileFolder {
                watchProfile(name)
                scanFolder(profile: name, seen: &seen)
                continue
            }
            guard reported[entry.relativePath] != entry.observation.identity else { continue }
            guard entry.isRegularFile else {
                report(entry)
                continue
            }
            let age = wallNow - entry.observation.mtime
            if age >= settle, writerClosed(entry) {
                pending[entry.relativePath] = nil
                ready.append(entry)
            } else if age >= settle {
                // Old but still held open for writing (a paused producer), or held by a writer the node cannot
                // check: look again after a settle.
                pending[entry.relativePath] = Pending(
                    profile: profile, rawName: entry.rawName, observation: entry.observation, deadline: now + settle)
            } else if pending[entry.relativePath]?.observation != entry.observation {
                // A future mtime (clock skew) waits one settle from now, not until the clock catches up.
                pending[entry.relativePath] = Pending(
                    profile: profile, rawName: entry.rawName,
                    observation: entry.observation, deadline: now + min(settle, settle - age))
            }
        }
        // Oldest first, so a scan after a restart takes files in the order they were committed.
        for entry in ready.sorted(by: {
            ($0.observation.mtime, $0.relativePath) < ($1.observation.mtime, $1.relativePath)
        }) {
            report(entry)
        }
        return true
    }

    // MARK: - bookkeeping

    /// Whether the kernel says no process has `entry` open for writing. When it will not say (a producer under
    /// another user, and no CAP_LEASE), the file is not taken on its settle time: it waits, logged once, until it is
    /// committed by a rename into the folder (which needs no check) or the node may check it.
    private func writerClosed(_ entry: OutboundEntry) -> Bool {
        // A refused entry (a name that is not UTF-8) is only reported, never read: its writer does not matter, and
        // its path, made from the name's bytes lossily, cannot be opened.
        if entry.refusal != nil { return true }
        switch WriterCheck.answer(entry.path) {
        case .closed:
            unknownWriter.remove(entry.relativePath)
            return true
        case .open:
            return false
        case .unknown(let reason):
            if unknownWriter.insert(entry.relativePath).inserted {
                let advice =
                    "outbound file not taken: the node cannot tell whether it is still being written, as \(reason). "
                    + "Commit it by renaming it into the folder (write under a name starting with '.' or "
                    + "elsewhere on the same file system, then rename), run the producer as this node's user, "
                    + "or give the node CAP_LEASE"
                logger.warning(
                    "\(advice)",
                    metadata: ["file": "\(OutboundName.printable(entry.relativePath))"])
            }
            return false
        }
    }

    private func inspect(_ profile: String?, _ rawName: [UInt8]) -> OutboundEntry? {
        OutboundEntry.inspect(root: root, profile: profile, rawName: rawName, allowedProfiles: allowedProfiles)
    }

    /// Reports an entry once per inode at its name; a profile folder is watched and scanned instead.
    private func report(_ entry: OutboundEntry) {
        if let name = entry.profileFolder {
            watchProfile(name)
            var seen = Set<String>()
            scanFolder(profile: name, seen: &seen)
            return
        }
        guard reported[entry.relativePath] != entry.observation.identity else { return }
        reported[entry.relativePath] = entry.observation.identity
        if let refusal = entry.refusal {
            logger.warning(
                "refusing an outbound entry: \(refusal.message)",
                metadata: ["file": "\(OutboundName.printable(entry.relativePath))"])
        }
        emit(entry.event)
    }

    private func forget(_ relative: String) {
        reported[relative] = nil
        pending[relative] = nil
        unknownWriter.remove(relative)
    }

    private func watchRoot() {
        guard rootWatch == nil, let inotify else { return }
        do {
            rootWatch = try inotify.watch(root)
            degradedLogged = false
        } catch {
            if !degradedLogged { logger.warning("\(error.message); scanning every second instead") }
            degradedLogged = true
        }
    }

    private func watchProfile(_ name: String) {
        guard watchOfProfile[name] == nil, let inotify else { return }
        do {
            let watch = try inotify.watch(Syscall.join(root, name))
            profileOfWatch[watch] = name
            watchOfProfile[name] = watch
        } catch {
            logger.warning("\(error.message); files in this profile folder are taken only at the next scan")
        }
    }

    private func dropProfile(_ name: String) {
        if let watch = watchOfProfile.removeValue(forKey: name) {
            profileOfWatch[watch] = nil
            inotify?.unwatch(watch)
        }
        let prefix = name + "/"
        reported = reported.filter { !$0.key.hasPrefix(prefix) }
        pending = pending.filter { !$0.key.hasPrefix(prefix) }
        unknownWriter = unknownWriter.filter { !$0.hasPrefix(prefix) }
    }
}
