// StoreReconciliation: at start-up, the coordination node compares var/store/ with its journal. A sealed SED
// whose file was synced but whose journal row a power cut took back is journalled again (stored, for its
// destination), so nothing is stranded; one that can no longer be forwarded is set aside in var/orphans/.
// Reads var/store/; writes the journal and var/orphans/.

import Foundation
import Logging
import SedgateCore
import Spool
import Transport

/// Recovers sealed SEDs that lie in var/store/ without a journal row.
///
/// The CN writes a SED's file (synced) before its journal row and answers `stored` only after the row is
/// committed, so an orphan is a SED whose sender holds no receipt and will send it again; journalling it now
/// forwards it without waiting for that, and the seen-set then answers the resend as a duplicate. An orphan
/// older than the SED lifetime, unreadable, or without a route is moved to var/orphans/ and logged.
struct StoreReconciliation {
    let configuration: CoordinationNodeConfiguration
    let journal: any MessageStore
    let logger: Logger

    /// What a pass found.
    struct Outcome: Equatable {
        var recovered = 0
        var setAside = 0
    }

    static let prefix = "relay-"
    static let suffix = ".sealed"

    func run(now: Date = Date()) async throws(SedgateError) -> Outcome {
        var outcome = Outcome()
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.spool.store)) ?? []
        for name in names.sorted() where name.hasPrefix(Self.prefix) && name.hasSuffix(Self.suffix) {
            let id = String(name.dropFirst(Self.prefix.count).dropLast(Self.suffix.count))
            guard let sedId = SEDID(id) else { continue }
            if try await journal.record(sedId, .relay) != nil { continue }
            do throws(SedgateError) {
                try await recover(name: name, sedId: sedId, now: now)
                outcome.recovered += 1
                logger.warning(
                    "journalled again a stored SED whose journal row was lost (a power cut)",
                    metadata: ["sedId": "\(sedId)"])
            } catch {
                setAside(name, reason: error)
                outcome.setAside += 1
            }
        }
        return outcome
    }

    private func recover(name: String, sedId: SEDID, now: Date) async throws(SedgateError) {
        let path = configuration.spool.store + "/" + name
        let sealed = try SealedSED.stored(Data(try SpoolFile.read(path, maxBytes: Int.max)), source: path)
        let envelope = sealed.envelope
        guard sealed.sedId == sedId, let origin = envelope.sendingAP else {
            throw SedgateError(.invalidEnvelope, "\(name) does not hold SED \(sedId) from a known access point")
        }
        if let created = envelope.createdAt, Timestamp.isOlder(created, than: configuration.lifetime, now: now) {
            throw SedgateError(.expired, "SED \(sedId) outlived its lifetime while its journal row was missing")
        }
        guard let destination = configuration.routes.destination(for: envelope.receiver),
            envelope.receivingAP == destination
        else {
            throw SedgateError(.unknownRoute, "the CN no longer routes \(envelope.receiver) as SED \(sedId) asks")
        }
        let record = MessageRecord(
            sedId: sedId, direction: .relay, state: .stored, file: nil, peer: destination, origin: origin,
            envelope: envelope, payloadPath: "var/store/\(name)", size: sealed.bytes.count)
        _ = try await journal.insert(
            record, ticket: nil, detail: "recovered from var/store/ at start-up: its journal row was lost")
    }

    /// Moves an orphan that cannot be forwarded to var/orphans/, for an operator, with the reason in the log.
    private func setAside(_ name: String, reason: SedgateError) {
        let folder = configuration.spool.varDirectory + "/orphans"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = try SpoolFile.moveNoReplace(
                configuration.spool.store + "/" + name, toDirectory: folder, preferredName: name)
            logger.error(
                "a stored SED without a journal row cannot be forwarded; it was moved to var/orphans/",
                metadata: ["file": "\(name)", "reason": "\(reason)"])
        } catch {
            logger.error(
                "cannot set aside an orphan in var/store/", metadata: ["file": "\(name)", "error": "\(error)"])
        }
    }
}
