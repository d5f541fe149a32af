// ManualQueue: the operator's side of `manual/`: received SEDs no inbound route matched, listed, forwarded to a
// channel, rejected, or returned to their sender with a `failed` receipt. Reads the journal and manual/; writes
// manual/, inbound/, rejected/, the journal and its outgoing receipts.
//
// Works on a running node or a stopped one (the journal is SQLite in WAL mode). A forward links the file into its
// channel, records the new name in the journal, then removes it from manual/: the node's take-up watcher, which
// sees the file leave manual/, finds no SED landed there any more, so the move is never mistaken for a take-up.

import Foundation
import Glibc
import Logging
public import SedgateCore
import Spool

/// Operator actions on `manual/`.
public struct ManualQueue: Sendable {
    /// One SED waiting in `manual/`.
    public struct Entry: Sendable {
        public var sedId: SEDID
        /// Its name under the spool, `manual/<name>`.
        public var file: String
        public var envelope: Envelope
        /// When it landed there.
        public var since: String
    }

    let configuration: AccessPointConfiguration
    let journal: any MessageStore

    public init(configuration: AccessPointConfiguration, journal: any MessageStore) {
        self.configuration = configuration
        self.journal = journal
    }

    /// The SEDs waiting in `manual/`, oldest first.
    public func list() async throws(SedgateError) -> [Entry] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.spool.manual)) ?? []
        var entries: [Entry] = []
        for name in names.sorted() where !name.hasPrefix(".") && !name.hasSuffix(".error") {
            guard let landed = try await journal.landed(file: "manual/\(name)"),
                let record = try await journal.record(landed.sedId, .inbound)
            else { continue }
            entries.append(
                Entry(sedId: record.sedId, file: "manual/\(name)", envelope: record.envelope, since: record.updatedAt))
        }
        return entries.sorted { $0.since < $1.since }
    }

    /// Hands a SED in `manual/` to `channel` (`inbound` or `inbound/<folder>`); the national side takes it there.
    public func forward(_ id: SEDID, to channel: InboundChannel) async throws(SedgateError) -> String {
        let (_, file) = try await waiting(id)
        guard case .inbound(let folder) = channel else {
            throw SedgateError(
                .configuration,
                "a SED can be forwarded to inbound or inbound/<folder>; \(channel) is not one (a flat-file profile "
                    + "converts on arrival only)")
        }
        let directory = configuration.spool.root + "/" + channel.folder
        if let folder, !InboundChannel.isPlainName(folder) {
            throw SedgateError(.configuration, "\(channel) is not a plain folder name")
        }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let source = configuration.spool.root + "/" + file
        let name = String(file.dropFirst("manual/".count))
        let target = try Self.linkNoReplace(source, into: directory, name: name)
        let landedName = channel.folder + "/" + (target.split(separator: "/").last.map(String.init) ?? name)
        try await journal.transition(
            id, .inbound, to: .landed, onlyFrom: [.landed], file: landedName,
            detail: "forwarded by an operator from \(file) to \(landedName)")
        unlink(source)
        unlink(source + ".error")
        try SpoolFile.fsyncDirectory(configuration.spool.manual)
        return "SED \(id) forwarded to \(landedName)"
    }

    /// Refuses a SED in `manual/` here: it moves to `rejected/` with the reason, and fails. Its sender is not told
    /// (it stays `delivered` there); `returnToSender` tells it.
    public func reject(_ id: SEDID, reason: String) async throws(SedgateError) -> String {
        let (_, file) = try await waiting(id)
        let final = try await refuse(id, file: file, reason: reason, code: .refused)
        return "SED \(id) rejected: \(final)"
    }

    /// Returns a SED in `manual/` to its sender: it moves to `rejected/` with the reason, fails, and a `failed`
    /// receipt with the reason goes back through the CN (the sender's report says `failed`).
    public func returnToSender(_ id: SEDID, reason: String) async throws(SedgateError) -> String {
        let (record, file) = try await waiting(id)
        // The receipt first: a crash before the move leaves the SED in manual/ to return again (a repeated
        // receipt changes nothing at the sender); the other order could fail the SED here and never tell.
        try await journal.enqueueSignal(
            SignalRecord(
                peer: configuration.coordinationNode, sedId: id, kind: "failed", node: configuration.node,
                at: Timestamp.now(), reason: reason, code: SedgateError.Code.unknownRoute.name))
        let final = try await refuse(id, file: file, reason: reason, code: .unknownRoute)
        try configuration.spool.touchRetryNow()
        return "SED \(id) returned to \(record.envelope.sender) (\(record.origin)): \(final)"
    }

    /// Moves the file to rejected/ with an `.error` and fails the SED.
    private func refuse(
        _ id: SEDID, file: String, reason: String, code: SedgateError.Code
    ) async throws(SedgateError) -> String {
        let error = SedgateError(code, reason)
        let source = configuration.spool.root + "/" + file
        // The journal first: the running node's take-up watcher, seeing the file leave manual/, must find no SED
        // landed there, or it would count the move as the national side taking it (`routed`).
        try await journal.transition(
            id, .inbound, to: .failed, onlyFrom: [.landed], file: nil, detail: "refused by an operator: \(reason)")
        let final = try Rejection.reject(source, originalName: file, layout: configuration.spool, error: error)
        unlink(source + ".error")
        return final
    }

    /// The landed record of a SED in manual/, or why there is none.
    private func waiting(_ id: SEDID) async throws(SedgateError) -> (MessageRecord, String) {
        guard let record = try await journal.record(id, .inbound) else {
            throw SedgateError(.notFound, "node \(configuration.node) received no SED \(id)")
        }
        guard record.state == .landed, let file = record.file, file.hasPrefix("manual/") else {
            throw SedgateError(
                .notFound,
                "SED \(id) is \(record.state.rawValue)\(record.file.map { " at \($0)" } ?? "") here, not waiting in "
                    + "manual/; see `sedgate queue manual list`")
        }
        return (record, file)
    }

    /// Links `source` into `directory` under `name`, or `name-1`, `name-2`... when taken; fsyncs the directory.
    static func linkNoReplace(_ source: String, into directory: String, name: String) throws(SedgateError) -> String {
        let dot = name.lastIndex(of: ".") ?? name.endIndex
        for attempt in 0..<10_000 {
            let candidate = attempt == 0 ? name : "\(name[..<dot])-\(attempt)\(name[dot...])"
            let target = directory + "/" + candidate
            if link(source, target) == 0 {
                try SpoolFile.fsyncDirectory(directory)
                return target
            }
            guard errno == EEXIST else {
                throw SedgateError(
                    .io, "cannot link \(source) into \(directory): \(String(cString: strerror(errno)))",
                    location: .init(file: source))
            }
        }
        throw SedgateError(.io, "\(directory) holds 10000 files named like \(name); clear it out")
    }

    /// Writes `<file>.error` beside a SED that landed in manual/ because no route matched, saying what to do.
    static func noteUnrouted(_ record: MessageRecord, at path: String, logger: Logger) {
        let envelope = record.envelope
        let error = SedgateError(
            .unknownRoute,
            "no inbound route matches receiver \(envelope.receiver), sector \(envelope.sector), SED type "
                + "\(envelope.sedType), BUC \(envelope.bucType); route it with `sedgate queue manual forward "
                + "\(record.sedId) --to <channel>`, or `return` it to its sender")
        let name = path.split(separator: "/").last.map(String.init) ?? path
        try? SpoolFile.writeAtomically(
            Array(Rejection.errorText(originalName: name, error: error).utf8), to: path + ".error")
        logger.warning("no inbound route matches; the SED is in manual/", metadata: ["sedId": "\(record.sedId)"])
    }
}
