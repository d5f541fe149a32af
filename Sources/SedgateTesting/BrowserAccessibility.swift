// BrowserAccessibility: an axe-core check of the page a BrowserSession shows (WCAG 2.0/2.1 A and AA rules, and
// axe's best practices), for the accessibility floor of the web pages: no `serious` or `critical` violation.
//
// Reads: axe.min.js, fetched at set-up and never committed (`make axe`, part of `make deps` for tests: PyPI's
// axe-playwright-python wheel bundles it; the Makefile unpacks it into .build/axe/). Found at $SEDGATE_AXE, else at
// .build/axe/axe.min.js above the running test executable or the current folder. Fails naming `make axe` when
// it is missing.

import Foundation
import SedgateCore

/// What axe-core found on one page.
public struct AccessibilityReport: Sendable, Decodable, CustomStringConvertible {
    /// One rule the page breaks, with the elements that break it.
    public struct Violation: Sendable, Decodable {
        /// The axe rule (`color-contrast`, `label`, ...).
        public var id: String
        /// `minor`, `moderate`, `serious` or `critical`.
        public var impact: String?
        /// What the rule asks, in a sentence.
        public var help: String
        /// Deque's page about the rule.
        public var helpUrl: String
        /// The offending elements: CSS selector and axe's summary of how to fix each.
        public var nodes: [Node]
    }

    /// One offending element.
    public struct Node: Sendable, Decodable {
        public var target: String
        public var failureSummary: String?
    }

    /// The page's URL when it was checked.
    public var url: String
    /// The axe-core version that checked it.
    public var version: String
    /// Every violation, whatever its impact.
    public var violations: [Violation]
    /// How many rules passed.
    public var passes: Int

    /// The violations a page must not have: impact `serious` or `critical`.
    public var serious: [Violation] { violations.filter { ["serious", "critical"].contains($0.impact ?? "") } }

    /// One line per violation and offending element, for a failing test's message.
    public var description: String {
        guard !violations.isEmpty else { return "\(url): no violations (axe \(version), \(passes) rules passed)" }
        return "\(url): \(violations.count) violation(s) (axe \(version)):\n"
            + violations.map { violation in
                "- [\(violation.impact ?? "?")] \(violation.id): \(violation.help) (\(violation.helpUrl))\n"
                    + violation.nodes.prefix(5).map { "    \($0.target): \($0.failureSummary ?? "")" }.joined(
                        separator: "\n")
            }.joined(separator: "\n")
    }
}

/// Finds axe-core's script.
public enum AxeCore {
    /// `$SEDGATE_AXE`, or `.build/axe/axe.min.js` in a folder above the running executable or the current folder.
    public static func scriptPath() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["SEDGATE_AXE"], !explicit.isEmpty { return explicit }
        let running =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        for start in [running, FileManager.default.currentDirectoryPath + "/x"] {
            var url = URL(fileURLWithPath: start).deletingLastPathComponent()
            while url.path != "/" {
                for candidate in [url.path + "/.build/axe/axe.min.js", url.path + "/axe/axe.min.js"]
                where FileManager.default.fileExists(atPath: candidate) {
                    return candidate
                }
                url.deleteLastPathComponent()
            }
        }
        throw SedgateError(
            .notFound,
            "axe-core's axe.min.js is not in .build/axe/: run `make axe` (it unpacks it from PyPI's "
                + "axe-playwright-python), or set SEDGATE_AXE to an axe.min.js")
    }

    /// The script's text, read once.
    static let source: Result<String, SedgateError> = {
        do {
            return .success(try String(contentsOfFile: try scriptPath(), encoding: .utf8))
        } catch let error as SedgateError {
            return .failure(error)
        } catch {
            return .failure(SedgateError(.io, "cannot read axe.min.js: \(error)"))
        }
    }()
}

extension BrowserSession {
    /// Runs axe-core on the page shown (WCAG 2.0 and 2.1, levels A and AA, and best practices) and returns what it
    /// found. Assert on `serious` (`#expect(report.serious.isEmpty, "\(report)")`).
    public func checkAccessibility() async throws -> AccessibilityReport {
        let source = try AxeCore.source.get()
        try await command("POST", "/timeouts", .object(["script": .number(180_000)]))
        let present = try await executeScript("return typeof window.axe === 'object';")
        if present.bool != true {
            try await executeScript(source + "\n;return typeof window.axe === 'object';")
        }
        let answer = try await executeAsyncScript(
            """
            const done = arguments[arguments.length - 1];
            window.axe.run(document, {
                runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']},
                resultTypes: ['violations']
            }).then(r => done(JSON.stringify({
                url: r.url, version: r.testEngine.version, passes: r.passes.length,
                violations: r.violations.map(v => ({
                    id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                    nodes: v.nodes.map(n => ({target: n.target.join(' '), failureSummary: n.failureSummary}))
                }))
            })), e => done(JSON.stringify({error: String(e)})));
            """)
        guard let text = answer.string else {
            throw SedgateError(.protocolViolation, "axe-core returned no report: \(answer)")
        }
        let raw = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        if let error = raw["error"].string { throw SedgateError(.io, "axe-core failed on the page: \(error)") }
        return try raw.decode(AccessibilityReport.self)
    }
}
