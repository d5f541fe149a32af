// ConsoleServer: the operator console's HTTP application (Hummingbird) on its own port: sign-in and sign-out, then
// the dashboard, messages, directory, statistics and audit pages. Every page but the sign-in needs a session
// (cookie: random id, HttpOnly, SameSite=Strict); every POST must carry the session's CSRF token; every action is
// audited with who, what, when and from where. A role's limits are checked here, on the server.

import Foundation
import HTTPTypes
public import Hummingbird
public import Logging
import NIOCore
import Operations
import SedgateCore
public import ServiceLifecycle

/// The console's request context: Hummingbird's, plus the client's address for the audit trail.
public struct ConsoleContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The client's IP address, or "-".
    public let address: String

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        address = source.channel.remoteAddress?.ipAddress ?? "-"
    }

    /// Bulk directory files may be large.
    public var maxUploadSize: Int { 32 << 20 }
}

/// Builds the console's application (a Service for the node's ServiceGroup).
public enum ConsoleServer {
    public static func application(
        _ settings: ConsoleSettings, node: ConsoleNode, logger: Logger
    ) -> (any Service)? {
        guard let listen = settings.listen else { return nil }
        let console = Console(node: node, settings: settings)
        let router = Router(context: ConsoleContext.self)
        router.get("/console.css") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                body: .init(byteBuffer: ByteBuffer(string: Style.css)))
        }
        router.get("/") { request, context in
            try await console.guarded(request, context) { _ in .redirect("/dashboard") }
        }
        router.get("/signin") { request, context in console.signInPage(request, context) }
        router.post("/signin") { request, context in try await console.signIn(request, context) }
        router.post("/signout") { request, context in
            try await console.posted(request, context, action: "sign-out") { session, _ in
                try node.users.endSession(session.id)
                return .redirect("/signin", clearCookie: true)
            }
        }
        router.get("/dashboard") { request, context in
            try await console.guarded(request, context) { session in try await console.dashboard(session) }
        }
        router.get("/messages") { request, context in
            try await console.guarded(request, context) { session in try await console.messages(request, session) }
        }
        router.get("/messages/{id}") { request, context in
            try await console.guarded(request, context) { session in
                try await console.message(context.parameters.get("id") ?? "", session, notice: nil)
            }
        }
        router.get("/messages/{id}/confirm") { request, context in
            try await console.guarded(request, context) { session in
                try await console.confirm(context.parameters.get("id") ?? "", request, session)
            }
        }
        router.post("/messages/{id}/act") { request, context in
            try await console.posted(request, context, action: "queue") { session, form in
                try await console.act(context.parameters.get("id") ?? "", form, session, address: context.address)
            }
        }
        router.post("/queue/retry") { request, context in
            try await console.posted(request, context, action: "retry") { session, form in
                try await console.retryAll(form, session, address: context.address)
            }
        }
        router.get("/directory") { request, context in
            try await console.guarded(request, context) { session in try console.directoryList(request, session) }
        }
        router.get("/directory/entry") { request, context in
            try await console.guarded(request, context) { session in try console.entryPage(request, session) }
        }
        router.post("/directory/entry") { request, context in
            try await console.posted(request, context, action: "directory-set") { session, form in
                try await console.saveEntry(form, session, address: context.address)
            }
        }
        router.get("/directory/history") { request, context in
            try await console.guarded(request, context) { session in try console.entryHistory(request, session) }
        }
        router.get("/directory/upload") { request, context in
            try await console.guarded(request, context) { session in try console.uploadPage(session, report: nil) }
        }
        router.post("/directory/upload") { request, context in
            try await console.posted(request, context, action: "directory-upload") { session, form in
                try await console.upload(form, session, address: context.address)
            }
        }
        router.get("/statistics") { request, context in
            try await console.guarded(request, context) { session in
                try await console.statistics(request, session, address: context.address)
            }
        }
        router.get("/audit") { request, context in
            try await console.guarded(request, context) { session in try console.auditPage(request, session) }
        }
        return Application(
            router: router, configuration: .init(address: .hostname(listen.host, port: listen.port), serverName: nil),
            logger: logger)
    }
}

/// What a page handler answers.
enum Page {
    case html(String, status: HTTPResponse.Status = .ok)
    case redirect(String, clearCookie: Bool = false)
    case download(String, contentType: String, fileName: String)
}

/// The console's pages and actions over one node.
struct Console: Sendable {
    let node: ConsoleNode
    let settings: ConsoleSettings
    static let cookie = "sedgate_console"

