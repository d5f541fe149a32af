// DepartureWatcher: hints that the national side took files from the folders it collects from (`inbound/`,
// `manual/`): a name removed or moved out, by inotify, plus a slow reconcile for what inotify cannot see.
// Reads kernel events only (on its own thread); writes nothing.

import Foundation
import Glibc
public import Logging
import SedgateCore

/// Hints that files left the folders a national system takes from, as an `AsyncSequence`.
///
/// inotify is a hint, a scan is the truth (the README's spool contract): the sequence yields `.left(path)` for every name removed
/// from or moved out of a watched folder, `.reconcile` at start, every `reconcileEvery`, after an inotify overflow
/// and when a watch is re-established (the consumer then compares its own list with the disk), and `.tick` once a
/// second (for the consumer's short retries). An idle node waiting with 250,000 files costs nothing but the tick:
/// nothing is listed or stat-ed until a file leaves or the reconcile is due. Without inotify (the per-user limit)
/// it reconciles every `fallbackEvery` instead.
public struct DepartureWatcher: AsyncSequence, Sendable {
    /// One hint.
    public enum Hint: Sendable, Hashable {
        /// A name left a watched folder: the spool-relative path it had (e.g. `inbound/x.xml`).
        case left(String)
        /// Compare the list of waiting files with the disk.
        case reconcile
        /// A second passed.
        case tick
    }

    public typealias Element = Hint
    public typealias Failure = Never

    /// The spool root the folders are relative to.
    public let root: String
    /// The watched folders, relative to `root` (e.g. `["inbound", "manual"]`).
    public let folders: [String]
    /// How often the full reconcile runs while inotify works.
    public let reconcileEvery: Duration
    /// How often it runs when inotify is unavailable.
    public let fallbackEvery: Duration
    private let logger: Logger

    public init(
        root: String, folders: [String], reconcileEvery: Duration, fallbackEvery: Duration = .seconds(2),
        logger: Logger
    ) {
        self.root = root
        self.folders = folders
        self.reconcileEvery = reconcileEvery
        self.fallbackEvery = fallbackEvery
        self.logger = logger
    }

    /// Starts watching; hints flow until the iterator is dropped or its task cancelled.
    public func makeAsyncIterator() -> Iterator {
        let stop = StopFlag()
        let (stream, continuation) = AsyncStream<Hint>.makeStream(bufferingPolicy: .unbounded)
        continuation.onTermination = { _ in stop.raise() }
        let loop = DepartureLoop(
            root: root, folders: folders, reconcileEvery: Self.nanoseconds(reconcileEvery),
            fallbackEvery: Self.nanoseconds(fallbackEvery), logger: logger)
        let thread = Thread {
            loop.run(shouldStop: { stop.isRaised }, emit: { continuation.yield($0) })
            continuation.finish()
        }
        thread.name = "sedgate-takeup"
        thread.start()
        return Iterator(base: stream.makeAsyncIterator(), token: StopToken(stop))
    }

    /// The names now in `folder` (relative to `root`), as `folder/name` paths: one readdir pass, no stat, so a
    /// reconcile over 250,000 waiting files stays cheap. Names that are not valid UTF-8 are left out (the gateway
    /// never lands one). Nil when the folder cannot be read.
    public static func present(root: String, folder: String) -> Set<String>? {
        guard let names = Syscall.names(in: Syscall.join(root, folder)) else { return nil }
        var present = Set<String>(minimumCapacity: names.count)
        for raw in names {
            if let name = String(validating: raw, as: UTF8.self) { present.insert(folder + "/" + name) }
        }
        return present
    }

    static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return Swift.max(1_000_000, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// Yields hints as the watcher finds them.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<Hint>.Iterator
        let token: StopToken

        public mutating func next() async -> Hint? {
            await base.next()
        }

        public mutating func next(isolation actor: isolated (any Actor)?) async -> Hint? {
            await base.next(isolation: actor)
        }
    }
}

