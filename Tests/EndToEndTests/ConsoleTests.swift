// ConsoleTests: the operator console of a running CN, over HTTP: a page needs a session; a wrong password is
// refused and repeated failures lock the name out; a POST without the session's CSRF token is refused; a viewer
// sees no hold button and a hold it forges is refused; an operator holds and releases a SED (the journal says so);
// every action is in the audit trail, which only an administrator reads; statistics download as CSV.

import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1
import SedgateCore
import SedgateTesting
import Spool
import Store
import Testing

/// A console of a topology's node, with its users.
struct ConsoleFixture {
    let folder: TemporaryDirectory
    let topology: Topology
    let binary: String
    /// Node id → console base URL.
    let consoles: [String: String]
    static let password = "correct horse battery"

    /// A CN and two APs; consoles on every node, operator ports on all, the CN's `[operator-peers]` naming the
    /// APs (a SED's trace across the network). `accessPointSettings` is TOML appended to each AP's file.
    init(_ label: String, routes: Bool = true, accessPointSettings: String = "") throws {
        binary = try SedgateBinary.path()
        folder = try TemporaryDirectory(label)
        topology = try Topology(
            directory: folder.path, executable: binary, accessPointSettings: accessPointSettings, routes: routes)
        var consoles: [String: String] = [:]
        var operators: [String: Int] = [:]
        for id in ["CN", "AP-BE", "AP-DK"] { operators[id] = try Topology.freePort() }
        for id in ["CN", "AP-BE", "AP-DK"] {
            let port = try Topology.freePort()
            consoles[id] = "http://127.0.0.1:\(port)"
        }
        for node in topology.nodes {
            var text = try String(contentsOfFile: node.config, encoding: .utf8)
            text += "\n[operator]\nlisten = \"127.0.0.1:\(operators[node.id]!)\"\n"
            if let console = consoles[node.id] {
                text += "\n[console]\nlisten = \"\(console.dropFirst("http://".count))\"\nlockout-failures = 3\n"
            }
            if node.id == "CN" {
                text += "\n[operator-peers]\n"
                for peer in ["AP-BE", "AP-DK"] { text += "\"\(peer)\" = \"http://127.0.0.1:\(operators[peer]!)\"\n" }
            }
            try text.write(toFile: node.config, atomically: true, encoding: .utf8)
        }
        self.consoles = consoles
    }

    /// Adds a console user at `node` with `roles`.
    func addUser(_ name: String, roles: [String], at node: String = "CN") async throws {
        let file = folder.appending("password")
        try (Self.password + "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let outcome = try await ChildProcess.run(
            binary,
            ["console", "user", "add", name, "--config", topology.node(node).config, "--password-file", file]
                + roles.flatMap { ["--role", $0] })
        #expect(outcome.status == 0, "\(outcome.output)")
    }

    /// Commits a SED at AP-BE for DK; returns its id.
    func commitSED(index: Int = 0) throws -> SEDID {
        let id = SEDID.random()
        let outbound = topology.node("AP-BE").spool.outbound
        try Data(SampleSED.make(sedId: id, index: index)).write(to: URL(fileURLWithPath: "\(outbound)/.c\(index).xml"))
        #expect(rename("\(outbound)/.c\(index).xml", "\(outbound)/c\(index).xml") == 0)
        return id
    }

    /// The CN's journal.
    func journal(_ node: String = "CN") throws -> Journal {
        try Journal(path: topology.node(node).spool.varDirectory + "/journal.sqlite")
    }
}

/// A browser-less console client: keeps its session cookie, follows no redirect.
final class ConsoleHTTP: @unchecked Sendable {
    let base: String
    var cookie: String?
    let client = HTTPClient(
        eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))

    init(_ base: String) { self.base = base }

    deinit { try? client.syncShutdown() }

    struct Answer {
        var status: Int
        var headers: HTTPHeaders
        var body: String
    }

    func get(_ path: String) async throws -> Answer {
        try await send(HTTPClientRequest(url: base + path))
    }

    func post(_ path: String, _ form: [String: String]) async throws -> Answer {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let body = form.map { key, value in
            "\(key)=\(value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        return try await send(request)
    }

    func send(_ request: HTTPClientRequest) async throws -> Answer {
        var request = request
        if let cookie { request.headers.add(name: "Cookie", value: cookie) }
        let response = try await client.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 16 << 20)
        for header in response.headers["Set-Cookie"] {
            let pair = String(header.split(separator: ";")[0])
            cookie = pair.hasSuffix("=") ? nil : pair
        }
        return Answer(
            status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }

    /// Signs in; returns the sign-in answer.
    @discardableResult
    func signIn(_ name: String, _ password: String = ConsoleFixture.password) async throws -> Answer {
        try await post("/signin", ["name": name, "password": password])
    }

    /// The CSRF token of the session's forms, read off a page.
    func csrf() async throws -> String {
        let page = try await get("/dashboard").body
        guard let range = page.range(of: "name=\"csrf\" value=\"") else { return "" }
        return String(page[range.upperBound...].prefix { $0 != "\"" })
    }
}

