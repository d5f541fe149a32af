// DirectoryReplica: an access point's copy of the directory, kept current from the CN over the protocol's mutual
// TLS: a signed snapshot when the copy is empty, then signed changes after its serial, long-polled (a change made
// anywhere reaches this AP within the poll's round trip). An AP that was down asks for the changes it missed. A
// message whose signature is not the CN's is refused: the copy stays at its serial and the next poll tries again.

public import Foundation
public import Logging
public import SedgateCore
public import ServiceLifecycle
public import Transport

/// Keeps the AP's directory copy current.
public struct DirectoryReplica: Service {
    public let store: DirectoryStore
    public let client: ProtocolClient
    public let coordinationNodeURL: String
    /// The CN's certificate (PEM file): what its messages must be signed by.
    public let signerCertificate: String
    public let wait: Duration
    public let retryInitial: Duration
    public let retryMaximum: Duration
    public let logger: Logger

    /// Makes a replica; `wait` is how long the CN holds a poll open without news.
    public init(
        store: DirectoryStore, client: ProtocolClient, coordinationNodeURL: String, signerCertificate: String,
        wait: Duration = .seconds(20), retryInitial: Duration = .milliseconds(250),
        retryMaximum: Duration = .seconds(30),
        logger: Logger
    ) {
        self.store = store
        self.client = client
        self.coordinationNodeURL = coordinationNodeURL
        self.signerCertificate = signerCertificate
        self.wait = wait
        self.retryInitial = retryInitial
        self.retryMaximum = retryMaximum
        self.logger = logger
    }

    public func run() async throws {
        var backoff = retryInitial
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // A poll is held open at the CN for up to `wait`: a shutdown must not wait for it to end.
                try await cancelWhenGracefulShutdown { try await synchronise(wait: wait) }
                backoff = retryInitial
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { break }
                let serial = (try? store.serial()) ?? 0
                logger.warning(
                    "directory replication failed; the copy stays at serial \(serial)",
                    metadata: ["error": "\(error)"])
                try? await Task.sleep(for: backoff)
                backoff = min(backoff * 2, retryMaximum)
            }
        }
        await client.shutdown()
    }

    /// One round: a snapshot if the copy is empty, then one (long) poll for changes, applied.
    public func synchronise(wait: Duration = .zero) async throws(SedgateError) {
        var serial = try store.serial()
        if serial == 0 {
            serial = try await snapshot()
        }
        let milliseconds = wait.components.seconds * 1_000 + wait.components.attoseconds / 1_000_000_000_000_000
        let batch: ChangeBatch = try await fetch(
            DirectoryPaths.changes + "?after=\(serial)&wait=\(milliseconds)", timeout: wait + .seconds(15))
        if !batch.changes.isEmpty {
            try store.replay(batch.changes)
            logger.debug("directory changes applied", metadata: ["serial": "\(batch.changes.last?.serial ?? serial)"])
        }
    }

    /// Fetches every snapshot page, checks every signature, then replaces the copy at once. Returns its serial.
    func snapshot() async throws(SedgateError) -> Int64 {
        var entries: [DirectoryEntry] = []
        var cursor: String? = ""
        var serial: Int64?
        while let after = cursor {
            let page: SnapshotPage = try await fetch(
                DirectoryPaths.snapshot
                    + "?after=\(after.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
                timeout: .seconds(120))
            serial = serial ?? page.serial
            entries.append(contentsOf: page.entries)
            cursor = page.next
        }
        guard let serial, serial > 0 else { return 0 }
        try store.replace(with: entries, serial: serial)
        logger.info("directory snapshot loaded", metadata: ["entries": "\(entries.count)", "serial": "\(serial)"])
        return serial
    }

    private func fetch<T: Decodable>(_ path: String, timeout: Duration) async throws(SedgateError) -> T {
        let reply = try await client.raw(nil, path: path, to: coordinationNodeURL, timeout: timeout)
        guard reply.status == 200 else {
            throw SedgateError(.peerUnavailable, "the CN answered \(path) with HTTP \(reply.status)")
        }
        let message = try SignedMessage(bytes: reply.body)
        guard let certificate = FileManager.default.contents(atPath: signerCertificate) else {
            throw SedgateError(
                .configuration, "the CN's certificate cannot be read ([directory] cn-certificate)",
                location: .init(file: signerCertificate))
        }
        guard message.isSigned(byOneOf: [certificate]) else {
            throw SedgateError(
                .signatureInvalid,
                "a directory message from the CN is not signed by the CN's certificate \(signerCertificate); refused")
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(message.body))
        } catch {
            throw SedgateError(
                .protocolViolation, "the CN's directory message is not what \(path) returns", cause: error)
        }
    }
}

/// Sends an access point's changes to the CN, signed by the AP (`sedgate directory set|delete|import` on an AP).
public struct DirectoryClient: Sendable {
    public let client: ProtocolClient
    public let node: NodeID
    public let keyPEM: Data
    public let coordinationNodeURL: String

    /// Makes a client for the AP `node` with its private key.
    public init(client: ProtocolClient, node: NodeID, keyPEM: Data, coordinationNodeURL: String) {
        self.client = client
        self.node = node
        self.keyPEM = keyPEM
        self.coordinationNodeURL = coordinationNodeURL
    }

    /// Asks the CN to apply `proposals`; returns the serial they were applied at. Throws `.unauthorized` with the
    /// CN's reason when it refused them.
    public func propose(_ proposals: [DirectoryProposal], why: String) async throws(SedgateError) -> Int64 {
        let body: Data
        do { body = try JSONEncoder.directory.encode(ChangeRequest(proposals: proposals, why: why)) } catch {
            throw SedgateError(.storage, "cannot encode the change request", cause: error)
        }
        let message = try SignedMessage(signing: Array(body), as: node, keyPEM: keyPEM)
        let reply = try await client.raw(
            message.bytes, contentType: "application/vnd.sedgate.signed+json", path: DirectoryPaths.changes,
            to: coordinationNodeURL, timeout: .seconds(300))
        let answer = try? JSONDecoder().decode(ChangeReply.self, from: Data(reply.body))
        if let serial = answer?.serial, reply.status == 200 { return serial }
        throw SedgateError(
            reply.status == 403 ? .unauthorized : .refused,
            "the CN refused the change: \(answer?.refused ?? "HTTP \(reply.status)")")
    }
}
