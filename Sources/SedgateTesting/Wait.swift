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
}
