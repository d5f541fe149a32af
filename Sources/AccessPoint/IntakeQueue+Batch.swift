// IntakeQueue+Batch: taking a batch whole: `<batch>.manifest` with its folder `<batch>.batch/`, or an archive
// (zip, tar, tar.gz, tar.zst). Reads var/intake/<ticket>[.batch]; writes var/store/, var/batches/, reports/,
// rejected/.
//
// All or nothing: every file is read and checked first (checksum, safe parse, envelope, content rules, SED id
// unused); one bad file refuses the batch whole, nothing of it journalled. Then a ledger is written and each SED
// journalled under its own id or one derived from the ticket and its position, so a restart half-way takes the
// same batch again with the same ids and the seen-set skips what was already taken. The intake row goes with the
// last SED.

import Batches
import Documents
import Foundation
import Logging
import SedgateCore
import Spool

extension IntakeQueue {
    /// `<batch>.manifest` commits the batch whose files wait in `outbound/<batch>.batch/`.
    static let manifestSuffix = ".manifest"
    /// The folder of a manifest batch's files.
    static let batchFolderSuffix = ".batch"

    /// Whether a committed name is a batch: a manifest or an archive at the top of `outbound/`.
    static func isBatch(_ name: String) -> Bool {
        !name.contains("/") && (name.hasSuffix(manifestSuffix) || ArchiveStream.isArchive(name))
    }

    /// The limits an archive batch is read under.
    var archiveLimits: ArchiveLimits {
        var limits = configuration.archiveLimits
        limits.maxEntryBytes = min(limits.maxEntryBytes, configuration.maxDocumentBytes)
        return limits
    }

    /// Takes one batch whole, or refuses it whole.
    func processBatch(ticket: String, name: String) async {
        let path = intakePath(ticket)
        let isManifest = name.hasSuffix(Self.manifestSuffix)
        let batch = isManifest ? String(name.dropLast(Self.manifestSuffix.count)) : name
        let folder = path + Self.batchFolderSuffix
        if isManifest {
            let waiting = layout.outbound + "/" + batch + Self.batchFolderSuffix
            if FileManager.default.fileExists(atPath: waiting) { try? SpoolFile.move(waiting, to: folder) }
        }
        var parts = [(path: path, name: name)]
        if isManifest { parts.append((path: folder, name: batch + Self.batchFolderSuffix)) }
        let plan: BatchPlan
        do {
            plan = try await check(
                batch: batch, name: name, ticket: ticket, path: path, folder: isManifest ? folder : nil)
        } catch {
            await refuseBatch(batch: batch, ticket: ticket, parts: parts, error: error, problems: [], files: 0)
            return
        }
        guard plan.problems.isEmpty else {
            let count = plan.problems.count
            let error = SedgateError(
                plan.problems.count == 1 ? plan.problems[0].error.code : .unsupportedInput,
                "\(count) of the batch's entries \(count == 1 ? "is" : "are") bad (see the bad: lines); "
                    + "nothing of the batch was sent. Mend them and commit the batch again",
                location: .init(file: "outbound/\(name)"))
            await refuseBatch(
                batch: batch, ticket: ticket, parts: parts, error: error, problems: plan.problems, files: plan.ids.count
            )
            return
        }
        do {
            try await accept(plan, batch: batch, name: name, ticket: ticket, path: path, folder: folder)
        } catch {
            // Only the journal or the disk can fail here (every file passed its checks): the batch stays in
            // var/intake/ with its intake row open, and the next start takes it again, with the same SED ids.
            logger.error(
                "cannot journal a batch; it is taken again at the next start",
                metadata: ["batch": "\(name)", "error": "\(error)"])
            return
        }
        try? FileManager.default.removeItem(atPath: path)
        try? FileManager.default.removeItem(atPath: folder)
        logger.info("accepted a batch", metadata: ["batch": "\(name)", "seds": "\(plan.ids.count)"])
    }

