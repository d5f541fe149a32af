// DirectoryMaster: the CN's side of directory replication, on the protocol server (mutual TLS): signed snapshot
// pages, signed changes by serial (long-polled, so a change reaches the APs at once), and the changes an AP asks
// for, applied only for institutions of the countries that AP serves; any other is refused and logged as an attempt.

public import Foundation
public import Logging
public import SedgateCore
import ServiceLifecycle
public import Transport

/// Answers the directory routes of the CN's protocol server.
public struct DirectoryMaster: ProtocolExtension {
    public let store: DirectoryStore
    public let node: NodeID
    public let keyPEM: Data
    public let logger: Logger
    /// The longest a changes request waits for a new change.
    public var maximumWait: Duration = .seconds(25)

    /// Makes the master's routes; `keyPEM` is the CN's private key, which signs what it sends.
    public init(store: DirectoryStore, node: NodeID, keyPEM: Data, logger: Logger) {
        self.store = store
        self.node = node
        self.keyPEM = keyPEM
        self.logger = logger
    }

    public var routes: [(method: String, path: String)] {
        [
            ("GET", DirectoryPaths.snapshot), ("GET", DirectoryPaths.changes), ("POST", DirectoryPaths.changes),
            ("GET", DirectoryPaths.search),
        ]
    }

    public func answer(_ request: ExtensionRequest) async -> ExtensionReply {
        do {
            switch (request.method, request.path) {
            case ("GET", DirectoryPaths.snapshot): return try snapshot(request)
            case ("GET", DirectoryPaths.changes): return try await changes(request)
            case ("POST", DirectoryPaths.changes): return try propose(request)
            default:
                return DirectorySearchAPI(store: store, public: false).answer(query: request.query)
            }
        } catch {
            logger.error("directory request failed", metadata: ["path": "\(request.path)", "error": "\(error)"])
            return ExtensionReply(status: 500, body: Array("{\"error\": \"internal\"}".utf8))
        }
    }

    private func signed<T: Encodable>(_ value: T) throws(SedgateError) -> ExtensionReply {
        let body: Data
        do { body = try JSONEncoder.directory.encode(value) } catch {
            throw SedgateError(.storage, "cannot encode a directory message", cause: error)
        }
        let message = try SignedMessage(signing: Array(body), as: node, keyPEM: keyPEM)
        return ExtensionReply(status: 200, contentType: "application/vnd.sedgate.signed+json", body: message.bytes)
    }

    private func snapshot(_ request: ExtensionRequest) throws(SedgateError) -> ExtensionReply {
        let limit = min(max(Int(request.query["limit"] ?? "") ?? 20_000, 1), 50_000)
        let serial = try store.serial()
        let entries = try store.entries(after: request.query["after"] ?? "", limit: limit)
        return try signed(
            SnapshotPage(serial: serial, entries: entries, next: entries.count == limit ? entries.last?.id : nil))
    }

    private func changes(_ request: ExtensionRequest) async throws(SedgateError) -> ExtensionReply {
        let after = Int64(request.query["after"] ?? "") ?? 0
        let wait = min(Duration.milliseconds(Int(request.query["wait"] ?? "") ?? 0), maximumWait)
        let deadline = ContinuousClock.now + wait
        var serial = try store.serial()
        while serial <= after && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
            if Task.isCancelled || Task.isShuttingDownGracefully { break }
            serial = try store.serial()
        }
        return try signed(ChangeBatch(serial: serial, changes: try store.changes(after: after, limit: 5_000)))
    }

    /// An AP's change request: signed by the AP on the line, for institutions of its own countries only.
    private func propose(_ request: ExtensionRequest) throws(SedgateError) -> ExtensionReply {
        func refuse(_ status: Int, _ reason: String, id: String = "-") -> ExtensionReply {
            let who = request.peer.node.map { "\($0)" } ?? request.peer.commonName ?? "unknown"
            store.recordRefusal(who: who, id: id, reason: reason)
            logger.warning(
                "directory change refused", metadata: ["peer": "\(who)", "entry": "\(id)", "reason": "\(reason)"])
            let body = (try? JSONEncoder.directory.encode(ChangeReply(serial: nil, refused: reason))) ?? Data()
            return ExtensionReply(status: status, body: Array(body))
        }
        let message: SignedMessage
        do { message = try SignedMessage(bytes: request.body) } catch { return refuse(400, error.message) }
        guard let peer = request.peer.node, peer == message.signer else {
            return refuse(
                403, "the change is signed by \(message.signer) but sent by \(request.peer.commonName ?? "nobody")")
        }
        guard let ap = try store.entry("\(peer)"), ap.kind == .accessPoint else {
            return refuse(403, "\(peer) is not an access point of the directory")
        }
        let certificates = (ap.fields["certificate"] ?? []).map { Data($0.utf8) }
        guard message.isSigned(byOneOf: certificates) else {
            return refuse(403, "the signature is not made by a certificate the directory lists for \(peer)")
        }
        let change: ChangeRequest
        do { change = try JSONDecoder().decode(ChangeRequest.self, from: Data(message.body)) } catch {
            return refuse(400, "the change request is not valid JSON: \(error)")
        }
        let countries = Set(ap.fields["country"] ?? [])
        for proposal in change.proposals {
            guard proposal.kind == .institution else {
                return refuse(
                    403, "\(peer) may not change access point entries; the CN operator keeps them", id: proposal.id)
            }
            guard let country = Address(proposal.id)?.country, countries.contains(country) else {
                return refuse(
                    403,
                    "\(peer) may change institutions of \(countries.sorted().joined(separator: ", ")) only, not "
                        + "\(proposal.id)", id: proposal.id)
            }
        }
        do {
            let serial = try store.apply(change.proposals, who: "\(peer)", why: change.why)
            logger.info(
                "directory changed by \(peer)",
                metadata: ["entries": "\(change.proposals.count)", "serial": "\(serial)"])
            let body = (try? JSONEncoder.directory.encode(ChangeReply(serial: serial, refused: nil))) ?? Data()
            return ExtensionReply(status: 200, body: Array(body))
        } catch {
            return refuse(400, error.message, id: change.proposals.first?.id ?? "-")
        }
    }
}
