// Capacity: whether a node may take one more SED now (FS-59 back-pressure). A pure decision over the
// queue depth and the free disk space the caller measured; no I/O here.

/// A node's capacity limits and the decision they give.
public struct Capacity: Sendable, Hashable {
    /// Refuse new SEDs once this many wait in the node's queue (nil: no limit).
    public var maxQueued: Int?
    /// Refuse new SEDs when the spool's file system has less free space than this (nil: no limit).
    public var minFreeBytes: Int64?
    /// What the refusal asks the sender to wait before trying again.
    public var retryAfter: Duration

    public init(maxQueued: Int? = nil, minFreeBytes: Int64? = nil, retryAfter: Duration = .seconds(30)) {
        self.maxQueued = maxQueued
        self.minFreeBytes = minFreeBytes
        self.retryAfter = retryAfter
    }

    /// nil when a new SED may be taken; otherwise a `.backPressure` error saying why and when to retry.
    public func refusal(queued: Int, freeBytes: Int64) -> SedgateError? {
        let seconds = retryAfter.components.seconds
        if let maxQueued, queued >= maxQueued {
            return SedgateError(
                .backPressure,
                "over capacity: \(queued) SEDs are queued here (the limit is \(maxQueued)); retry in \(seconds) s")
        }
        if let minFreeBytes, freeBytes < minFreeBytes {
            return SedgateError(
                .backPressure,
                "over capacity: \(freeBytes / 1_048_576) MiB free on the spool's disk (at least \(minFreeBytes / 1_048_576) "
                    + "MiB are kept free); retry in \(seconds) s")
        }
        return nil
    }
}
