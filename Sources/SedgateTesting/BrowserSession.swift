// BrowserSession: one headless Chromium session driven through chromedriver (W3C WebDriver): navigate, find elements
// by CSS selector, click, type, submit, read text and attributes, run scripts, take screenshots. Waiting is always on
// a condition (an element present, a URL reached), polled with a deadline: never a fixed sleep.
//
// Writes: screenshots as PNG files in $SEDGATE_SCREENSHOTS (`make screenshots` sets it), else in
// $TMPDIR/sedgate-screenshots. Fails with the WebDriver error's name and message (no such element, ...).

import Foundation
import Glibc
import SedgateCore

/// One browser session (a headless Chromium window with its own profile).
public final class BrowserSession: Sendable {
    /// The WebDriver session id.
    public let id: String
    /// How long `waitFor` and `waitUntil` wait by default: long, because two cores shared by several builds make a
    /// page slow, never stuck; a condition that holds returns at once.
    public static let defaultTimeout: Duration = .seconds(60)
    private let driver: BrowserDriver
    private let profile: TemporaryDirectory
    private let browserProcess: Int32?

    init(driver: BrowserDriver, id: String, profile: TemporaryDirectory, browserProcess: Int32?) {
        self.driver = driver
        self.id = id
        self.profile = profile
        self.browserProcess = browserProcess
    }

    /// Sends a command about this session (`path` after `/session/<id>`).
    @discardableResult
    public func command(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await driver.command(method, "/session/\(id)\(path)", body)
    }

    // MARK: Navigation

    /// Loads `url` and returns when the page has loaded (the document's load event).
    public func navigate(to url: String) async throws {
        try await command("POST", "/url", .object(["url": .string(url)]))
    }

    /// The URL of the page shown.
    public func currentURL() async throws -> String {
        try await command("GET", "/url").string ?? ""
    }

    /// The page's title.
    public func title() async throws -> String {
        try await command("GET", "/title").string ?? ""
    }

    /// The page's HTML as the browser holds it now.
    public func pageSource() async throws -> String {
        try await command("GET", "/source").string ?? ""
    }

    /// Goes back one page in the history.
    public func back() async throws {
        try await command("POST", "/back")
    }

    // MARK: Elements

    /// The first element matching the CSS `selector`; throws (no such element) when none does now.
    public func find(_ selector: String) async throws -> BrowserElement {
        let answer = try await command(
            "POST", "/element", .object(["using": .string("css selector"), "value": .string(selector)]))
        return try BrowserElement(session: self, reference: answer)
    }

    /// Every element matching the CSS `selector` now (maybe none).
    public func findAll(_ selector: String) async throws -> [BrowserElement] {
        let answer = try await command(
            "POST", "/elements", .object(["using": .string("css selector"), "value": .string(selector)]))
        return try answer.array.map { try BrowserElement(session: self, reference: $0) }
    }

    /// The first element matching `selector`, waiting until one is present.
    public func waitFor(_ selector: String, timeout: Duration = defaultTimeout) async throws -> BrowserElement {
        var found: BrowserElement?
        try await Wait.until("an element matching `\(selector)`", timeout: timeout, interval: .milliseconds(100)) {
            found = try await findAll(selector).first
            return found != nil
        }
        return found!
    }

    /// Waits until `condition` holds (e.g. the URL has changed after a submit), polling.
    public func waitUntil(
        _ what: String, timeout: Duration = defaultTimeout, _ condition: () async throws -> Bool
    ) async throws {
        try await Wait.until(what, timeout: timeout, interval: .milliseconds(100), condition)
    }

    /// The element that has the keyboard focus.
    public func activeElement() async throws -> BrowserElement {
        try BrowserElement(session: self, reference: try await command("GET", "/element/active"))
    }

    // MARK: Scripts

    /// Runs `script` (a function body; `arguments[i]` are `arguments`) in the page and returns what it returns.
    @discardableResult
    public func executeScript(_ script: String, _ arguments: [JSONValue] = []) async throws -> JSONValue {
        try await command("POST", "/execute/sync", .object(["script": .string(script), "args": .array(arguments)]))
    }

    /// Runs an asynchronous `script`: it ends by calling `arguments[arguments.length - 1](result)`.
    @discardableResult
    public func executeAsyncScript(_ script: String, _ arguments: [JSONValue] = []) async throws -> JSONValue {
        try await command("POST", "/execute/async", .object(["script": .string(script), "args": .array(arguments)]))
    }

    // MARK: Screenshots

    /// Where screenshots go: `$SEDGATE_SCREENSHOTS`, else `$TMPDIR/sedgate-screenshots` (created when missing).
    public static var screenshotFolder: String {
        let environment = ProcessInfo.processInfo.environment
        if let folder = environment["SEDGATE_SCREENSHOTS"], !folder.isEmpty { return folder }
        let base = environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        return base + "/sedgate-screenshots"
    }

