// IntakeQueue+Group: takes a burst of committed SED files as one group: one journal transaction opens their intakes,
// one sync per folder makes their moves durable, their stored copies are synced together, one transaction accepts
// them all and one folder sync writes their `accepted` reports. The per-file guarantees are those of `take`.

import Documents
import Foundation
import Logging
import SedgateCore
import Spool
import Transport

extension IntakeQueue {
    /// Takes the files of one burst, in order. Plain SED files go through the group path; flat files, enclosures and
    /// sidecars one at a time (`take`), each after the plain files committed before it.
    func take(all files: [CommittedFile]) async {
        var plain: [CommittedFile] = []
        for file in files {
            if isPlainSED(file) {
                plain.append(file)
                continue
            }
            await takeGroup(plain)
            plain = []
            await take(file)
        }
        await takeGroup(plain)
    }

    /// A file the group path handles: not a profile's flat file, not a batch, not a sidecar, not a payload with one.
    private func isPlainSED(_ file: CommittedFile) -> Bool {
        if file.relativePath.contains("/") || file.relativePath.hasSuffix(Self.sidecarSuffix)
            || Self.isBatch(file.relativePath)
        {
            return false
        }
        return !FileManager.default.fileExists(atPath: layout.outbound + "/" + file.relativePath + Self.sidecarSuffix)
    }

    /// The group path. Crash safety is `take`'s: every file is at each moment in exactly one of outbound/ (not
    /// taken), var/intake/ with an intake row (recovery processes it again), or the journal (accepted).
    private func takeGroup(_ files: [CommittedFile]) async {
        guard !files.isEmpty else { return }
        if files.count == 1, let file = files.first { return await take(file) }
        await waitForSpace()
        let items = files.map { (file: $0, ticket: RandomID.uuid()) }
        let takenAt = Timestamp.now()
        do {
            try await journal.beginIntakes(
                items.map { IntakeRecord(ticket: $0.ticket, name: $0.file.relativePath, takenAt: takenAt) })
        } catch {
            logger.error(
                "cannot journal the intake; the files stay in outbound/",
                metadata: ["files": "\(files.count)", "error": "\(error)"])
            return
        }
        let codes: [Int32]
        do {
            let moves = items.map { ($0.file.path, intakePath($0.ticket)) }
            codes = try await Blocking.durable { () throws(SedgateError) in try SpoolFile.moveAll(moves) }
        } catch {
            // The renames happened; only their sync failed. Each file is in var/intake/ with its intake row, where
            // processing (or recovery after a crash) finds it.
            logger.error("cannot sync the intake folders", metadata: ["error": "\(error)"])
            codes = items.map { FileManager.default.fileExists(atPath: intakePath($0.ticket)) ? 0 : ENOENT }
        }
        var taken: [(file: CommittedFile, ticket: String)] = []
        for (item, code) in zip(items, codes) {
            guard code == 0 else {
                // The producer removed or replaced it between the event and now: nothing was taken.
                logger.warning(
                    "a committed file vanished before it was taken",
                    metadata: ["file": "\(item.file.relativePath)", "errno": "\(code)"])
                try? await journal.endIntake(ticket: item.ticket, rejected: nil)
                continue
            }
            taken.append(item)
        }
        await accept(group: taken)
    }

