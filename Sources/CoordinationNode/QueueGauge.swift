// QueueGauge: the CN's queue depth for back-pressure, counted in the journal at most once a second, so the
// check costs nothing per message however deep the queue grows.

import SedgateCore
import Synchronization

/// A cached count of the SEDs waiting at the CN.
final class QueueGauge: Sendable {
    private let cached = Mutex<(value: Int, at: ContinuousClock.Instant)?>(nil)
    let journal: any MessageStore
    let maximumAge: Duration
    /// The monotonic clock the count's age is measured on; tests pass their own.
    private let now: @Sendable () -> ContinuousClock.Instant

    init(
        journal: any MessageStore, maximumAge: Duration = .seconds(1),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }
    ) {
        self.journal = journal
        self.maximumAge = maximumAge
        self.now = now
    }

    /// The number of SEDs stored and not yet forwarded, at most `maximumAge` old; each accepted SED counts
    /// at once (`note()`), so a burst cannot overshoot the limit by much within one refresh.
    func value() async throws(SedgateError) -> Int {
        if let current = cached.withLock({ $0 }), now() - current.at < maximumAge { return current.value }
        let counted = try await journal.count(.relay, in: .stored)
        cached.withLock { $0 = (counted, now()) }
        return counted
    }

    /// Counts one more stored SED until the next refresh.
    func note() {
        cached.withLock { current in
            if let value = current?.value, let at = current?.at { current = (value + 1, at) }
        }
    }
}
