// IOCounters: process-wide counts of the durable operations a node makes (file fsyncs, journal commits), for
// `sedgate bench` and operators. Pure counters (atomics); the places that sync increment them.

import Synchronization

/// How many fsyncs and journal commits this process has made since it started.
public enum IOCounters {
    private static let fsyncCount = Atomic<Int>(0)
    private static let commitCount = Atomic<Int>(0)

    /// Counts one fsync (or fdatasync) of a file or folder made by sedgate itself (SQLite's own are not included:
    /// with `synchronous = FULL` in WAL mode it makes one per journal commit, plus a few per checkpoint).
    public static func noteFsync() { fsyncCount.add(1, ordering: .relaxed) }

    /// Counts one journal write transaction.
    public static func noteCommit() { commitCount.add(1, ordering: .relaxed) }

    /// The fsyncs counted so far.
    public static var fsyncs: Int { fsyncCount.load(ordering: .relaxed) }

    /// The journal commits counted so far.
    public static var commits: Int { commitCount.load(ordering: .relaxed) }
}
