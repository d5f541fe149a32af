// OutboundWatcher: the pickup of committed files from `outbound/`, as an AsyncSequence of SpoolEvents.
// Reads the folder through a WatchLoop on its own thread; writes nothing (the consumer moves files away).

import Foundation
public import Logging
import SedgateCore
import Synchronization

/// Reports files national systems commit to `outbound/` and to its profile folders (the README's spool contract).
///
/// A file is committed by renaming it in (reported at once), or by closing it after writing (reported once its
/// size and mtime stayed unchanged for `settle`). At start and after an inotify overflow the folder is scanned, and
/// files whose mtime is `settle` old are reported. Dot-files, `*.part` and `*.tmp` are never reported. Symbolic
/// links, FIFOs, devices, folders that are not configured profiles, and names with control characters or invalid
/// UTF-8 are reported as `.refused`, for the consumer to move to `rejected/`. A name is reported once while the
/// same file stays there; the consumer is expected to move it away. A file hard-linked into the folder (no close,
/// no rename) is only seen by the next scan.
///
/// Each iteration runs its own watcher thread; cancelling the consuming task ends the sequence at once and stops
/// the thread within 200 ms.
public struct OutboundWatcher: AsyncSequence, Sendable {
    public typealias Element = SpoolEvent
    public typealias Failure = Never

    /// The `outbound/` folder.
    public let directory: String
    /// How long a closed-after-writing file must stay unchanged before it is reported.
    public let settle: Duration
    /// Folder names in `outbound/` that are profile folders (read one level deep); other folders are refused.
    public let allowedProfiles: Set<String>
    /// How often the folder is scanned in full besides inotify (zero: never): what finds files another host wrote
    /// over NFS or SMB, which raise no inotify event on this machine.
    public let rescan: Duration
    private let logger: Logger

    /// A watcher of `directory` (which should exist; if it does not, the watcher waits for it).
    public init(
        directory: String, settle: Duration, rescan: Duration = .zero, allowedProfiles: Set<String> = [],
        logger: Logger
    ) {
        self.directory = directory
        self.settle = settle
        self.rescan = rescan
        self.allowedProfiles = allowedProfiles
        self.logger = logger
    }

    /// Starts watching; events flow until the iterator is dropped or its task cancelled.
    public func makeAsyncIterator() -> Iterator {
        let (stream, continuation) = AsyncStream<SpoolEvent>.makeStream(bufferingPolicy: .unbounded)
        let stop = start(yield: { continuation.yield($0) }, finish: { continuation.finish() })
        continuation.onTermination = { _ in stop.raise() }
        return Iterator(base: stream.makeAsyncIterator(), token: StopToken(stop))
    }

    /// The same events in groups: each element is every event found since the consumer last asked (at most
    /// `limit`, oldest first), so a consumer that makes each group durable with one commit pays one commit per
    /// burst, not one per file. A group is handed over as soon as it holds one event: nothing waits to fill it.
    public func batches(limit: Int) -> Batches {
        Batches(watcher: self, limit: Swift.max(1, limit))
    }

    /// Runs the watch loop on its own thread until the returned flag is raised.
    private func start(
        yield: @escaping @Sendable (SpoolEvent) -> Void, finish: @escaping @Sendable () -> Void
    ) -> StopFlag {
        let stop = StopFlag()
        let (directory, settle, rescan, allowedProfiles, logger) = (directory, settle, rescan, allowedProfiles, logger)
        let thread = Thread {
            let loop = WatchLoop(
                root: directory, settle: settle, rescan: rescan, allowedProfiles: allowedProfiles, logger: logger,
                emit: yield)
            loop.run { stop.isRaised }
            finish()
        }
        thread.name = "sedgate-outbound"
        thread.start()
        return stop
    }

    /// `OutboundWatcher.batches(limit:)`: groups of events.
    public struct Batches: AsyncSequence, Sendable {
        public typealias Element = [SpoolEvent]
        public typealias Failure = Never
        let watcher: OutboundWatcher
        let limit: Int