@Suite("The operator console, over HTTP", .serialized)
struct ConsoleTests {
    @Test("sign-in, lock-out, CSRF, roles checked on the server, hold and release, audit, statistics as CSV")
    func signInRolesCSRFAndAudit() async throws {
        let fixture = try ConsoleFixture("console-http")
        let topology = fixture.topology
        defer { topology.abandon() }
        try await fixture.addUser("alice", roles: ["admin"])
        try await fixture.addUser("olga", roles: ["operator"])
        try await fixture.addUser("victor", roles: ["viewer"])
        try await topology.startAll()
        await topology.kill("AP-DK")
        let id = try fixture.commitSED()
        let journal = try fixture.journal()
        try await Wait.until("the SED to wait at the CN for AP-DK", timeout: .seconds(90)) {
            (try await journal.record(id, .relay)?.attempts ?? 0) > 0
        }
        let base = fixture.consoles["CN"]!

        // No session: every page sends to the sign-in page.
        let anonymous = ConsoleHTTP(base)
        let redirected = try await anonymous.get("/messages/\(id)")
        #expect(redirected.status == 303)
        #expect(redirected.headers["Location"].first?.hasPrefix("/signin") == true)
        let wrong = try await anonymous.signIn("olga", "not the password")
        #expect(wrong.status == 401 && wrong.body.contains("wrong"))
        #expect(anonymous.cookie == nil)

        // The operator signs in: the cookie is HttpOnly and SameSite=Strict.
        let olga = ConsoleHTTP(base)
        let signedIn = try await olga.signIn("olga")
        #expect(signedIn.status == 303, "\(signedIn.body)")
        let setCookie = signedIn.headers["Set-Cookie"].first ?? ""
        #expect(setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict"), "\(setCookie)")
        let found = try await olga.get("/messages?sed=\(id)")
        #expect(found.status == 200 && found.body.contains("/messages/\(id)"), "\(found.body)")
        let page = try await olga.get("/messages/\(id)")
        #expect(page.body.contains("confirm?action=hold"), "an operator sees the hold button")

        // A POST without the session's token is refused, and the SED stays as it was.
        let forged = try await olga.post("/messages/\(id)/act", ["action": "hold", "confirm": "yes"])
        #expect(forged.status == 403)
        #expect(try await journal.record(id, .relay)?.state == .stored)
        let token = try await olga.csrf()
        #expect(token.count == 64)
        let held = try await olga.post("/messages/\(id)/act", ["action": "hold", "confirm": "yes", "csrf": token])
        #expect(held.status == 200 && held.body.contains("is held"), "\(held.body)")
        #expect(try await journal.record(id, .relay)?.state == .held)

        // A viewer sees no hold or release button, and the release it forges (with its own valid token) is refused.
        let victor = ConsoleHTTP(base)
        try await victor.signIn("victor")
        let viewed = try await victor.get("/messages/\(id)")
        #expect(viewed.status == 200 && viewed.body.contains(id.rawValue))
        #expect(!viewed.body.contains("confirm?action="), "a viewer sees no action button")
        let refused = try await victor.post(
            "/messages/\(id)/act", ["action": "release", "confirm": "yes", "csrf": try await victor.csrf()])
        #expect(refused.status == 403)
        #expect(try await journal.record(id, .relay)?.state == .held)
        #expect(try await victor.get("/audit").status == 403, "only an administrator reads the audit trail")

        // The operator releases it; the CSV of the statistics downloads.
        let released = try await olga.post(
            "/messages/\(id)/act", ["action": "release", "confirm": "yes", "csrf": token])
        #expect(released.status == 200 && released.body.contains("back in the queue"), "\(released.body)")
        #expect(try await journal.record(id, .relay)?.state == .stored)
        let csv = try await olga.get("/statistics?by=day,state&format=csv")
        #expect(csv.status == 200)
        #expect(csv.headers["Content-Type"].first?.hasPrefix("text/csv") == true)
        #expect(csv.body.hasPrefix("day,state,seds,bytes"), "\(csv.body)")

        // Three failures in a row lock the name out: then even the right password is refused.
        for _ in 0..<3 { #expect(try await anonymous.signIn("victor", "guess").status == 401) }
        let locked = try await anonymous.signIn("victor")
        #expect(locked.status == 401 && locked.body.contains("Too many failed sign-ins"), "\(locked.body)")

        // The administrator reads who did what, when and from where.
        let alice = ConsoleHTTP(base)
        try await alice.signIn("alice")
        let trail = try await alice.get("/audit")
        #expect(trail.status == 200)
        for expected in [
            "olga", "hold", "done: SED \(id) is held", "refused: missing or wrong CSRF token", "victor",
            "refused: Your role does not allow changing the queue.", "release", "127.0.0.1", "statistics-download",
            "locked out",
        ] {
            #expect(trail.body.contains(esc(expected)), "the audit trail names \(expected)")
        }
    }

    /// The page's escaping of `text`, to find it in the HTML.
    func esc(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }
}
