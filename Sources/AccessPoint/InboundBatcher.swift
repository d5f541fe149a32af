// InboundBatcher: collects received SEDs routed to an inbound batch (`batch:<name>`) and, once a batch holds
// `max-count` SEDs or its first SED has waited `period-s`, writes them as one flat file (the profile's mapping:
// header, the SEDs, trailer) into inbound/, atomically, with a report. Reads and writes var/collect/<name>/,
// inbound/, manual/, reports/ and the journal.
//
// Closing a batch: (1) the file and a ledger of its SED ids are written and synced under var/collect/<name>/.closing/;
// (2) the file is renamed into inbound/ (the national side may take it at once; its departure waits for step 3);
// (3) each SED's landed file becomes the batch's name in the journal; (4) the collected copies and the ledger go.
// A restart finds the ledger and finishes from the step it reached, so a batch lands once, whole or not at all.

import Conversion
import Foundation
import Logging
import SedgateCore
import ServiceLifecycle
import Spool

/// An inbound batch: received SEDs collected into one flat file per count or period.
public struct InboundBatchProfile: Sendable {
    /// The flat-file profile whose mapping writes the file.
    public var profile: String
    /// Close a batch once it holds this many SEDs.
    public var maxCount: Int
    /// Close a batch once its first SED has waited this long.
    public var period: Duration

    public init(profile: String, maxCount: Int, period: Duration) {
        self.profile = profile
        self.maxCount = maxCount
        self.period = period
    }
}

/// Closes inbound batches by count or period, and finishes a close a crash interrupted.
struct InboundBatcher: Service {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let logger: Logger

    /// What a closing batch writes first: its file's name and its SEDs.
    struct Ledger: Codable {
        var batch: String
        var file: String
        var seds: [String]
    }

    /// One inbound batch's report, `reports/<file>.landed.json`.
    struct Report: Codable {
        var batch: String
        var file: String
        var state = "landed"
        var at: String
        var node: String
        var count: Int
        var seds: [String]
        var manual: [String]
    }

    func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            for (name, batch) in configuration.inboundBatches.sorted(by: { $0.key < $1.key }) {
                do {
                    try await tick(name, batch, now: Date())
                } catch {
                    logger.error("cannot close an inbound batch", metadata: ["batch": "\(name)", "error": "\(error)"])
                }
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }

    func folder(_ name: String) -> String { configuration.spool.root + "/var/collect/" + name }

    /// Creates the collecting folders and finishes any close a crash interrupted. Run before the services.
    func recover() async throws(SedgateError) {
        for name in configuration.inboundBatches.keys {
            do {
                try FileManager.default.createDirectory(
                    atPath: folder(name) + "/.closing", withIntermediateDirectories: true)
            } catch {
                throw SedgateError(.io, "cannot create var/collect/\(name): \(error)", cause: error)
            }
            try await finish(name)
        }
    }

    /// Closes the batch if it is due: by count, or by the age of its oldest SED.
    func tick(_ name: String, _ batch: InboundBatchProfile, now: Date) async throws(SedgateError) {
        try await finish(name)
        let collected = ((try? FileManager.default.contentsOfDirectory(atPath: folder(name))) ?? [])
            .filter { $0.hasSuffix(".xml") && !$0.hasPrefix(".") }
        guard !collected.isEmpty else { return }
        let oldest =
            collected.compactMap {
                (try? FileManager.default.attributesOfItem(atPath: folder(name) + "/" + $0))?[.modificationDate]
                    as? Date
            }.min() ?? now
        let age = now.timeIntervalSince(oldest)
        let periodSeconds = Double(batch.period.components.seconds)
        guard collected.count >= batch.maxCount || age >= periodSeconds else { return }
        try await close(name, batch, files: Array(collected.sorted().prefix(batch.maxCount)))
    }

