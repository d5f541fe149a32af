// ManualClock: a wall clock and a monotonic clock that move only when a test advances them, so waits and cutoffs
// are tested without sleeping. Reads and writes nothing.

public import Foundation
import SedgateCore
import Synchronization

/// A test's clock: `now()` (wall time, for journals and cutoffs) and `instant()` (monotonic, for ages) both stand
/// still until `advance(by:)` moves them together.
public final class ManualClock: Sendable {
    private let elapsed = Mutex<Duration>(.zero)
    private let startDate: Date
    private let startInstant = ContinuousClock.now

    /// A clock reading `start` (by default 2026-12-07T10:00:00Z, a fixed time so timestamps in failures repeat).
    public init(start: Date = Date(timeIntervalSince1970: 1_796_637_600)) {
        startDate = start
    }

    /// The wall time now.
    @Sendable public func now() -> Date {
        startDate.addingTimeInterval(elapsed.withLock { $0 }.timeInterval)
    }

    /// The monotonic instant now.
    @Sendable public func instant() -> ContinuousClock.Instant {
        startInstant.advanced(by: elapsed.withLock { $0 })
    }

    /// Moves both clocks forward by `duration`.
    public func advance(by duration: Duration) {
        elapsed.withLock { $0 += duration }
    }
}
