// WebQueueTests: the web-service queue, with real processes: a national client submits SEDs over HTTP through a
// SIGKILL of its access point and retries, the destination's client lists, locks, fetches and acknowledges them
// through a SIGKILL of its own, and every SED is delivered and routed exactly once.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Web-service queue, real processes", .serialized)
struct WebQueueTests {
    static let token = "test-application-token-0001"

    struct Header: Decodable {
        var sedId: String
        var caseId: String
        var locked: Bool
    }

    struct Lease: Decodable {
        var token: String
    }

    struct Status: Decodable {
        var state: String
    }

    /// One call; a refused connection (the node is down) is status 0.
    static func call(
        _ client: HTTPClient, _ method: HTTPMethod, _ url: String, body: [UInt8]? = nil, lock: String? = nil
    ) async -> (status: Int, body: [UInt8]) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        if let lock { request.headers.add(name: "Lock-Token", value: lock) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/xml")
            request.body = .bytes(body)
        }
        do {
            let reply = try await client.execute(request, timeout: .seconds(30))
            let bytes = try await reply.body.collect(upTo: 64 << 20)
            return (Int(reply.status.code), Array(buffer: bytes))
        } catch {
            return (0, [])
        }
    }

    @Test(
        "a client submits 20 SEDs over HTTP through a kill of its AP; the destination's client lists, locks, fetches and acknowledges them through a kill of its AP; each is routed once"
    )
    func submitLockFetchAcknowledge() async throws {
        let directory = try TemporaryDirectory("e2e-web")
        let topology = try Topology(
            directory: directory.path, executable: try SedgateBinary.path(),
            accessPointSettings: """
                [inbound-routes.all]
                to = "web"
                """)
        defer { topology.abandon() }
        var ports: [String: Int] = [:]
        for id in ["AP-BE", "AP-DK"] {
            let port = try Topology.freePort()
            ports[id] = port
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: topology.node(id).config))
            handle.seekToEndOfFile()
            handle.write(
                Data("\n[npap.web]\nport = \(port)\ntokens = \"claims-app:\(Self.token)\"\nlease-s = 60\n".utf8))
            try handle.close()
        }
        try await topology.startAll()
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)
        do {
            try await exchange(topology, client, ports)
        } catch {
            try? await client.shutdown()
            throw error
        }
        try await client.shutdown()
        await topology.stopAll()
    }

    private func exchange(_ topology: Topology, _ client: HTTPClient, _ ports: [String: Int]) async throws {
        let sender = "http://127.0.0.1:\(ports["AP-BE"]!)/npap/v1"
        let receiver = "http://127.0.0.1:\(ports["AP-DK"]!)/npap/v1"
        func listening(_ id: String) async throws {
            try await Wait.until("\(id)'s web-service queue", timeout: .seconds(30)) {
                Topology.isListening(port: ports[id]!)
            }
        }
        try await listening("AP-BE")
        try await listening("AP-DK")

        // No token, no service.
        var anonymous = HTTPClientRequest(url: receiver + "/inbound")
        anonymous.method = .GET
        #expect(try await client.execute(anonymous, timeout: .seconds(10)).status.code == 401)

        // Submit through a kill: the client retries everything; nothing is lost or doubled.
        let ids = (0..<20).map { _ in SEDID.random() }
        let seds = ids.enumerated().map { SampleSED.make(sedId: $1, index: $0) }
        for index in 0..<10 {
            let answer = await Self.call(client, .POST, sender + "/outbound", body: seds[index])
            #expect(answer.status == 202, "\(String(decoding: answer.body, as: UTF8.self))")
        }
        await topology.kill("AP-BE")
        #expect(await Self.call(client, .POST, sender + "/outbound", body: seds[10]).status == 0)
        try await topology.start("AP-BE")
        try await listening("AP-BE")
        for sed in seds {
            let answer = await Self.call(client, .POST, sender + "/outbound", body: sed)
            #expect([200, 202].contains(answer.status), "\(String(decoding: answer.body, as: UTF8.self))")
        }

        // The destination's client sees 20 headers; a filter on the case finds one.
        try await Wait.until("20 SEDs waiting in AP-DK's web queue", timeout: .seconds(90)) {
            let answer = await Self.call(client, .GET, receiver + "/inbound?sedType=P001&limit=100")
            return answer.status == 200
                && (try? JSONDecoder().decode([Header].self, from: Data(answer.body)).count) == 20
        }
        let oneCase = await Self.call(client, .GET, receiver + "/inbound?caseId=c0ffee00-0000-4000-8000-000000000007")
        let found = try JSONDecoder().decode([Header].self, from: Data(oneCase.body))
        #expect(found.map(\.sedId) == [ids[7].rawValue])

        // Lock, and the lock holds against others; then a kill of AP-DK ends it, and the client locks again.
        let first = try JSONDecoder().decode(
            Lease.self, from: Data(await Self.call(client, .POST, receiver + "/inbound/\(ids[0])/lock").body))
        #expect(await Self.call(client, .POST, receiver + "/inbound/\(ids[0])/lock").status == 409)
        #expect(
            await Self.call(client, .GET, receiver + "/inbound/\(ids[0])").status == 409, "no fetch without the lock")
        #expect(await Self.call(client, .GET, receiver + "/inbound/\(ids[0])", lock: first.token).status == 200)
        await topology.kill("AP-DK")
        try await topology.start("AP-DK")
        try await listening("AP-DK")
        for id in ids {
            let locked = await Self.call(client, .POST, receiver + "/inbound/\(id)/lock")
            #expect(locked.status == 200, "\(String(decoding: locked.body, as: UTF8.self))")
            let lease = try JSONDecoder().decode(Lease.self, from: Data(locked.body))
            let fetched = await Self.call(client, .GET, receiver + "/inbound/\(id)", lock: lease.token)
            #expect(fetched.status == 200 && String(decoding: fetched.body, as: UTF8.self).contains(id.rawValue))
            #expect(await Self.call(client, .POST, receiver + "/inbound/\(id)/ack", lock: lease.token).status == 204)
        }
        #expect(await Self.call(client, .POST, receiver + "/inbound/\(ids[0])/ack", lock: "stale").status == 204)
        let left = await Self.call(client, .GET, receiver + "/inbound")
        #expect(String(decoding: left.body, as: UTF8.self) == "[]")

        // At the sender: each SED routed, once; nothing rejected (no resubmission was taken twice).
        try await Wait.until("every SED routed at the sender", timeout: .seconds(60)) {
            ids.allSatisfy { OperatorTests.reported(topology.node("AP-BE"), $0, "routed") }
        }
        let status = try JSONDecoder().decode(
            Status.self, from: Data(await Self.call(client, .GET, sender + "/outbound/\(ids[3])").body))
        #expect(status.state == "routed")
        #expect(ExchangeTests.files(topology.node("AP-BE").spool.rejected, suffix: "").isEmpty)
        #expect(ExchangeTests.files(topology.node("AP-BE").spool.reports, suffix: ".accepted.json").count == 20)
    }
}
