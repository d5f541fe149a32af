// BatchReporter: writes each batch's reports, `reports/<batch>.<state>.json`, as its SEDs move on. Reads the
// ledgers in var/batches/ and the journal; writes reports/ and the ledgers.
//
// It watches from outside the delivery path: every `interval` it looks up the state of each SED of each open
// batch and writes the batch states now due (BatchReport.due). A batch is forgotten after its final report.

import Batches
import Foundation
import Logging
import SedgateCore
import ServiceLifecycle
import Spool

/// Follows every accepted batch until its final report (`delivered` or `failed`).
struct BatchReporter: Service {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            await sweep()
            // A sweep reads every open batch's SEDs: with huge batches open it waits nine times its own length,
            // so following batches never takes more than a tenth of the node's time.
            try? await Task.sleep(for: max(interval, (ContinuousClock.now - started) * 9))
        }
    }

    /// One look at every open batch.
    func sweep() async {
        let layout = configuration.spool
        for var ledger in BatchLedger.all(layout) {
            var records: [(BatchLedger.Item, MessageRecord?)] = []
            for item in ledger.items {
                var record: MessageRecord?
                if let id = SEDID(item.sedId) { record = try? await journal.record(id, .outbound) }
                records.append((item, record))
            }
            let due = BatchReport.due(records.map { $0.1?.state }, reported: ledger.reported)
            guard !due.isEmpty else { continue }
            let items = records.map { item, record in
                BatchReport.Item(file: item.file, sedId: item.sedId, state: record?.state ?? .accepted)
            }
            for state in due {
                do {
                    try BatchReport(batch: ledger.batch, state: state, node: configuration.node.rawValue, seds: items)
                        .write(to: layout.reports)
                    ledger.reported.append(state)
                    logger.info("batch \(state.rawValue)", metadata: ["batch": "\(ledger.batch)"])
                } catch {
                    logger.error(
                        "cannot write a batch report", metadata: ["batch": "\(ledger.batch)", "error": "\(error)"])
                    break
                }
            }
            if ledger.reported.contains(where: BatchReport.isFinal) {
                ledger.remove(layout)
            } else {
                try? ledger.save(layout)
            }
        }
    }
}