    var nodeName: String { node.context.node.rawValue }
    var sessionLength: TimeInterval { TimeInterval(settings.sessionMinutes * 60) }

    // MARK: - Sessions

    /// The request's live session, if any.
    func session(_ request: Request) -> ConsoleSession? {
        guard let id = Self.cookies(request)[Self.cookie], !id.isEmpty else { return nil }
        return try? node.users.session(id, sessionLength: sessionLength)
    }

    /// Runs a GET page for a signed-in user; sends anyone else to the sign-in page.
    func guarded(
        _ request: Request, _ context: ConsoleContext, _ body: (ConsoleSession) async throws -> Page
    ) async throws -> Response {
        guard let session = session(request) else {
            let back = request.uri.path == "/" ? "" : "?next=" + urlEncode(request.uri.description)
            return Self.respond(.redirect("/signin" + back))
        }
        do {
            return Self.respond(try await body(session))
        } catch let refusal as Refusal {
            return Self.respond(
                .html(page("Not allowed", session, "", "<p>\(esc(refusal.reason))</p>"), status: .forbidden))
        }
    }

    /// Runs a POST action: a session and its CSRF token are required, else 403 (audited).
    func posted(
        _ request: Request, _ context: ConsoleContext, action: String,
        _ body: (ConsoleSession, [String: String]) async throws -> Page
    ) async throws -> Response {
        var request = request
        let form = try await Self.form(&request, context)
        guard let session = session(request) else {
            try? node.users.audit(
                user: "-", address: context.address, action: action, target: request.uri.path,
                outcome: "refused: no session")
            return Self.respond(.html(page("Not signed in", nil, "", "<p>Sign in first.</p>"), status: .forbidden))
        }
        guard let token = form["csrf"], Self.same(token, session.csrf) else {
            try? node.users.audit(
                user: session.user.name, address: context.address, action: action, target: request.uri.path,
                outcome: "refused: missing or wrong CSRF token")
            return Self.respond(
                .html(
                    page(
                        "Not allowed", session, "",
                        "<p>The form was stale or forged (its token is missing or wrong). "
                            + "Go back, reload the page and try again.</p>"), status: .forbidden))
        }
        do {
            return Self.respond(try await body(session, form))
        } catch let refusal as Refusal {
            try? node.users.audit(
                user: session.user.name, address: context.address, action: action, target: refusal.target,
                outcome: "refused: \(refusal.reason)")
            return Self.respond(
                .html(page("Not allowed", session, "", "<p>\(esc(refusal.reason))</p>"), status: .forbidden))
        }
    }

    /// The sign-in form.
    func signInPage(
        _ request: Request, _ context: ConsoleContext, problem: String? = nil, name: String = ""
    )
        -> Response
    {
        let next = Self.query(request)["next"] ?? ""
        let body =
            (problem.map { "<div class=\"problem\" role=\"alert\">\(esc($0))</div>" } ?? "")
            + "<form method=\"post\" action=\"/signin\">"
            + "<input type=\"hidden\" name=\"next\" value=\"\(esc(next))\">"
            + Layout.input("name", label: "User name", value: name, required: true, autocomplete: "username")
            + Layout.input(
                "password", label: "Password", type: "password", required: true, autocomplete: "current-password")
            + "<button type=\"submit\">Sign in</button></form>"
        return Self.respond(
            .html(
                Layout.page(title: "Sign in", node: nodeName, session: nil, current: "/signin", body: body),
                status: problem == nil ? .ok : .unauthorized))
    }