/// The watcher thread's state: one inotify descriptor, a watch per folder, the reconcile timer.
private final class DepartureLoop: @unchecked Sendable {
    // Handed to exactly one thread at creation and used only there.
    let root: String
    let folders: [String]
    let reconcileEvery: Int64
    let fallbackEvery: Int64
    let logger: Logger

    private var inotify: Inotify?
    private var folderOfWatch: [Int32: String] = [:]

    private static let mask = UInt32(IN_MOVED_FROM | IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
    private static let second: Int64 = 1_000_000_000

    init(root: String, folders: [String], reconcileEvery: Int64, fallbackEvery: Int64, logger: Logger) {
        self.root = root
        self.folders = folders
        self.reconcileEvery = reconcileEvery
        self.fallbackEvery = fallbackEvery
        self.logger = logger
    }

    func run(shouldStop: () -> Bool, emit: (DepartureWatcher.Hint) -> Void) {
        do {
            inotify = try Inotify()
        } catch {
            logger.warning("\(error.message)", metadata: ["folder": "\(root)"])
        }
        // Watch before the first reconcile, so nothing taken between the two is missed.
        watchMissing()
        emit(.reconcile)
        var now = Syscall.nanoseconds(CLOCK_MONOTONIC)
        var nextReconcile = now + interval
        var nextTick = now + Self.second
        while !shouldStop() {
            let wait = max(0, min(nextTick, nextReconcile) - now)
            // Wake at least every 200 ms to notice a stop; round up so the wait never spins.
            let milliseconds = Int32(min(200, (wait + 999_999) / 1_000_000))
            if let inotify, !folderOfWatch.isEmpty {
                if inotify.wait(milliseconds: milliseconds) { handle(inotify.read(), emit: emit) }
            } else {
                Glibc.poll(nil, 0, milliseconds)
            }
            now = Syscall.nanoseconds(CLOCK_MONOTONIC)
            if now >= nextTick {
                nextTick = now + Self.second
                // A folder removed and made again (or inotify back after a limit): watch it, then reconcile.
                if watchMissing() { nextReconcile = now }
                emit(.tick)
            }
            if now >= nextReconcile {
                nextReconcile = now + interval
                emit(.reconcile)
            }
        }
    }

    /// The reconcile period: slow while inotify watches every folder, fast without it.
    private var interval: Int64 {
        inotify != nil && folderOfWatch.count == folders.count ? reconcileEvery : fallbackEvery
    }

    /// Watches the folders not yet watched. True when one was added.
    @discardableResult
    private func watchMissing() -> Bool {
        guard let inotify else { return false }
        var added = false
        for folder in folders where !folderOfWatch.values.contains(folder) {
            let path = Syscall.join(root, folder)
            guard let watch = try? inotify.watch(path, mask: Self.mask) else { continue }
            folderOfWatch[watch] = folder
            added = true
        }
        return added
    }

    private func handle(_ events: [Inotify.Event], emit: (DepartureWatcher.Hint) -> Void) {
        var overflowed = false
        for event in events {
            if event.has(IN_Q_OVERFLOW) {
                overflowed = true
                continue
            }
            guard let folder = folderOfWatch[event.watch] else { continue }
            if event.has(IN_IGNORED) || event.has(IN_DELETE_SELF) || event.has(IN_MOVE_SELF) {
                inotify?.unwatch(event.watch)
                folderOfWatch[event.watch] = nil
                logger.error(
                    "\(folder)/ was removed or moved; waiting for it to come back", metadata: ["root": "\(root)"])
                continue
            }
            guard !event.name.isEmpty, event.has(IN_MOVED_FROM) || event.has(IN_DELETE) else { continue }
            // Names the gateway lands are valid UTF-8 (PathComponent.safe); anything else is not one of ours.
            guard let name = String(validating: event.name, as: UTF8.self) else { continue }
            emit(.left(folder + "/" + name))
        }
        if overflowed {
            logger.notice(
                "inotify queue overflowed; reconciling the waiting inbound files", metadata: ["root": "\(root)"])
            emit(.reconcile)
        }
    }
}
