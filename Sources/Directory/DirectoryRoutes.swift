// DirectoryRoutes: routing from the directory, held in memory (address → serving AP) for lookups in microseconds,
// kept current by DirectoryFollower from the changes the store records (by the replica, the CN's own edits, or
// `sedgate directory` in another process). Also writes each access point's current certificate where the sender
// seals from, choosing among overlapping ones (rollover) the newest that is valid now.

import Foundation
public import Logging
public import SedgateCore
public import ServiceLifecycle
import Synchronization
import WSSecurity

/// The directory's routes: the most specific institution address wins (`DE:X:OFFICE` before `DE:X`).
public final class DirectoryRoutes: RouteLookup {
    private let table = Mutex<[String: NodeID]>([:])

    /// Empty; filled by `load` and `apply`.
    public init() {}

    public func destination(for address: Address) -> NodeID? {
        let parts = [address.country, address.institution, address.office, address.extra].compactMap { $0 }
        return table.withLock { table in
            for length in stride(from: parts.count, through: 2, by: -1) {
                if let node = table[parts.prefix(length).joined(separator: ":")] { return node }
            }
            return nil
        }
    }

    /// Replaces every route.
    public func load(_ routes: [String: NodeID]) {
        table.withLock { $0 = routes }
    }

    /// Applies changes in serial order.
    public func apply(_ changes: [DirectoryChange]) {
        table.withLock { table in
            for change in changes where change.kind == .institution {
                switch change.operation {
                case .set: table[change.id] = change.entry?.accessPoint
                case .delete: table[change.id] = nil
                }
            }
        }
    }

    /// How many institutions are routed.
    public var count: Int { table.withLock { $0.count } }
}

/// Follows the store: applies new changes to the routes and the certificate folder; reloads after a snapshot.
public struct DirectoryFollower: Service {
    public let store: DirectoryStore
    public let routes: DirectoryRoutes
    /// Where `<AP-ID>.crt` is written for sealing; nil: no certificates are written (the CN).
    public let certificates: String?
    public let interval: Duration
    public let logger: Logger

    /// Makes a follower; call `catchUp()` once before the node starts taking SEDs.
    public init(
        store: DirectoryStore, routes: DirectoryRoutes, certificates: String?, interval: Duration = .milliseconds(100),
        logger: Logger
    ) {
        self.store = store
        self.routes = routes
        self.certificates = certificates
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        var position = try catchUp()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(for: interval)
            do {
                position = try follow(from: position)
            } catch {
                logger.error("the directory cannot be read", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Loads everything; returns the (epoch, serial) read.
    @discardableResult
    public func catchUp() throws(SedgateError) -> (epoch: Int64, serial: Int64) {
        let epoch = try store.epoch()
        let serial = try store.serial()
        routes.load(try store.routes())
        try writeCertificates(for: try store.entries(kind: .accessPoint))
        return (epoch, serial)
    }

    private func follow(
        from position: (epoch: Int64, serial: Int64)
    ) throws(SedgateError) -> (epoch: Int64, serial: Int64) {
        guard try store.epoch() == position.epoch else { return try catchUp() }
        var serial = position.serial
        while true {
            let changes = try store.changes(after: serial, limit: 10_000)
            guard let last = changes.last else { return (position.epoch, serial) }
            routes.apply(changes)
            let aps = changes.filter { $0.kind == .accessPoint }.compactMap { $0.operation == .set ? $0.entry : nil }
            try writeCertificates(for: aps)
            serial = last.serial
        }
    }

    /// Writes each access point's sealing certificate: of those valid now, the one that became valid last.
    func writeCertificates(for entries: [DirectoryEntry]) throws(SedgateError) {
        guard let certificates else { return }
        try? FileManager.default.createDirectory(atPath: certificates, withIntermediateDirectories: true)
        let now = Date()
        for entry in entries {
            let facts = (entry.fields["certificate"] ?? []).compactMap { pem -> (String, CertificateFacts)? in
                CertificateFacts(pem: Data(pem.utf8)).map { (pem, $0) }
            }
            guard let chosen = facts.filter({ $0.1.isValid(at: now) }).max(by: { $0.1.notBefore < $1.1.notBefore })
            else {
                if !facts.isEmpty {
                    logger.error("no certificate of \(entry.id) in the directory is valid now; SEDs for it wait")
                }
                continue
            }
            let days = chosen.1.notAfter.timeIntervalSince(now) / 86_400
            if days < 30, !facts.contains(where: { $0.1.notAfter > chosen.1.notAfter }) {
                logger.warning(
                    "the certificate of \(entry.id) expires in \(Int(days)) days and the directory lists no successor")
            }
            let path = "\(certificates)/\(entry.id).crt"
            if (try? String(contentsOfFile: path, encoding: .utf8)) == chosen.0 { continue }
            let temporary = path + ".tmp"
            do {
                try Data(chosen.0.utf8).write(to: URL(fileURLWithPath: temporary))
                _ = rename(temporary, path)
            } catch {
                throw SedgateError(.io, "cannot write \(path)", cause: error)
            }
        }
    }
}
