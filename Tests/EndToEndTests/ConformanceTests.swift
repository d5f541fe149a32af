// ConformanceTests: `sedgate conformance` passes against a real sedgate CN and AP started as processes, and fails,
// naming the rule, against a node that breaks one rule: the CN behind a proxy that drops wsa:RelatesTo from faults.

import AsyncHTTPClient
import Conformance
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import SedgateCore
import SedgateTesting
import Synchronization
import Testing
import Transport

@Suite("Conformance suite against real nodes", .serialized)
struct ConformanceTests {
    /// The suite as AP-BE against the CN, SEDs sealed for AP-DK.
    static func cnOptions(_ pki: String, url: String) -> ConformanceOptions {
        ConformanceOptions(
            role: .coordinationNode, url: url,
            identity: TLSFiles(
                certificatePath: "\(pki)/AP-BE.crt", privateKeyPath: "\(pki)/AP-BE.key", trustRootsPath: "\(pki)/ca.crt"
            ),
            recipientCertificate: "\(pki)/AP-DK.crt")
    }

    @Test("sedgate conformance passes against a sedgate CN and a sedgate AP, and its CLI exits 0")
    func passesAgainstSedgate() async throws {
        let directory = try TemporaryDirectory("e2e-conformance")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.start("CN")
        try await topology.start("AP-DK")
        let pki = directory.appending("pki")
        let logger = Logger(label: "conformance")

        let cn = try await ConformanceSuite.run(
            Self.cnOptions(pki, url: "https://127.0.0.1:\(topology.node("CN").port)"), logger: logger)
        #expect(cn.passed, "\(cn.failures.map(\.line).joined(separator: "\n"))")
        #expect(cn.checks.count >= 40)
        #expect(Set(cn.checks.map(\.rule)).isSuperset(of: ["P-FAULT-2", "P-VER-4", "P-FRAG-5", "P-FRAG-8", "P-ID-1"]))

        var ap = ConformanceOptions(
            role: .accessPoint, url: "https://127.0.0.1:\(topology.node("AP-DK").port)",
            identity: TLSFiles(
                certificatePath: "\(pki)/CN.crt", privateKeyPath: "\(pki)/CN.key", trustRootsPath: "\(pki)/ca.crt"),
            recipientCertificate: "\(pki)/AP-DK.crt")
        ap.sealer = TLSFiles(
            certificatePath: "\(pki)/AP-BE.crt", privateKeyPath: "\(pki)/AP-BE.key", trustRootsPath: "\(pki)/ca.crt")
        let apReport = try await ConformanceSuite.run(ap, logger: logger)
        #expect(apReport.passed, "\(apReport.failures.map(\.line).joined(separator: "\n"))")
        #expect(Set(apReport.checks.map(\.rule)).isSuperset(of: ["P-FRAG-5", "P-FRAG-10", "P-SEAL-4", "P-RCPT-5"]))

        // The command itself, as an operator runs it: one PASS line per check, exit status 0; JSON on request.
        let run = try await ChildProcess.run(
            try SedgateBinary.path(),
            [
                "conformance", "--cn", "https://127.0.0.1:\(topology.node("CN").port)", "--ca", "\(pki)/ca.crt",
                "--key", "\(pki)/AP-BE.key", "--certificate", "\(pki)/AP-BE.crt", "--recipient", "\(pki)/AP-DK.crt",
                "--json",
            ])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.output.contains("\"passed\" : true"), "\(run.output)")
        await topology.stopAll()
    }

    @Test("as a pull-mode AP, the suite pulls large SEDs it sent itself fragment by fragment, and passes")
    func passesInPullMode() async throws {
        let directory = try TemporaryDirectory("e2e-conformance-pull")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(), pullAccessPoints: ["AP-BE"])
        defer { topology.abandon() }
        try await topology.start("CN")
        try await topology.start("AP-DK")
        var options = Self.cnOptions(
            directory.appending("pki"), url: "https://127.0.0.1:\(topology.node("CN").port)")
        options.pull = true
        let report = try await ConformanceSuite.run(options, logger: Logger(label: "conformance"))
        #expect(report.passed, "\(report.failures.map(\.line).joined(separator: "\n"))")
        let pullRules = Set(report.checks.map(\.rule)).filter { $0.hasPrefix("P-PULL") }
        #expect(pullRules == ["P-PULL-2", "P-PULL-4", "P-PULL-5", "P-PULL-6", "P-PULL-7"])
        await topology.stopAll()
    }

    @Test("against a CN whose faults lack wsa:RelatesTo, the suite fails naming P-FAULT-2, and only that rule")
    func failsNamingTheBrokenRule() async throws {
        let directory = try TemporaryDirectory("e2e-conformance-broken")
        let topology = try Topology(directory: directory.path, executable: try SedgateBinary.path())
        defer { topology.abandon() }
        try await topology.start("CN")
        let pki = directory.appending("pki")
        let proxy = try RelatesToDroppingProxy(
            pki: pki, front: "CN", back: "AP-BE", target: "https://127.0.0.1:\(topology.node("CN").port)")
        try await proxy.run { url in
            let report = try await ConformanceSuite.run(
                Self.cnOptions(pki, url: url), logger: Logger(label: "conformance"))
            #expect(!report.passed)
            #expect(!report.failures.isEmpty)
            #expect(
                report.failures.allSatisfy { $0.rule == "P-FAULT-2" },
                "\(report.failures.map(\.line).joined(separator: "\n"))")
            #expect(report.text.contains("FAIL P-FAULT-2"))
            #expect(report.text.contains("expected wsa:RelatesTo"))
        }
        #expect(proxy.stripped.withLock { $0 } > 0)
        await topology.stopAll()
    }
}

