// ClusterMaintenance: a clustered CN process's background work: it creates the tables at start, renews the
// leases it uses (three times per term), forgets finished SEDs hourly (as SeenSetExpiry does for SQLite), and
// gives its leases back when it stops. A Service.

import Foundation
import Logging
import SedgateCore
import ServiceLifecycle

/// Keeps this process's leases alive and the shared journal bounded.
struct ClusterMaintenance: Service {
    let journal: ClusterJournal
    let retention: Duration
    let logger: Logger

    func run() async throws {
        var lastExpiry: ContinuousClock.Instant?
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await journal.renewLeases()
            } catch {
                logger.error("cannot renew the leases in the cluster database", metadata: ["error": "\(error)"])
            }
            if lastExpiry.map({ ContinuousClock.now - $0 > .seconds(3_600) }) ?? true {
                lastExpiry = .now
                let seconds = Double(retention.components.seconds)
                do {
                    let forgotten = try await journal.expire(
                        finishedBefore: Timestamp.iso8601(Date().addingTimeInterval(-seconds)),
                        numberingIdleBefore: Timestamp.iso8601(Date().addingTimeInterval(-2 * seconds)))
                    if forgotten > 0 { logger.info("forgot finished SEDs", metadata: ["count": "\(forgotten)"]) }
                } catch {
                    logger.error("cannot expire the seen-set", metadata: ["error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: journal.leases.duration / 3) }
        }
        await journal.releaseLeases()
        await journal.database.closeAll()
    }
}
