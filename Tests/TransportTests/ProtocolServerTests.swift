// ProtocolServerTests: a server and a client talk over real mutual TLS on 127.0.0.1 with throwaway certificates.

import Logging
import SedgateCore
import ServiceLifecycle
import Synchronization
import Testing
import Transport

/// Stores every message it is given and answers with a `stored` receipt.
final class RecordingHandler: MessageHandler {
    let received = Mutex<[ProtocolMessage]>([])

    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        received.withLock { $0.append(message) }
        guard let sedId = message.envelope?.sedId else {
            return message.replying(with: Fault(code: .invalidEnvelope, reason: "no SED id", isSenderFault: true))
        }
        return message.replying(
            with: Receipt(sedId: sedId, kind: .stored, node: message.to, at: "2026-11-23T10:15:01Z"))
    }
}

/// Always over capacity: answers every message with a back-pressure fault asking for 42 seconds.
struct BusyHandler: MessageHandler {
    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        message.replying(
            with: Fault(
                code: .backPressure, reason: "over capacity", retryAfterSeconds: 42,
                isSenderFault: false))
    }
}

@Suite("Protocol server and client over mutual TLS", .serialized, .timeLimit(.minutes(1)))
struct ProtocolServerTests {
    let logger = Logger(label: "test")

    /// Runs a CN server on an ephemeral port of 127.0.0.1 and calls `body` with its base URL once it is healthy.
    func withServer(
        _ pki: TestCertificates, handler: any MessageHandler,
        limits: ServerLimits = ServerLimits(), logger: Logger? = nil,
        _ body: @Sendable (String) async throws -> Void
    ) async throws {
        let server = try ProtocolServer(
            host: "127.0.0.1", port: 0, tls: pki.files("server"), handler: handler,
            logger: logger ?? self.logger, limits: limits)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let port = try #require(await server.listeningPort(), "the server stopped before it listened")
            let baseURL = "https://127.0.0.1:\(port)"
            // Bound is not yet proven healthy: poll /health over TLS, with a deadline rather than a fixed sleep.
            // The bound is the suite's time limit's, generous for a busy machine; the probe is shut down on every
            // path (a client dropped without shutdown traps, taking every other test down with it).
            let probe = try ProtocolClient(tls: pki.files("client"), logger: self.logger)
            let deadline = ContinuousClock.now + .seconds(45)
            while true {
                do {
                    try await probe.checkHealth(of: baseURL, timeout: .seconds(5))
                    break
                } catch {
                    guard ContinuousClock.now < deadline else {
                        await probe.shutdown()
                        throw error
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            await probe.shutdown()
            try await body(baseURL)
        }
    }

    @Test("a deliver from the certified node gets a receipt, and the handler sees the message intact")
    func deliverGetsReceipt() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let handler = RecordingHandler()
        try await withServer(pki, handler: handler) { baseURL in
            let client = try ProtocolClient(tls: pki.files("client"), logger: logger)
            let message = try Fixtures.deliver()
            let reply: ProtocolMessage
            do {
                reply = try await client.send(message, to: baseURL)
            } catch {
                await client.shutdown()
                throw error
            }
            await client.shutdown()
            #expect(reply.action == .receipt)
            #expect(reply.receipt?.sedId == Fixtures.sedId)
            #expect(reply.receipt?.kind == .stored)
            #expect(reply.relatesTo == message.messageID)
            #expect(handler.received.withLock { $0 } == [message])
        }
    }

    @Test("a message claiming another sender than its certificate is refused as unauthorized")
    func impostorIsUnauthorized() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let handler = RecordingHandler()
        try await withServer(pki, handler: handler) { baseURL in
            let client = try ProtocolClient(tls: pki.files("client"), logger: logger)
            var message = try Fixtures.deliver()
            message.from = NodeID("AP-X")!
            let reply = try? await client.send(message, to: baseURL)
            await client.shutdown()
            #expect(reply?.action == .fault)
            #expect(reply?.fault?.code == .unauthorized)
            #expect(reply?.fault?.isSenderFault == true)
            #expect(reply?.relatesTo == message.messageID)
            #expect(handler.received.withLock { $0.isEmpty })
        }
    }