/// A node that breaks P-FAULT-2: a mutual-TLS proxy (presenting `front`'s certificate) in front of a real node,
/// reached with `back`'s certificate, that removes `wsa:RelatesTo` from every fault it passes back.
final class RelatesToDroppingProxy: Sendable {
    let server: TLSConfiguration
    let client: HTTPClient
    let target: String
    let stripped = Mutex(0)

    init(pki: String, front: String, back: String, target: String) throws {
        var server = TLSConfiguration.makeServerConfigurationWithMTLS(
            certificateChain: try NIOSSLCertificate.fromPEMFile("\(pki)/\(front).crt").map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: "\(pki)/\(front).key", format: .pem)),
            trustRoots: .certificates(try NIOSSLCertificate.fromPEMFile("\(pki)/ca.crt")))
        server.certificateVerification = .noHostnameVerification
        self.server = server
        var client = TLSConfiguration.makeClientConfiguration()
        client.certificateChain = try NIOSSLCertificate.fromPEMFile("\(pki)/\(back).crt").map { .certificate($0) }
        client.privateKey = .privateKey(try NIOSSLPrivateKey(file: "\(pki)/\(back).key", format: .pem))
        client.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile("\(pki)/ca.crt"))
        self.client = HTTPClient(
            eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(tlsConfiguration: client))
        self.target = target
    }

    /// Runs the proxy, calls `body` with its URL, stops it.
    func run(_ body: @Sendable (String) async throws -> Void) async throws {
        let router = Router()
        router.post("/sedgate/v1/messages") { request, context in try await self.forward(request, context) }
        router.get("/sedgate/v1/health") { _, _ in
            let reply = try await self.client.execute(
                HTTPClientRequest(url: self.target + "/sedgate/v1/health"), timeout: .seconds(30))
            return Response(
                status: .init(code: Int(reply.status.code)),
                body: .init(byteBuffer: try await reply.body.collect(upTo: 1024)))
        }
        let port = Mutex(0)
        let application = Application(
            router: router, server: try .tls(.http1(), tlsConfiguration: server),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.withLock { $0 = channel.localAddress?.port ?? 0 } },
            logger: Logger(label: "proxy"))
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await application.run() }
                defer { group.cancelAll() }
                try await Wait.until("the proxy to listen", timeout: .seconds(30)) { port.withLock { $0 } != 0 }
                try await body("https://127.0.0.1:\(port.withLock { $0 })")
            }
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
    }

    private func forward(_ request: Request, _ context: BasicRequestContext) async throws -> Response {
        var outbound = HTTPClientRequest(url: target + "/sedgate/v1/messages")
        outbound.method = .POST
        outbound.headers.add(name: "Content-Type", value: request.headers[.contentType] ?? "")
        outbound.body = .bytes(try await request.body.collect(upTo: 96 << 20))
        let reply = try await client.execute(outbound, timeout: .seconds(300))
        var bytes = try await reply.body.collect(upTo: 96 << 20)
        var text = String(buffer: bytes)
        if text.contains("urn:eessi:sedgate:1:Fault"),
            let start = text.range(of: "<wsa:RelatesTo>"),
            let end = text.range(of: "</wsa:RelatesTo>\n", range: start.upperBound..<text.endIndex)
        {
            text.removeSubrange(start.lowerBound..<end.upperBound)
            bytes = ByteBuffer(string: text)
            stripped.withLock { $0 += 1 }
        }
        var headers = HTTPFields()
        headers[.contentType] = reply.headers.first(name: "Content-Type") ?? "application/soap+xml; charset=utf-8"
        if let retry = reply.headers.first(name: "Retry-After") { headers[.retryAfter] = retry }
        return Response(status: .init(code: Int(reply.status.code)), headers: headers, body: .init(byteBuffer: bytes))
    }
}