    /// Steps 1 and 2 (see the file's header), then `finish`.
    private func close(_ name: String, _ batch: InboundBatchProfile, files: [String]) async throws(SedgateError) {
        guard let profile = configuration.profiles[batch.profile] else {
            throw SedgateError(.configuration, "inbound batch \(name) names profile \(batch.profile), which is gone")
        }
        let writer = FlatWriter(mapping: profile.mapping, profile: profile.format)
        var seds: [(String, [UInt8])] = []
        var misfits: [String] = []
        for file in files {
            let path = folder(name) + "/" + file
            let bytes = try SpoolFile.read(path, maxBytes: Int.max)
            do {
                _ = try writer.write(seds: [bytes])
                seds.append((file, bytes))
            } catch {
                // A SED the layout cannot hold goes to manual/ with the reason, as a single flat SED would.
                try await toManual(name, file: file, error: error)
                misfits.append(String(file.dropLast(4)))
            }
        }
        guard !seds.isEmpty else { return }
        let (bytes, _) = try writer.write(seds: seds.map(\.1))
        let stamp = Timestamp.now().filter { $0.isNumber }.prefix(14)
        let target = "\(name)-\(stamp)-\(seds[0].0.prefix(8)).\(profile.format == .mtf ? "mtf" : "csv")"
        let closing = folder(name) + "/.closing/"
        try SpoolFile.writeAtomically(bytes, to: closing + target)
        let ledger = Ledger(batch: name, file: target, seds: seds.map { String($0.0.dropLast(4)) })
        try SpoolFile.writeAtomically(Self.encode(ledger), to: closing + target + ".ledger")
        logger.info(
            "closing an inbound batch", metadata: ["batch": "\(name)", "file": "\(target)", "seds": "\(seds.count)"])
        try await finish(name, manual: misfits)
    }

    /// Steps 2 to 4 for every ledger in `.closing/`.
    private func finish(_ name: String, manual: [String] = []) async throws(SedgateError) {
        let closing = folder(name) + "/.closing/"
        let ledgers = ((try? FileManager.default.contentsOfDirectory(atPath: closing)) ?? []).filter {
            $0.hasSuffix(".ledger")
        }
        for ledgerName in ledgers.sorted() {
            guard let data = FileManager.default.contents(atPath: closing + ledgerName),
                let ledger = try? JSONDecoder().decode(Ledger.self, from: data)
            else { continue }
            let staged = closing + ledger.file
            if FileManager.default.fileExists(atPath: staged) {
                try SpoolFile.move(staged, to: configuration.spool.inbound + "/" + ledger.file)
            }
            for sed in ledger.seds {
                guard let id = SEDID(sed) else { continue }
                try await journal.transition(
                    id, .inbound, to: .landed, onlyFrom: [.landed], file: "inbound/\(ledger.file)",
                    detail: "collected into inbound batch \(ledger.batch), file inbound/\(ledger.file)")
            }
            let report = Report(
                batch: ledger.batch, file: ledger.file, at: Timestamp.iso8601(), node: configuration.node.rawValue,
                count: ledger.seds.count, seds: ledger.seds, manual: manual)
            let reportPath = configuration.spool.reports + "/" + ledger.file + ".landed.json"
            if !FileManager.default.fileExists(atPath: reportPath) {
                try SpoolFile.writeAtomically(Self.encode(report), to: reportPath)
            }
            for sed in ledger.seds { try? FileManager.default.removeItem(atPath: folder(name) + "/\(sed).xml") }
            try? FileManager.default.removeItem(atPath: closing + ledgerName)
            logger.info("inbound batch landed", metadata: ["batch": "\(ledger.batch)", "file": "\(ledger.file)"])
        }
    }

    /// Moves a collected SED the layout cannot hold to manual/, beside its reason.
    private func toManual(_ name: String, file: String, error: any Error) async throws(SedgateError) {
        let reason = error as? SedgateError ?? SedgateError(.unsupportedInput, "\(error)")
        guard let id = SEDID(String(file.dropLast(4))) else { return }
        let target = configuration.spool.manual + "/" + file
        try SpoolFile.writeAtomically(
            Array(Rejection.errorText(originalName: file, error: reason).utf8), to: target + ".error")
        // The file before the journal: a name in the journal must never point at a file not there yet, which
        // the take-up reconcile would count as taken.
        try SpoolFile.move(folder(name) + "/" + file, to: target)
        try await journal.transition(
            id, .inbound, to: .landed, onlyFrom: [.landed], file: "manual/\(file)",
            detail: "did not fit inbound batch \(name): \(reason.message)")
    }

    static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return Array((try? encoder.encode(value)) ?? Data()) + [UInt8(ascii: "\n")]
    }
}
