// TakeUpWatcher: notices when the national side takes a landed SED from inbound/ or manual/ (removes or moves
// the file), records it as `routed`, and queues a `routed` receipt for the sending access point, through the
// CN. Driven by inotify hints (DepartureWatcher) with a slow reconcile; reads the journal and stats files;
// writes the journal.

import Foundation
import Logging
import SedgateCore
import ServiceLifecycle
import Spool

/// Turns "the file left inbound/" into the `routed` state and its receipt.
///
/// A departure is looked up by its file name in the journal at once. The reconcile (at start, every
/// `[inbound] takeup-scan-s`, and after an inotify overflow) pages through every landed SED and stats its file:
/// it catches what inotify cannot see (a file taken while the node was down, a folder on a network mount). A
/// departure seen a moment before its SED is journalled as landed is looked up again for a few seconds.
struct TakeUpWatcher: Service {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    /// The sender's doorbell: receipts for the CN travel with the outbound traffic.
    let sender: Doorbell
    let logger: Logger

    /// The folders the national side takes landed files from, relative to the spool root.
    static let folders = ["inbound", "manual"]

    /// How many one-second ticks a departure without a landed SED is looked up again.
    static let retries = 10

    func run() async throws {
        let hints = DepartureWatcher(
            root: configuration.spool.root,
            folders: Self.folders + configuration.inboundRouting.folders.map { "inbound/\($0)" },
            reconcileEvery: configuration.takeUpScan, logger: logger)
        var unmatched: [String: Int] = [:]
        for await hint in hints.cancelOnGracefulShutdown() {
            switch hint {
            case .reconcile:
                await reconcile()
                unmatched = [:]
            case .left(let file):
                if !(await takeUp(file)) { unmatched[file] = Self.retries }
            case .tick:
                for (file, left) in unmatched {
                    if await takeUp(file) || left <= 1 {
                        unmatched[file] = nil
                    } else {
                        unmatched[file] = left - 1
                    }
                }
            }
        }
    }

    /// The SED landed at `file`, if one is and the file is gone, becomes `routed`. False when no landed SED has
    /// that name (yet).
    func takeUp(_ file: String) async -> Bool {
        do {
            guard let landed = try await journal.landed(file: file) else { return false }
            await routed(landed)
            // An inbound batch's file holds many SEDs: each of them is routed by its departure.
            // (One that stays landed, a journal failure, ends the loop: it is found again by the next reconcile.)
            var last = landed.sedId
            while !FileManager.default.fileExists(atPath: configuration.spool.root + "/" + file),
                let next = try await journal.landed(file: file), next.sedId != last
            {
                await routed(next)
                last = next.sedId
            }
            return true
        } catch {
            logger.error("cannot read the journal", metadata: ["error": "\(error)"])
            return false
        }
    }

    /// One pass over every landed SED, oldest first, a page at a time: those whose file is gone are routed. The
    /// folders are listed once (readdir, no stat per file); a file missing from the listing is stat-ed before it
    /// counts as taken, since it may have landed after the listing.
    func reconcile() async {
        var present = Set<String>()
        for folder in Self.folders {
            guard let names = DepartureWatcher.present(root: configuration.spool.root, folder: folder) else {
                logger.error("cannot list \(folder)/ for take-up", metadata: ["root": "\(configuration.spool.root)"])
                return
            }
            present.formUnion(names)
        }
        var after: Int64 = 0
        while !Task.isCancelled {
            let page: [LandedFile]
            do {
                page = try await journal.landedFiles(after: after, limit: 5_000)
            } catch {
                logger.error("cannot read the journal", metadata: ["error": "\(error)"])
                return
            }
            guard let last = page.last else { return }
            after = last.seq
            for landed in page where !present.contains(landed.file) { await routed(landed) }
        }
    }

    private func routed(_ landed: LandedFile) async {
        // The name may belong to a newer landing by now: only a file that is really gone counts.
        guard !FileManager.default.fileExists(atPath: configuration.spool.root + "/" + landed.file) else { return }
        do {
            guard
                try await journal.transition(
                    landed.sedId, .inbound, to: .routed, onlyFrom: [.landed], file: nil,
                    detail: "taken from \(landed.file) by the national side")
            else { return }
            try await journal.enqueueSignal(
                SignalRecord(
                    peer: configuration.coordinationNode, sedId: landed.sedId, kind: "routed",
                    node: configuration.node, at: Timestamp.now()))
            sender.ring()
        } catch {
            logger.error("cannot journal a take-up", metadata: ["sedId": "\(landed.sedId)", "error": "\(error)"])
        }
    }
}
