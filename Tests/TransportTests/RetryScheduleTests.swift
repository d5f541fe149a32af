// RetryScheduleTests: backoff doubles up to its cap, resets on success, and honours a peer's retry-after.

import Testing
import Transport

@Suite("Retry schedule")
struct RetryScheduleTests {
    let now = ContinuousClock.now

    @Test("each failure doubles the wait, starting from the initial delay")
    func doubling() {
        var schedule = RetrySchedule(initial: .milliseconds(250), maximum: .seconds(30))
        #expect(schedule.failed(now: now) == now + .milliseconds(250))
        #expect(schedule.failed(now: now) == now + .milliseconds(500))
        #expect(schedule.failed(now: now) == now + .seconds(1))
        #expect(schedule.consecutiveFailures == 3)
    }

    @Test("the wait never exceeds the maximum, however long the outage")
    func cap() {
        var schedule = RetrySchedule(initial: .seconds(1), maximum: .seconds(5), multiplier: 3)
        let waits = (0..<1000).map { _ in schedule.failed(now: now) - now }
        #expect(Array(waits.prefix(3)) == [.seconds(1), .seconds(3), .seconds(5)])
        #expect(waits.allSatisfy { $0 <= .seconds(5) })
        #expect(schedule.consecutiveFailures == 1000)
    }

    @Test("a success resets the wait and the failure count")
    func reset() {
        var schedule = RetrySchedule(initial: .milliseconds(100), maximum: .seconds(10))
        for _ in 0..<5 { _ = schedule.failed(now: now) }
        schedule.succeeded()
        #expect(schedule.consecutiveFailures == 0)
        #expect(schedule.failed(now: now) == now + .milliseconds(100))
    }

    @Test("a peer's retry-after wins when later than the backoff, and not when earlier")
    func retryAfter() {
        var schedule = RetrySchedule(initial: .seconds(2), maximum: .seconds(30))
        #expect(schedule.failed(now: now, retryAfter: .seconds(60)) == now + .seconds(60))
        // The backoff kept growing underneath: 4 s now, later than a 1 s retry-after.
        #expect(schedule.failed(now: now, retryAfter: .seconds(1)) == now + .seconds(4))
    }
}