    /// What the first pass found: the SED id of each file (in order), the manifest's defaults, and the bad entries.
    struct BatchPlan {
        var files: [String] = []
        var ids: [SEDID] = []
        var defaults: [EnvelopeField: String] = [:]
        var problems: [BatchProblem] = []
    }

    /// The first pass: reads every file and checks it, changing nothing.
    private func check(
        batch: String, name: String, ticket: String, path: String, folder: String?
    ) async throws(SedgateError) -> BatchPlan {
        var plan = BatchPlan()
        let reported = layout.reports + "/" + batch.replacingOccurrences(of: "/", with: "__")
        if BatchLedger.load(layout, ticket: ticket) == nil,
            ["accepted", "rejected"].contains(where: {
                FileManager.default.fileExists(atPath: "\(reported).\($0).json")
            })
        {
            throw SedgateError(
                .duplicate,
                "a batch named \(batch) was taken before (see reports/\(batch).*.json); name each batch uniquely, "
                    + "for instance with its date, or remove its old batch reports",
                location: .init(file: "outbound/\(name)"))
        }
        var cursor = try cursor(name: name, path: path, folder: folder)
        plan.problems = cursor.folderProblems
        var given: [SEDID: String] = [:]
        var digests: [String: String] = [:]
        while let entry = try cursor.next() {
            switch entry {
            case .bad(let problem):
                plan.problems.append(problem)
            case .file(let file, let bytes):
                if cursor.isManifest(file) {
                    continue
                }
                digests[file] = BatchCursor.sha256(bytes)
                let item = "\(batch)/\(file)"
                let index = plan.ids.count
                plan.files.append(file)
                plan.ids.append(Self.derivedID(ticket: ticket, index: index))
                do throws(SedgateError) {
                    let document = try prepare(bytes, source: "outbound/\(item)", defaults: cursor.manifest?.defaults)
                    if let id = document.envelope.sedId {
                        plan.ids[index] = id
                        if let other = given.updateValue(file, forKey: id) {
                            throw SedgateError(
                                .duplicate, "has SED id \(id), as \(other) does; each SED needs its own id",
                                location: .init(file: "outbound/\(item)", field: "Envelope/SedId"))
                        }
                    }
                    if let existing = try await journal.record(plan.ids[index], .outbound), existing.file != item {
                        throw duplicate(plan.ids[index], name: item)
                    }
                } catch {
                    plan.problems.append(BatchProblem(name: file, error: error))
                }
            }
        }
        plan.problems += cursor.manifestProblems(digests: digests)
        plan.defaults = cursor.manifest?.defaults ?? [:]
        if plan.ids.isEmpty, plan.problems.isEmpty {
            throw SedgateError(
                .unsupportedInput, "the batch holds no file; nothing was sent",
                location: .init(file: "outbound/\(name)"))
        }
        return plan
    }

    /// The second pass: journals every SED of a checked batch, in order.
    private func accept(
        _ plan: BatchPlan, batch: String, name: String, ticket: String, path: String, folder: String
    ) async throws(SedgateError) {
        let items = zip(plan.files, plan.ids).map { BatchLedger.Item(file: "\(batch)/\($0)", sedId: $1.rawValue) }
        if BatchLedger.load(layout, ticket: ticket) == nil {
            try BatchLedger(batch: batch, ticket: ticket, items: items).save(layout)
        }
        var cursor = try cursor(name: name, path: path, folder: name.hasSuffix(Self.manifestSuffix) ? folder : nil)
        var index = 0
        while let entry = try cursor.next() {
            guard case .file(let file, let bytes) = entry, !cursor.isManifest(file) else { continue }
            defer { index += 1 }
            let item = "\(batch)/\(file)"
            let id = plan.ids[index]
            if let existing = try await journal.record(id, .outbound) {
                // Taken from this very batch before a restart: only its report may be missing.
                report(.accepted, name: item, sedId: id, ticket: ticket, envelope: existing.envelope)
                continue
            }
            let document = try prepare(bytes, source: "outbound/\(item)", defaults: plan.defaults)
            let flagged = try validate(document)
            let record = try accept(
                document, name: item, ticket: ticket, index: index, sedId: id,
                seqNo: try await nextSequenceNumber(for: document.envelope))
            let last = index == plan.ids.count - 1
            _ = try await journal.insert(
                record, ticket: last ? ticket : nil, detail: "taken from batch outbound/\(name)")
            report(.accepted, name: item, sedId: id, ticket: ticket, envelope: record.envelope, error: flagged)
            sender.ring()
        }
        if index < plan.ids.count {
            // The files changed between the passes: impossible once taken, unless the disk lost them.
            throw SedgateError(.io, "batch \(name) lost files between its check and its journalling")
        }
    }