    /// Reads, validates and completes each taken file; journals the good ones together; rejects the others.
    private func accept(group taken: [(file: CommittedFile, ticket: String)]) async {
        struct Ready {
            var record: MessageRecord
            var bytes: [UInt8]
            var name: String
            var ticket: String
            var flagged: SedgateError?
        }
        var ready: [Ready] = []
        var ids: Set<SEDID> = []
        // The last number per conversation: the journal's, then the ones given in this group (the journal raises its
        // own only when the group commits).
        var numbered: [String: Int] = [:]
        // Each file read and checked first; then the seen-set asked once for every id the producers gave.
        var checked: [(item: (file: CommittedFile, ticket: String), document: SEDDocument, flagged: SedgateError?)] = []
        for item in taken {
            let name = item.file.relativePath
            let path = intakePath(item.ticket)
            var sedId: SEDID?
            do {
                let bytes = try SpoolFile.read(
                    path, maxBytes: configuration.maxDocumentBytes, shownAs: "outbound/\(name)")
                let document = try SEDReader.read(bytes, source: "outbound/\(name)")
                sedId = document.envelope.sedId
                checked.append((item, document, try validate(document)))
            } catch {
                await reject(path: path, name: name, ticket: item.ticket, sedId: sedId, error: error)
            }
        }
        let seen: [SEDID: MessageRecord]
        do {
            seen = try await journal.records(checked.compactMap(\.document.envelope.sedId), .outbound)
            // The last numbers of the conversations this group numbers, read once.
            let unnumbered = checked.filter { $0.document.envelope.seqNo == nil }
            numbered = try await journal.lastSequences(
                .outbound, conversations: unnumbered.compactMap(\.document.envelope.conversation))
        } catch {
            for (item, document, _) in checked {
                await reject(
                    path: intakePath(item.ticket), name: item.file.relativePath, ticket: item.ticket,
                    sedId: document.envelope.sedId, error: error)
            }
            return
        }
        for (item, document, flagged) in checked {
            let name = item.file.relativePath
            let path = intakePath(item.ticket)
            var sedId = document.envelope.sedId
            do {
                // The seen-set is asked before a number is given, so a duplicate never leaves a gap in its
                // conversation.
                if let id = document.envelope.sedId {
                    if ids.contains(id) || seen[id] != nil { throw duplicate(id, name: name) }
                }
                let seqNo = Self.sequenceNumber(for: document.envelope, given: &numbered)
                let (record, final) = try complete(document, name: name, ticket: item.ticket, seqNo: seqNo)
                sedId = record.sedId
                ids.insert(record.sedId)
                ready.append(Ready(record: record, bytes: final, name: name, ticket: item.ticket, flagged: flagged))
            } catch {
                await reject(path: path, name: name, ticket: item.ticket, sedId: sedId, error: error)
            }
        }
        guard !ready.isEmpty else { return }
        let inserted: [Bool]
        do {
            let files = ready.map { (path: layout.root + "/" + $0.record.payloadPath, bytes: $0.bytes) }
            try await Blocking.durable { [layout] () throws(SedgateError) in
                try SpoolFile.writeAllNew(files, in: layout.store)
            }
            inserted = try await journal.insert(
                batch: ready.map {
                    NewSED(record: $0.record, ticket: $0.ticket, detail: "taken from outbound/\($0.name)")
                })
        } catch {
            for item in ready {
                try? FileManager.default.removeItem(atPath: layout.root + "/" + item.record.payloadPath)
                await reject(
                    path: intakePath(item.ticket), name: item.name, ticket: item.ticket, sedId: item.record.sedId,
                    error: error)
            }
            return
        }
        var accepted: [Ready] = []
        for (item, done) in zip(ready, inserted) {
            guard done else {
                try? FileManager.default.removeItem(atPath: layout.root + "/" + item.record.payloadPath)
                await reject(
                    path: intakePath(item.ticket), name: item.name, ticket: item.ticket, sedId: item.record.sedId,
                    error: duplicate(item.record.sedId, name: item.name))
                continue
            }
            accepted.append(item)
        }
        // The reports before the intake files go: a kill in between leaves the files, and recovery (which finds them
        // already accepted) writes any missing report again.
        let written = accepted.map {
            AccessPointReports.report(
                .accepted, name: $0.name, sedId: $0.record.sedId, ticket: $0.ticket, node: configuration.node,
                envelope: $0.record.envelope, error: $0.flagged)
        }
        let intakeFiles = accepted.map { intakePath($0.ticket) }
        await Blocking.durableQuietly { [reports, logger] in
            AccessPointReports.writeAll(reports, written, logger: logger)
            for path in intakeFiles { unlink(path) }
        }
        for item in accepted {
            logger.info("accepted", metadata: ["file": "\(item.name)", "sedId": "\(item.record.sedId)"])
        }
        sender.ring()
    }

    /// The number a SED of `envelope` gets inside a group (nil when it has its own or has no conversation): the next
    /// after `numbered`, the last number per conversation (the journal's, read before the group, raised by the numbers
    /// this group gave or was given).
    static func sequenceNumber(for envelope: Envelope, given numbered: inout [String: Int]) -> Int? {
        guard let conversation = envelope.conversation else { return nil }
        if let seqNo = envelope.seqNo {
            numbered[conversation] = max(numbered[conversation] ?? 0, seqNo)
            return nil
        }
        let next = (numbered[conversation] ?? 0) + 1
        numbered[conversation] = next
        return next
    }
}
