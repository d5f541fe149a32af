// WebQueue: the web-service queue's operations, for national applications that are not batch jobs: submit a SED,
// ask an outbound SED's state, list the inbound SEDs routed to `web` by envelope fields, lock one (a lease that
// expires), fetch it, acknowledge it (`routed`), release it. Reads and writes outbound/, var/web/, the journal.
//
// A submitted SED is written into outbound/ by rename, as a batch job would, so it gets the same checks, reports and
// exactly-once by SED id; its `SedId` is the client's idempotency key. Locks live in memory: a restart of the node
// ends them (the client locks again).

import Documents
import Foundation
import Glibc
import Logging
import SedgateCore
import Spool
import Synchronization

/// The web-service queue of one access point.
struct WebQueue: Sendable {
    /// One waiting inbound SED's header: its envelope, never its content.
    struct Header: Codable, Sendable {
        var sedId: String
        var sedType: String
        var sector: String
        var bucType: String
        var caseId: String
        var sender: String
        var receiver: String
        var createdAt: String?
        var landedAt: String
        var locked: Bool
    }

    /// A lease on one inbound SED.
    struct Lease: Codable, Sendable {
        var sedId: String
        var token: String
        var expiresAt: String
    }

    /// The answer about an outbound SED.
    struct Status: Codable, Sendable {
        var sedId: String
        var state: String
        var file: String?
        var at: String?
        var reason: String?
    }

    /// What went wrong, as an HTTP status and a sentence.
    struct Failure: Error {
        var status: Int
        var message: String
    }

    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let sender: Doorbell
    let leaseDuration: Duration
    let locks = Locks()

    /// The folder inbound SEDs routed to `web` wait in.
    var folder: String { configuration.spool.root + "/" + InboundChannel.web.folder }

    /// Takes a SED into outbound/; answers its state. A SED already taken or already submitted is not taken again.
    func submit(_ bytes: [UInt8]) async throws -> (status: Int, Status) {
        let document: SEDDocument
        do throws(SedgateError) {
            document = try SEDReader.read(bytes, source: "the submitted SED")
        } catch {
            throw Failure(status: 400, message: error.message)
        }
        guard let id = document.envelope.sedId else {
            throw Failure(
                status: 400,
                message: "the SED has no SedId; give each SED its id (a UUID): it is what makes a retried submit safe")
        }
        if let record = try await journal.record(id, .outbound) {
            return (
                200, Status(sedId: id.rawValue, state: record.state.rawValue, file: record.file, at: record.updatedAt)
            )
        }
        let name = "ws-\(id.rawValue).xml"
        let final = configuration.spool.outbound + "/" + name
        if FileManager.default.fileExists(atPath: final) {
            return (202, Status(sedId: id.rawValue, state: "submitted", file: name))
        }
        let temporary = configuration.spool.outbound + "/." + name
        try SpoolFile.writeAtomically(bytes, to: temporary)
        try SpoolFile.move(temporary, to: final)
        return (202, Status(sedId: id.rawValue, state: "submitted", file: name))
    }