    /// Reads a SED of a batch, with the manifest's defaults for the fields it leaves out, and checks its rules.
    private func prepare(
        _ bytes: [UInt8], source: String, defaults: [EnvelopeField: String]?
    ) throws(SedgateError) -> SEDDocument {
        let document =
            if let defaults, !defaults.isEmpty {
                try EnvelopeCompletion.completing(bytes, source: source, with: defaults)
            } else {
                try SEDReader.read(bytes, source: source)
            }
        _ = try validate(document)
        return document
    }

    private func cursor(name: String, path: String, folder: String?) throws(SedgateError) -> BatchCursor {
        if let folder {
            let manifest = try BatchManifest(
                bytes: try SpoolFile.read(path, maxBytes: 16 << 20, shownAs: "outbound/\(name)"),
                source: "outbound/\(name)")
            guard FileManager.default.fileExists(atPath: folder) else {
                let batch = String(name.dropLast(Self.manifestSuffix.count))
                throw SedgateError(
                    .unsupportedInput,
                    "the batch folder outbound/\(batch)\(Self.batchFolderSuffix)/ is missing: write the files "
                        + "there first, then commit the manifest",
                    location: .init(file: "outbound/\(name)"))
            }
            return BatchCursor(
                folder: folder, manifest: manifest, maxBytes: configuration.maxDocumentBytes,
                shownAs: "outbound/\(String(name.dropLast(Self.manifestSuffix.count)))\(Self.batchFolderSuffix)")
        }
        return BatchCursor(
            archive: try ArchiveStream(path: path, shownAs: "outbound/\(name)", limits: archiveLimits))
    }

    /// Moves a refused batch to rejected/ with one `.error`, and writes its `rejected` batch report.
    private func refuseBatch(
        batch: String, ticket: String, parts: [(path: String, name: String)], error: any Error,
        problems: [BatchProblem], files: Int
    ) async {
        let reason = error as? SedgateError ?? SedgateError(.io, "the batch could not be read: \(error)")
        do {
            let final = try BatchRejection.reject(parts, layout: layout, error: reason, problems: problems)
            logger.notice(
                "rejected a batch",
                metadata: ["batch": "\(parts[0].name)", "to": "\(final)", "bad": "\(problems.count)"])
        } catch {
            logger.error(
                "cannot move a refused batch to rejected/", metadata: ["batch": "\(batch)", "error": "\(error)"])
        }
        try? await journal.endIntake(ticket: ticket, rejected: nil)
        do {
            try BatchReport(
                batch: batch, node: configuration.node.rawValue, error: reason, problems: problems, files: files
            )
            .write(to: layout.reports)
        } catch {
            logger.error("cannot write a batch report", metadata: ["batch": "\(batch)", "error": "\(error)"])
        }
    }

    /// Removes `var/intake/<ticket>.batch` folders whose manifest is gone (their batch was accepted).
    func removeLeftoverBatchFolders(_ names: [String]) {
        for name in names where name.hasSuffix(Self.batchFolderSuffix) {
            let manifest = intakePath(String(name.dropLast(Self.batchFolderSuffix.count)))
            if !FileManager.default.fileExists(atPath: manifest) {
                try? FileManager.default.removeItem(atPath: intakePath(name))
            }
        }
    }
}