        public func makeAsyncIterator() -> Iterator {
            let pending = PendingEvents()
            let (bell, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
            let stop = watcher.start(
                yield: { event in
                    pending.append(event)
                    continuation.yield()
                }, finish: { continuation.finish() })
            continuation.onTermination = { _ in stop.raise() }
            return Iterator(pending: pending, bell: bell.makeAsyncIterator(), limit: limit, token: StopToken(stop))
        }

        /// Yields every event waiting, up to the limit; waits only when none is.
        public struct Iterator: AsyncIteratorProtocol {
            let pending: PendingEvents
            var bell: AsyncStream<Void>.Iterator
            let limit: Int
            let token: StopToken

            public mutating func next() async -> [SpoolEvent]? {
                while true {
                    let group = pending.take(limit)
                    if !group.isEmpty { return group }
                    guard await bell.next() != nil else { return nil }
                }
            }

            public mutating func next(isolation actor: isolated (any Actor)?) async -> [SpoolEvent]? {
                while true {
                    let group = pending.take(limit)
                    if !group.isEmpty { return group }
                    guard await bell.next(isolation: actor) != nil else { return nil }
                }
            }
        }
    }

    /// Yields events as the watcher finds them.
    public struct Iterator: AsyncIteratorProtocol {
        var base: AsyncStream<SpoolEvent>.Iterator
        let token: StopToken

        /// The next event; nil once the consuming task is cancelled.
        public mutating func next() async -> SpoolEvent? {
            await base.next()
        }

        /// The next event, staying on the caller's actor; nil once the consuming task is cancelled.
        public mutating func next(isolation actor: isolated (any Actor)?) async -> SpoolEvent? {
            await base.next(isolation: actor)
        }
    }

    /// One-shot scan: the committed files in `directory` and its profile folders whose mtime is at least `settle`
    /// old, oldest first. Refused and young entries are left out. For `sedgate queue list` and tests.
    public static func scan(directory: String, settle: Duration, allowedProfiles: Set<String> = []) -> [CommittedFile] {
        let (seconds, attoseconds) = settle.components
        let settleNanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
        let cutoff = Syscall.nanoseconds(CLOCK_REALTIME) - settleNanoseconds
        var entries = OutboundEntry.list(root: directory, profile: nil, allowedProfiles: allowedProfiles) ?? []
        for name in entries.compactMap(\.profileFolder) {
            entries += OutboundEntry.list(root: directory, profile: name, allowedProfiles: allowedProfiles) ?? []
        }
        return
            entries
            .filter { $0.isRegularFile && $0.refusal == nil && $0.observation.mtime <= cutoff }
            .sorted { ($0.observation.mtime, $0.relativePath) < ($1.observation.mtime, $1.relativePath) }
            .map { CommittedFile(relativePath: $0.relativePath, path: $0.path, profile: $0.profile) }
    }
}

/// Events the watcher thread found and the consumer has not taken yet. Taking a group costs the group, not the
/// backlog (a burst of 20,000 files is taken in hundreds of groups).
final class PendingEvents: Sendable {
    private struct Queue {
        var events: [SpoolEvent] = []
        /// The oldest event not taken.
        var head = 0
    }
    private let queue = Mutex(Queue())
    func append(_ event: SpoolEvent) { queue.withLock { $0.events.append(event) } }
    /// Removes and returns the oldest `limit` events.
    func take(_ limit: Int) -> [SpoolEvent] {
        queue.withLock { queue in
            let end = min(queue.events.count, queue.head + limit)
            let group = Array(queue.events[queue.head..<end])
            queue.head = end
            if queue.head == queue.events.count {
                queue.events.removeAll(keepingCapacity: queue.events.count <= 4_096)
                queue.head = 0
            } else if queue.head >= 1_024, queue.head * 2 >= queue.events.count {
                // Taken events go once they are half the array: each moved event was preceded by one taken.
                queue.events.removeFirst(queue.head)
                queue.head = 0
            }
            return group
        }
    }
}

/// Tells the watcher thread to stop.
final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    func raise() { raised.store(true, ordering: .relaxed) }
    var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// Held only by an iterator: when the iterator goes away, the watcher thread stops.
final class StopToken: Sendable {
    private let flag: StopFlag
    init(_ flag: StopFlag) { self.flag = flag }
    deinit { flag.raise() }
}
