// TakeUpWatcher: notices when the national side takes a landed SED from inbound/ (removes or moves the
// file), records it as `routed`, and queues a `routed` receipt for the sending access point, through the
// CN. Reads inbound/ (stat only) and the journal; writes the journal.

import Foundation
import Logging
import SedgateCore
import ServiceLifecycle
import Spool

/// Turns "the file left inbound/" into the `routed` state and its receipt.
struct TakeUpWatcher: Service {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    /// The sender's doorbell: receipts for the CN travel with the outbound traffic.
    let sender: Doorbell
    let logger: Logger
    /// How often inbound/ is looked at.
    var interval: Duration = .milliseconds(500)

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            await check()
            try? await Task.sleep(for: interval)
        }
    }

    /// One pass over the landed SEDs, oldest first.
    func check() async {
        let landed: [MessageRecord]
        do {
            landed = try await journal.records(.inbound, in: .landed, peer: nil, limit: 10_000)
        } catch {
            logger.error("cannot read the journal", metadata: ["error": "\(error)"])
            return
        }
        for record in landed {
            // A SED whose name was lost in a crash cannot be watched; `sedgate trace` still shows it landed.
            guard let file = record.file, !FileManager.default.fileExists(atPath: configuration.spool.root + "/" + file)
            else { continue }
            do {
                guard
                    try await journal.transition(
                        record.sedId, .inbound, to: .routed, onlyFrom: [.landed], file: nil,
                        detail: "taken from \(file) by the national side")
                else { continue }
                try await journal.enqueueSignal(
                    SignalRecord(
                        peer: configuration.coordinationNode, sedId: record.sedId, kind: "routed",
                        node: configuration.node, at: Timestamp.now()))
                sender.ring()
            } catch {
                logger.error("cannot journal a take-up", metadata: ["sedId": "\(record.sedId)", "error": "\(error)"])
            }
        }
    }
}