    /// An outbound SED's state: the journal's, or `rejected` with the reason when intake refused it.
    func status(_ id: SEDID) async throws -> Status {
        if let record = try await journal.record(id, .outbound) {
            return Status(
                sedId: id.rawValue, state: record.state.rawValue, file: record.file, at: record.updatedAt,
                reason: record.lastError)
        }
        let prefix = "ws-\(id.rawValue).xml."
        let reports = (try? FileManager.default.contentsOfDirectory(atPath: configuration.spool.reports)) ?? []
        if let rejected = reports.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".rejected.json") }),
            let data = FileManager.default.contents(atPath: configuration.spool.reports + "/" + rejected),
            let report = try? JSONDecoder().decode(Report.self, from: data)
        {
            return Status(
                sedId: id.rawValue, state: "rejected", file: report.file, at: report.at, reason: report.reason)
        }
        if FileManager.default.fileExists(atPath: configuration.spool.outbound + "/ws-\(id.rawValue).xml") {
            return Status(sedId: id.rawValue, state: "submitted", file: "ws-\(id.rawValue).xml")
        }
        throw Failure(status: 404, message: "no SED \(id) was submitted here")
    }

    /// The waiting inbound SEDs whose envelope matches every filter given (`sender`, `receiver`, `sedType`,
    /// `sector`, `bucType`, `caseId`; `since`: landed at or after), oldest first.
    func list(_ filters: [String: String], limit: Int) async throws -> [Header] {
        var headers: [Header] = []
        var after: Int64 = 0
        let prefix = InboundChannel.web.folder + "/"
        while headers.count < limit {
            let page = try await journal.landedFiles(after: after, limit: 1_000)
            guard let last = page.last else { break }
            after = last.seq
            for landed in page where landed.file.hasPrefix(prefix) {
                guard let record = try await journal.record(landed.sedId, .inbound), record.state == .landed else {
                    continue
                }
                let envelope = record.envelope
                let header = Header(
                    sedId: record.sedId.rawValue, sedType: envelope.sedType, sector: envelope.sector,
                    bucType: envelope.bucType, caseId: envelope.caseId, sender: "\(envelope.sender)",
                    receiver: "\(envelope.receiver)", createdAt: envelope.createdAt, landedAt: record.updatedAt,
                    locked: locks.holder(of: record.sedId.rawValue, now: .now) != nil)
                let fields = [
                    "sender": header.sender, "receiver": header.receiver, "sedType": header.sedType,
                    "sector": header.sector, "bucType": header.bucType, "caseId": header.caseId,
                ]
                let matches = filters.allSatisfy { key, value in
                    key == "since" ? header.landedAt >= value : fields[key].map { $0 == value } ?? true
                }
                if matches { headers.append(header) }
                if headers.count >= limit { break }
            }
        }
        return headers
    }

    /// Locks a waiting SED for `leaseDuration`; 409 while another client's lease runs.
    func lock(_ id: SEDID) async throws -> Lease {
        _ = try await waiting(id)
        let expires = ContinuousClock.now + leaseDuration
        guard let token = locks.take(id.rawValue, until: expires, now: .now) else {
            throw Failure(status: 409, message: "SED \(id) is locked by another client until its lease expires")
        }
        let seconds = Double(leaseDuration.components.seconds)
        let at = Timestamp.iso8601(Date().addingTimeInterval(seconds))
        return Lease(sedId: id.rawValue, token: token, expiresAt: at)
    }

    /// The bytes of a SED this client holds the lock of.
    func fetch(_ id: SEDID, token: String?) async throws -> [UInt8] {
        let file = try await waiting(id)
        try holds(id, token)
        do {
            return try SpoolFile.read(configuration.spool.root + "/" + file, maxBytes: Int.max)
        } catch {
            throw Failure(status: 500, message: error.message)
        }
    }

    /// Acknowledges a fetched SED: `routed` (its sender gets the receipt), and it leaves the queue. Repeating an
    /// acknowledgement answers the same.
    func acknowledge(_ id: SEDID, token: String?) async throws {
        if let record = try await journal.record(id, .inbound), record.state == .routed { return }
        let file = try await waiting(id)
        try holds(id, token)
        // The journal first: a crash before the file goes leaves a file no listing shows, removed at the next ack
        // of the same SED or by an operator; the other order could lose the receipt.
        guard
            try await journal.transition(
                id, .inbound, to: .routed, onlyFrom: [.landed], file: nil,
                detail: "acknowledged over the web-service queue")
        else { throw Failure(status: 409, message: "SED \(id) is no longer waiting") }
        try await journal.enqueueSignal(
            SignalRecord(
                peer: configuration.coordinationNode, sedId: id, kind: "routed", node: configuration.node,
                at: Timestamp.now()))
        sender.ring()
        unlink(configuration.spool.root + "/" + file)
        locks.release(id.rawValue, token: token ?? "")
    }

    /// Gives a lock back before its lease ends.
    func release(_ id: SEDID, token: String?) throws {
        try holds(id, token)
        locks.release(id.rawValue, token: token ?? "")
    }

    private func holds(_ id: SEDID, _ token: String?) throws {
        guard let token, locks.holder(of: id.rawValue, now: .now) == token else {
            throw Failure(
                status: 409, message: "this request does not hold SED \(id)'s lock (Lock-Token); lock it first")
        }
    }

    /// The file of a SED waiting in the web queue, or 404.
    private func waiting(_ id: SEDID) async throws -> String {
        guard let record = try await journal.record(id, .inbound), record.state == .landed, let file = record.file,
            file.hasPrefix(InboundChannel.web.folder + "/")
        else { throw Failure(status: 404, message: "SED \(id) is not waiting in the web-service queue") }
        return file
    }
}

/// The leases, in memory.
final class Locks: Sendable {
    private let leases = Mutex<[String: (token: String, until: ContinuousClock.Instant)]>([:])

    /// A fresh token when `sedId` is free or its lease expired; nil while another lease runs.
    func take(_ sedId: String, until: ContinuousClock.Instant, now: ContinuousClock.Instant) -> String? {
        leases.withLock { leases in
            if let lease = leases[sedId], lease.until > now { return nil }
            let token = RandomID.uuid()
            leases[sedId] = (token, until)
            return token
        }
    }

    /// The token of the running lease on `sedId`, if any.
    func holder(of sedId: String, now: ContinuousClock.Instant) -> String? {
        leases.withLock { leases in
            guard let lease = leases[sedId], lease.until > now else { return nil }
            return lease.token
        }
    }

    func release(_ sedId: String, token: String) {
        leases.withLock { leases in
            if leases[sedId]?.token == token { leases[sedId] = nil }
        }
    }
}
