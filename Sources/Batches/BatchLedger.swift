// BatchLedger: what the node remembers of one accepted batch until its last batch report: its name and the SED id
// of each file. Reads and writes `var/batches/<ticket>.json`, atomically.

import Foundation
public import SedgateCore
public import Spool

/// One accepted batch: written before its first SED is journalled, removed after its last batch report.
public struct BatchLedger: Codable, Sendable, Hashable {
    /// One SED of the batch.
    public struct Item: Codable, Sendable, Hashable {
        /// Its name as reports show it: `<batch>/<file>`.
        public var file: String
        public var sedId: String

        public init(file: String, sedId: String) {
            self.file = file
            self.sedId = sedId
        }
    }

    /// The batch's name: the manifest's name without `.manifest`, or the archive's name.
    public var batch: String
    /// The intake ticket that took it.
    public var ticket: String
    /// The batch reports already written, by state (so each is written once, across restarts).
    public var reported: [SEDState]
    public var items: [Item]

    public init(batch: String, ticket: String, items: [Item], reported: [SEDState] = []) {
        self.batch = batch
        self.ticket = ticket
        self.items = items
        self.reported = reported
    }

    /// `var/batches` under the spool's `var/`.
    public static func folder(_ layout: SpoolLayout) -> String { layout.varDirectory + "/batches" }

    /// Writes the ledger (creating the folder if needed), durably.
    public func save(_ layout: SpoolLayout) throws(SedgateError) {
        let folder = Self.folder(layout)
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let bytes: Data
        do {
            bytes = try JSONEncoder().encode(self)
        } catch {
            throw SedgateError(.io, "cannot encode the ledger of batch \(batch): \(error)", cause: error)
        }
        try SpoolFile.writeAtomically(Array(bytes), to: folder + "/" + ticket + ".json")
    }

    /// Every ledger of the spool; one that cannot be read is skipped.
    public static func all(_ layout: SpoolLayout) -> [BatchLedger] {
        let folder = folder(layout)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0.hasSuffix(".json") }.sorted().compactMap { name in
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else { return nil }
            return try? JSONDecoder().decode(BatchLedger.self, from: data)
        }
    }

    /// The ledger of `ticket`, if one was written.
    public static func load(_ layout: SpoolLayout, ticket: String) -> BatchLedger? {
        guard let data = FileManager.default.contents(atPath: folder(layout) + "/" + ticket + ".json") else {
            return nil
        }
        return try? JSONDecoder().decode(BatchLedger.self, from: data)
    }

    /// Forgets the batch (after its last report).
    public func remove(_ layout: SpoolLayout) {
        try? FileManager.default.removeItem(atPath: Self.folder(layout) + "/" + ticket + ".json")
    }
}
