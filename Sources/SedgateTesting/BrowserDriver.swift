// BrowserDriver: Debian's `chromedriver` (packages chromium and chromium-driver) started for a test on a free loopback
// port with posix_spawn, spoken to in the W3C WebDriver protocol (JSON over HTTP). It starts headless Chromium
// sessions, each with its own temporary profile; `stop` ends the sessions and the driver.
//
// Reads: $SEDGATE_CHROMEDRIVER (default /usr/bin/chromedriver), $SEDGATE_CHROMIUM (the browser binary; default the
// driver's choice). Writes: the driver's log and the profiles, in a temporary folder. Fails with a message naming the
// package to install when the driver is missing, and with the driver's own message when a session cannot start.

import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import SedgateCore

/// A running chromedriver on 127.0.0.1, for browser tests.
public final class BrowserDriver: Sendable {
    /// The driver's base URL (`http://127.0.0.1:<port>`).
    public let baseURL: String
    /// The folder holding the driver's log (`chromedriver.log`) and the sessions' profiles.
    public let folder: TemporaryDirectory
    private let process: SpawnedProcess
    private let sessions = Registry()

    /// Starts chromedriver on a free loopback port and waits until it says it is ready.
    public static func start() async throws -> BrowserDriver {
        let environment = ProcessInfo.processInfo.environment
        let executable =
            environment["SEDGATE_CHROMEDRIVER"].flatMap { $0.isEmpty ? nil : $0 } ?? "/usr/bin/chromedriver"
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw SedgateError(
                .notFound,
                "no chromedriver at \(executable): install Debian's chromium and chromium-driver (`make deps`), "
                    + "or set SEDGATE_CHROMEDRIVER")
        }
        let folder = try TemporaryDirectory("browser")
        let port = try Topology.freePort()
        let process = try SpawnedProcess(
            executable: executable, arguments: ["--port=\(port)", "--allowed-ips=127.0.0.1"],
            environment: nil, logPath: folder.appending("chromedriver.log"))
        let driver = BrowserDriver(baseURL: "http://127.0.0.1:\(port)", folder: folder, process: process)
        do {
            try await Wait.until("chromedriver to be ready on port \(port)", timeout: .seconds(60)) {
                guard process.isRunning else {
                    let log = (try? String(contentsOfFile: folder.appending("chromedriver.log"), encoding: .utf8)) ?? ""
                    throw SedgateError(.io, "chromedriver exited at start-up: \(log.suffix(2_000))")
                }
                let status = try? await driver.command("GET", "/status")
                return status?["ready"].bool == true
            }
        } catch {
            await driver.stop()
            throw error
        }
        return driver
    }

    private init(baseURL: String, folder: TemporaryDirectory, process: SpawnedProcess) {
        self.baseURL = baseURL
        self.folder = folder
        self.process = process
    }

    /// Starts a headless Chromium session with a fresh profile (`--headless=new --no-sandbox --disable-gpu
    /// --disable-dev-shm-usage`), a window of `width`×`height` CSS pixels, and `language` as the browser's
    /// Accept-Language.
    public func newSession(
        width: Int = 1280, height: Int = 900, language: String = "en-GB"
    ) async throws
        -> BrowserSession
    {
        let profile = try TemporaryDirectory("chromium-profile")
        var options: [String: JSONValue] = [
            "args": .array(
                [
                    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--user-data-dir=\(profile.path)", "--window-size=\(width),\(height)", "--lang=\(language)",
                    "--no-first-run", "--no-default-browser-check", "--disable-extensions",
                ].map(JSONValue.string)),
            "prefs": .object(["intl.accept_languages": .string(language)]),
        ]
        if let binary = ProcessInfo.processInfo.environment["SEDGATE_CHROMIUM"], !binary.isEmpty {
            options["binary"] = .string(binary)
        }
        let body: JSONValue = .object([
            "capabilities": .object([
                "alwaysMatch": .object([
                    "browserName": .string("chrome"),
                    "pageLoadStrategy": .string("normal"),
                    "goog:chromeOptions": .object(options),
                ])
            ])
        ])
        let answer = try await command("POST", "/session", body)
        guard let id = answer["sessionId"].string else {
            throw SedgateError(.protocolViolation, "chromedriver answered a new session without an id: \(answer)")
        }
        let browserProcess = answer["capabilities"]["goog:processID"].number.map { Int32($0) }
        let session = BrowserSession(driver: self, id: id, profile: profile, browserProcess: browserProcess)
        sessions.add(session)
        return session
    }

    /// Ends every session still open (their browsers quit), then the driver; waits until it has exited.
    public func stop() async {
        for session in sessions.all() { await session.delete() }
        process.terminate()
        do {
            try await Wait.until("chromedriver to exit", timeout: .seconds(10)) { !process.isRunning }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            try? await Wait.until("chromedriver to exit after SIGKILL", timeout: .seconds(10)) { !process.isRunning }
        }
    }

    func forget(_ session: BrowserSession) { sessions.remove(session.id) }

    /// Sends one WebDriver command and returns its `value`; a WebDriver error becomes a SedgateError naming it.
    func command(
        _ method: String, _ path: String, _ body: JSONValue? = nil, timeout: Duration = .seconds(120)
    )
        async throws -> JSONValue
    {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = .init(rawValue: method)
        request.headers.add(name: "Content-Type", value: "application/json; charset=utf-8")
        if let body {
            request.body = .bytes(ByteBuffer(bytes: try JSONEncoder().encode(body)))
        } else if method == "POST" {
            request.body = .bytes(ByteBuffer(string: "{}"))
        }
        let response = try await HTTPClient.shared.execute(
            request, timeout: .seconds(timeout.components.seconds))
        let bytes = try await response.body.collect(upTo: 256 << 20)
        let answer = try JSONDecoder().decode(JSONValue.self, from: Data(bytes.readableBytesView))
        let value = answer["value"]
        if response.status.code >= 400 || value["error"].string != nil {
            throw SedgateError(
                .refused,
                "WebDriver \(method) \(path) failed (\(response.status.code)): \(value["error"].string ?? "error"): "
                    + String((value["message"].string ?? "\(answer)").prefix(1_000)))
        }
        return value
    }
}

/// The sessions a driver has open, so `stop` can end them.
private final class Registry: @unchecked Sendable {
    private let lock = NSLock()
    private var sessions: [String: BrowserSession] = [:]

    func add(_ session: BrowserSession) { lock.withLock { sessions[session.id] = session } }
    func remove(_ id: String) { _ = lock.withLock { sessions.removeValue(forKey: id) } }
    func all() -> [BrowserSession] { lock.withLock { Array(sessions.values) } }
}