    /// Saves the window as `<screenshotFolder>/<name>.png` and returns the file's path. With `fullPage`, the whole
    /// page, beyond the window's height (Chromium's DevTools `Page.captureScreenshot`, through chromedriver).
    @discardableResult
    public func screenshot(named name: String, fullPage: Bool = false) async throws -> String {
        let encoded: String?
        if fullPage {
            let metrics = try await command(
                "POST", "/goog/cdp/execute", .object(["cmd": .string("Page.getLayoutMetrics"), "params": .object([:])]))
            let size = metrics["cssContentSize"]
            let width = size["width"].number ?? 1280
            let height = min(16_000, size["height"].number ?? 900)
            let clip: JSONValue = .object([
                "x": .number(0), "y": .number(0), "width": .number(width), "height": .number(height),
                "scale": .number(1),
            ])
            let shot = try await command(
                "POST", "/goog/cdp/execute",
                .object([
                    "cmd": .string("Page.captureScreenshot"),
                    "params": .object([
                        "format": .string("png"), "captureBeyondViewport": .bool(true), "clip": clip,
                    ]),
                ]))
            encoded = shot["data"].string
        } else {
            encoded = try await command("GET", "/screenshot").string
        }
        guard let encoded, let png = Data(base64Encoded: encoded) else {
            throw SedgateError(.protocolViolation, "chromedriver answered a screenshot that is not base64 PNG")
        }
        let folder = Self.screenshotFolder
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let safe = String(name.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" })
        let path = folder + "/" + safe + ".png"
        try png.write(to: URL(fileURLWithPath: path), options: .atomic)
        return path
    }

    // MARK: End

    /// Ends the session: the browser quits (killed if it outlives the command). Safe to call twice.
    public func delete() async {
        _ = try? await driver.command("DELETE", "/session/\(id)", timeout: .seconds(30))
        driver.forget(self)
        if let browserProcess, kill(browserProcess, 0) == 0 {
            try? await Wait.until("chromium \(browserProcess) to quit", timeout: .seconds(5)) {
                kill(browserProcess, 0) != 0
            }
            if kill(browserProcess, 0) == 0 { kill(browserProcess, SIGKILL) }
        }
    }
}

/// An element of the page, found by a `BrowserSession`.
public struct BrowserElement: Sendable {
    /// The session that found it.
    public let session: BrowserSession
    /// The WebDriver element id.
    public let id: String
    /// The element's reference as WebDriver writes it (`{"element-6066-…": id}`), to pass it to a script.
    public let reference: JSONValue

    init(session: BrowserSession, reference: JSONValue) throws {
        guard let id = reference.object.values.first?.string else {
            throw SedgateError(.protocolViolation, "chromedriver answered an element without an id: \(reference)")
        }
        self.session = session
        self.id = id
        self.reference = reference
    }

    @discardableResult
    private func command(_ method: String, _ path: String, _ body: JSONValue? = nil) async throws -> JSONValue {
        try await session.command(method, "/element/\(id)\(path)", body)
    }

    /// Clicks it (scrolled into view first by the driver).
    public func click() async throws {
        try await command("POST", "/click")
    }

    /// Types `text` into it, as keystrokes (`BrowserKey` for Enter, Tab, ...).
    public func type(_ text: String) async throws {
        try await command("POST", "/value", .object(["text": .string(text)]))
    }

    /// Empties a text field.
    public func clear() async throws {
        try await command("POST", "/clear")
    }

    /// Submits its form as a person would: Enter in the field.
    public func submit() async throws {
        try await type(BrowserKey.enter)
    }

    /// Its rendered text.
    public func text() async throws -> String {
        try await command("GET", "/text").string ?? ""
    }

    /// The attribute `name` as written in the HTML, or nil.
    public func attribute(_ name: String) async throws -> String? {
        try await command("GET", "/attribute/\(name)").string
    }

    /// The DOM property `name` (e.g. `value` of a field, `href` resolved).
    public func property(_ name: String) async throws -> JSONValue {
        try await command("GET", "/property/\(name)")
    }

    /// The first element inside it matching `selector`.
    public func find(_ selector: String) async throws -> BrowserElement {
        let answer = try await command(
            "POST", "/element", .object(["using": .string("css selector"), "value": .string(selector)]))
        return try BrowserElement(session: session, reference: answer)
    }

    /// Every element inside it matching `selector`.
    public func findAll(_ selector: String) async throws -> [BrowserElement] {
        let answer = try await command(
            "POST", "/elements", .object(["using": .string("css selector"), "value": .string(selector)]))
        return try answer.array.map { try BrowserElement(session: session, reference: $0) }
    }
}

/// WebDriver's codes for keys that are not characters, for `BrowserElement.type`.
public enum BrowserKey {
    public static let enter = "\u{E007}"
    public static let tab = "\u{E004}"
    public static let escape = "\u{E00C}"
    public static let backspace = "\u{E003}"
}
