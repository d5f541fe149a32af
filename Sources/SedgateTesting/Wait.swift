// Wait: waits for a condition with a deadline, polling; the way tests and tools wait for the gateway
// (never a fixed sleep hoping the work is done).

import Foundation
import SedgateCore

/// Waits for conditions with a deadline.
public enum Wait {
    /// Polls `condition` every `interval` until it holds; throws a clear error naming `what` after `timeout`.
    public static func until(
        _ what: String, timeout: Duration, interval: Duration = .milliseconds(50),
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            if try await condition() { return }
            guard ContinuousClock.now < deadline else {
                throw SedgateError(.expired, "timed out after \(timeout) waiting for \(what)")
            }
            try await Task.sleep(for: interval)
        }
    }

    /// Polls `progress` every `interval` until it reaches `target`; throws a clear error naming `what` only when the
    /// count stops moving for `stall`. A busy machine is slower, not stuck: the bound is on the absence of progress,
    /// not on the total time, so a run that keeps moving is never cut short.
    public static func progressing(
        _ what: String, to target: Int, stall: Duration = .seconds(120), interval: Duration = .milliseconds(50),
        _ progress: () async throws -> Int
    ) async throws {
        var last = try await progress()
        var lastMove = ContinuousClock.now
        while last < target {
            guard ContinuousClock.now - lastMove < stall else {
                throw SedgateError(
                    .expired, "no progress for \(stall) waiting for \(what): stuck at \(last) of \(target)")
            }
            try await Task.sleep(for: interval)
            let now = try await progress()
            if now != last {
                last = now
                lastMove = .now
            }
        }
    }
}
