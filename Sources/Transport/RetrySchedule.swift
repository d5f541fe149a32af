// RetrySchedule: when to try a destination again after a failure. Exponential backoff, bounded; no clock inside.

/// Exponential backoff for one destination, as a value: the caller supplies `now` and keeps the schedule.
///
/// Each failure doubles (by `multiplier`) the wait, from `initial` up to `maximum`; a success resets it.
/// A back-pressure fault's `retryAfter` wins when it asks for a later time than the backoff would.
public struct RetrySchedule: Sendable, Hashable {
    /// The wait after the first failure.
    public let initial: Duration
    /// The longest wait the backoff grows to (a `retryAfter` from the peer may still ask for longer).
    public let maximum: Duration
    /// The factor the wait grows by after each further failure.
    public let multiplier: Double
    /// Failures since the last success (or since the start).
    public private(set) var consecutiveFailures: Int = 0
    /// The backoff to apply at the next failure.
    private var nextDelay: Duration

    /// Makes a schedule. `initial` must be positive, `maximum` at least `initial`, `multiplier` at least 1.
    public init(initial: Duration = .milliseconds(250), maximum: Duration = .seconds(30), multiplier: Double = 2) {
        precondition(initial > .zero, "RetrySchedule: initial must be positive")
        precondition(maximum >= initial, "RetrySchedule: maximum must be at least initial")
        precondition(multiplier >= 1, "RetrySchedule: multiplier must be at least 1")
        self.initial = initial
        self.maximum = maximum
        self.multiplier = multiplier
        self.nextDelay = initial
    }

    /// Records a failure at `now` and returns when to try next.
    ///
    /// `retryAfter` is the wait a back-pressure fault asked for; it is honoured when later than the backoff.
    public mutating func failed(now: ContinuousClock.Instant, retryAfter: Duration? = nil) -> ContinuousClock.Instant {
        let backoff = nextDelay
        consecutiveFailures += 1
        // Grow from the current delay rather than recomputing a power: no overflow however long the outage.
        nextDelay = nextDelay >= maximum ? maximum : min(nextDelay * multiplier, maximum)
        let wait = max(backoff, retryAfter ?? .zero)
        return now.advanced(by: wait)
    }

    /// Records a success: the next failure starts again from `initial`.
    public mutating func succeeded() {
        consecutiveFailures = 0
        nextDelay = initial
    }
}