    /// Checks the password; on success opens a session and sets its cookie.
    func signIn(_ request: Request, _ context: ConsoleContext) async throws -> Response {
        var request = request
        let form = try await Self.form(&request, context)
        let name = form["name", default: ""]
        let outcome = try node.users.signIn(
            name, password: form["password", default: ""], address: context.address, sessionLength: sessionLength,
            lockout: (settings.lockoutFailures, TimeInterval(settings.lockoutMinutes * 60)))
        switch outcome {
        case .signedIn(let session):
            try node.users.audit(
                user: name, address: context.address, action: "sign-in", target: "-", outcome: "signed in")
            var next = form["next", default: ""]
            // Only a path of this console, never another site.
            if !next.hasPrefix("/") || next.hasPrefix("//") || next.hasPrefix("/signin") { next = "/dashboard" }
            var response = Self.respond(.redirect(next))
            response.headers.append(
                HTTPField(
                    name: .setCookie,
                    value: "\(Self.cookie)=\(session.id); Path=/; HttpOnly; SameSite=Strict; "
                        + "Max-Age=\(settings.sessionMinutes * 60)"))
            return response
        case .refused:
            try node.users.audit(
                user: name, address: context.address, action: "sign-in", target: "-", outcome: "refused")
            return signInPage(request, context, problem: "The user name or the password is wrong.", name: name)
        case .locked(let until):
            try node.users.audit(
                user: name, address: context.address, action: "sign-in", target: "-",
                outcome: "refused: locked out until \(Timestamp.iso8601(until))")
            return signInPage(
                request, context,
                problem: "Too many failed sign-ins for this user name: try again after \(Timestamp.iso8601(until)) "
                    + "(UTC), or ask an administrator to reset the password.", name: name)
        }
    }

    // MARK: - Helpers

    func page(
        _ title: String, _ session: ConsoleSession?, _ current: String, _ body: String, notice: String? = nil
    )
        -> String
    {
        Layout.page(title: title, node: nodeName, session: session, current: current, body: body, notice: notice)
    }

    func audit(_ session: ConsoleSession, _ address: String, _ action: String, _ target: String, _ outcome: String) {
        try? node.users.audit(
            user: session.user.name, address: address, action: action, target: target, outcome: outcome)
    }

    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
                + "base-uri 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"), ("Cache-Control", "no-store"),
    ]

    static func respond(_ page: Page) -> Response {
        var headers = HTTPFields()
        for (name, value) in securityHeaders { headers.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        switch page {
        case .html(let text, let status):
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        case .redirect(let location, let clear):
            headers[.location] = location
            if clear {
                headers.append(
                    HTTPField(name: .setCookie, value: "\(cookie)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"))
            }
            return Response(status: .seeOther, headers: headers)
        case .download(let text, let type, let fileName):
            headers[.contentType] = type
            headers[.contentDisposition] = "attachment; filename=\"\(fileName)\""
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    /// The request's cookies.
    static func cookies(_ request: Request) -> [String: String] {
        var cookies: [String: String] = [:]
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if parts.count == 2 { cookies[parts[0]] = parts[1] }
            }
        }
        return cookies
    }

    /// The query string's values.
    static func query(_ request: Request) -> [String: String] {
        urlDecoded(request.uri.query ?? "")
    }

    /// The form's values: URL-encoded, or multipart (a file's content under its field name).
    static func form(_ request: inout Request, _ context: ConsoleContext) async throws -> [String: String] {
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        let bytes = Array(buffer.readableBytesView)
        let type = request.headers[.contentType] ?? ""
        if type.hasPrefix("multipart/form-data"), let range = type.range(of: "boundary=") {
            var boundary = String(type[range.upperBound...])
            if let semicolon = boundary.firstIndex(of: ";") { boundary = String(boundary[..<semicolon]) }
            return Multipart.fields(bytes, boundary: boundary.trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
        }
        return urlDecoded(String(decoding: bytes, as: UTF8.self))
    }

    static func urlDecoded(_ text: String) -> [String: String] {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map {
                $0.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            guard let key = parts.first, !key.isEmpty else { continue }
            values[key] = parts.count > 1 ? parts[1] : ""
        }
        return values
    }

    /// Compares two tokens in time that does not depend on where they differ.
    static func same(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count, !x.isEmpty else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// An action a role may not take: answered 403 and audited.
struct Refusal: Error {
    var target: String
    var reason: String
}

/// A minimal multipart/form-data reader: each part's name and its content as text.
enum Multipart {
    static func fields(_ bytes: [UInt8], boundary: String) -> [String: String] {
        let text = String(decoding: bytes, as: UTF8.self)
        var values: [String: String] = [:]
        for part in text.components(separatedBy: "--" + boundary) {
            guard let split = part.range(of: "\r\n\r\n") else { continue }
            let head = part[..<split.lowerBound]
            guard let nameRange = head.range(of: "name=\"") else { continue }
            let rest = head[nameRange.upperBound...]
            guard let end = rest.firstIndex(of: "\"") else { continue }
            var body = String(part[split.upperBound...])
            // The CR LF before the next boundary belongs to the framing ("\r\n" is one Character).
            if body.hasSuffix("\r\n") { body.removeLast(1) }
            values[String(rest[..<end])] = body
        }
        return values
    }
}