    @Test("a client whose certificate another CA signed is refused during the TLS handshake")
    func foreignCAIsRefused() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let handler = RecordingHandler()
        try await withServer(pki, handler: handler) { baseURL in
            // The rogue client trusts the real CA (so it would accept the server) but presents a rogue certificate.
            let client = try ProtocolClient(tls: pki.files("rogue", trusting: "ca"), logger: logger)
            let message = try Fixtures.deliver()
            var outcome: SedgateError?
            do {
                _ = try await client.send(message, to: baseURL, timeout: .seconds(2))
            } catch {
                outcome = error as? SedgateError
            }
            await client.shutdown()
            #expect(outcome?.code == .peerUnavailable)
            #expect(outcome?.message.contains(baseURL) == true)
            #expect(handler.received.withLock { $0.isEmpty })
        }
    }

    @Test("a client that does not trust the server's CA refuses to send")
    func untrustedServerIsRefused() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        try await withServer(pki, handler: RecordingHandler()) { baseURL in
            let client = try ProtocolClient(tls: pki.files("client", trusting: "rogue-ca"), logger: logger)
            let message = try Fixtures.deliver()
            var outcome: SedgateError?
            do {
                _ = try await client.send(message, to: baseURL, timeout: .seconds(2))
            } catch {
                outcome = error as? SedgateError
            }
            await client.shutdown()
            #expect(outcome?.code == .peerUnavailable)
        }
    }

    @Test("a back-pressure fault reaches the client with its retry-after, as a reply rather than an error")
    func backPressure() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        try await withServer(pki, handler: BusyHandler()) { baseURL in
            let client = try ProtocolClient(tls: pki.files("client"), logger: logger)
            let reply = try? await client.send(try Fixtures.deliver(), to: baseURL)
            await client.shutdown()
            #expect(reply?.fault?.code == .backPressure)
            #expect(reply?.fault?.isSenderFault == false)
            #expect(reply?.fault?.retryAfter == .seconds(42))
        }
    }

    @Test("a message over the server's body limit is refused with a fault, before it is decoded")
    func bodyLimit() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let handler = RecordingHandler()
        try await withServer(pki, handler: handler, limits: ServerLimits(maximumBodyBytes: 512)) { baseURL in
            let client = try ProtocolClient(tls: pki.files("client"), logger: logger)
            let reply = try? await client.send(try Fixtures.deliver(), to: baseURL)
            await client.shutdown()
            #expect(reply?.fault?.code == .hostileInput)
            #expect(reply?.fault?.reason.contains("512 bytes") == true)
            #expect(handler.received.withLock { $0.isEmpty })
        }
    }

    @Test("the server is a Service: a graceful shutdown of its group stops it")
    func gracefulShutdown() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let server = try ProtocolServer(
            host: "127.0.0.1", port: 0, tls: pki.files("server"),
            handler: RecordingHandler(), logger: logger)
        let services = ServiceGroup(configuration: .init(services: [server], logger: logger))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            #expect(await server.listeningPort() != nil)
            await services.triggerGracefulShutdown()
            // run() returning (not hanging) is the behaviour under test; a hang fails by the test's time limit.
            try await group.next()
        }
        #expect(await server.listeningPort() == nil)
    }

    @Test("an unreachable peer is reported as unavailable, naming the URL")
    func unreachable() async throws {
        let pki = try TestCertificates.make()
        defer { pki.remove() }
        let client = try ProtocolClient(tls: pki.files("client"), logger: logger)
        let message = try Fixtures.deliver()
        var outcome: SedgateError?
        do {
            // Port 1 on loopback: nothing listens there, so the connection is refused at once.
            _ = try await client.send(message, to: "https://127.0.0.1:1", timeout: .seconds(2))
        } catch {
            outcome = error
        }
        await client.shutdown()
        #expect(outcome?.code == .peerUnavailable)
        #expect(outcome?.message.contains("https://127.0.0.1:1/sedgate/v1/messages") == true)
    }

    @Test("a missing TLS file is a configuration error naming the path")
    func missingFile() {
        let files = TLSFiles(
            certificatePath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem",
            trustRootsPath: "/nonexistent/ca.pem")
        #expect {
            _ = try ProtocolClient(tls: files, logger: Logger(label: "test"))
        } throws: { error in
            (error as? SedgateError)?.code == .configuration
                && (error as? SedgateError)?.message.contains("/nonexistent/cert.pem") == true
        }
    }
}
