// SeenSetExpiry: keeps the journal (and with it the seen-set of SED ids) bounded: every hour it forgets the SEDs
// that finished longer ago than the configured retention, and conversations idle that long (twice that, for
// the numbers this node gives). A Service; writes the journal only.

import Foundation
public import Logging
import SedgateCore
public import ServiceLifecycle

/// Forgets finished SEDs older than `retention`, hourly and once at start.
public struct SeenSetExpiry: Service {
    let journal: Journal
    let retention: Duration
    let logger: Logger

    /// Makes the service; `retention` should exceed the SED lifetime by a comfortable margin.
    public init(journal: Journal, retention: Duration, logger: Logger) {
        self.journal = journal
        self.retention = retention
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let seconds = Double(retention.components.seconds)
            let cutoff = Timestamp.iso8601(Date().addingTimeInterval(-seconds))
            let numberingCutoff = Timestamp.iso8601(Date().addingTimeInterval(-2 * seconds))
            do {
                let forgotten = try await journal.expire(finishedBefore: cutoff, numberingIdleBefore: numberingCutoff)
                if forgotten > 0 { logger.info("forgot finished SEDs", metadata: ["count": "\(forgotten)"]) }
            } catch {
                logger.error("cannot expire the seen-set", metadata: ["error": "\(error)"])
            }
            // The hour's wait ends at once on a graceful shutdown, so the node stops without delay.
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3_600)) }
        }
    }
}
