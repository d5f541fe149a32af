// ConsoleBrowserTests: the operator console in a real headless Chromium, as operators use it: sign in, find a SED,
// hold and release it (each with its confirmation), download the statistics as CSV; a viewer sees no hold button
// and the hold it forges is refused; at an AP an editor changes a directory entry and the change reaches the other
// AP. Every page gets an axe-core check (no serious or critical violation) and a screenshot (`make screenshots`
// keeps them in .build/screenshots).

import Foundation
import SedgateCore
import SedgateTesting
import Store
import Testing

@Suite("The operator console in Chromium", .serialized)
struct ConsoleBrowserTests {
    /// Checks the page with axe-core and takes its screenshot.
    func check(_ browser: BrowserSession, _ name: String) async throws {
        try await browser.screenshot(named: "console-" + name, fullPage: true)
        let report = try await browser.checkAccessibility()
        #expect(report.serious.isEmpty, "\(name): \(report)")
    }

    /// Signs in through the form and waits for the page it leads to.
    func signIn(_ browser: BrowserSession, base: String, _ name: String, screenshot: Bool = false) async throws {
        try await browser.navigate(to: base + "/dashboard")
        let field = try await browser.waitFor("input#f-name")
        if screenshot { try await check(browser, "signin") }
        try await field.type(name)
        let password = try await browser.find("input#f-password")
        try await password.type(ConsoleFixture.password)
        try await password.submit()
        try await browser.waitUntil("\(name) to be signed in") {
            let signedIn = try await !browser.findAll("form.signout").isEmpty
            return try await browser.currentURL().hasSuffix("/dashboard") && signedIn
        }
    }

    /// Opens the confirmation of `action` on the SED page shown, confirms, and waits for the answer.
    func act(_ browser: BrowserSession, _ action: String, answer: String, screenshot: String? = nil) async throws {
        try await browser.waitFor("a[href$=\"confirm?action=\(action)\"]").click()
        let confirm = try await browser.waitFor("form[action$=\"/act\"] button[type=submit]")
        if let screenshot { try await check(browser, screenshot) }
        try await confirm.click()
        try await browser.waitUntil("the answer to \(action)") {
            let notices = try await browser.findAll("[role=status].notice")
            guard let notice = notices.first else { return false }
            return try await notice.text().contains(answer)
        }
    }

    @Test("sign in, find a SED, hold and release it, download a CSV; a viewer cannot hold; a directory edit replicates")
    func operatorsAtWork() async throws {
        let fixture = try ConsoleFixture("console-browser")
        let topology = fixture.topology
        defer { topology.abandon() }
        try await fixture.loadDirectory()
        try await fixture.addUser("olga", roles: ["operator"])
        try await fixture.addUser("victor", roles: ["viewer"])
        try await fixture.addUser("alice", roles: ["admin"])
        try await fixture.addUser("erik", roles: ["editor:BE"], at: "AP-BE")
        try await topology.startAll()
        await topology.kill("AP-DK")
        let id = try fixture.commitSED()
        let journal = try fixture.journal()
        try await Wait.until("the SED to wait at the CN for AP-DK", timeout: .seconds(120)) {
            (try await journal.record(id, .relay)?.attempts ?? 0) > 0
        }
        let cn = fixture.consoles["CN"]!
        let driver = try await BrowserDriver.start()
        do {
            // The operator signs in and finds the SED by its id.
            let browser = try await driver.newSession()
            try await signIn(browser, base: cn, "olga", screenshot: true)
            try await check(browser, "dashboard")
            // From the keyboard: the first Tab reaches the skip link, which leads to the main content.
            _ = try await browser.command(
                "POST", "/actions",
                .object([
                    "actions": .array([
                        .object([
                            "type": .string("key"), "id": .string("keyboard"),
                            "actions": .array([
                                .object(["type": .string("keyDown"), "value": .string(BrowserKey.tab)]),
                                .object(["type": .string("keyUp"), "value": .string(BrowserKey.tab)]),
                            ]),
                        ])
                    ])
                ]))
            #expect(try await browser.activeElement().text() == "Skip to content")
            try await browser.find("nav a[href=\"/messages\"]").click()
            let search = try await browser.waitFor("input#f-sed")
            try await search.type(id.rawValue)
            try await search.submit()
            let link = try await browser.waitFor("table a[href=\"/messages/\(id)\"]")
            try await check(browser, "messages")
            try await link.click()
            try await browser.waitUntil("the SED's page") { try await browser.title().contains(id.rawValue) }
            try await check(browser, "message")

            // Hold, then release, each after its confirmation; the journal follows.
            try await act(browser, "hold", answer: "is held", screenshot: "confirm-hold")
            #expect(try await journal.record(id, .relay)?.state == .held)
            try await check(browser, "message-held")
            try await act(browser, "release", answer: "back in the queue")
            #expect(try await journal.record(id, .relay)?.state == .stored)

            // The statistics page, and its CSV downloaded by the browser.
            let downloads = try TemporaryDirectory("console-downloads")
            _ = try await browser.command(
                "POST", "/goog/cdp/execute",
                .object([
                    "cmd": .string("Browser.setDownloadBehavior"),
                    "params": .object(["behavior": .string("allow"), "downloadPath": .string(downloads.path)]),
                ]))
            try await browser.navigate(to: cn + "/statistics?by=day,state")
            _ = try await browser.waitFor("a[href*=\"format=csv\"]")
            try await check(browser, "statistics")
            try await browser.find("a[href*=\"format=csv\"]").click()
            let csvPath = downloads.appending("statistics-CN.csv")
            try await browser.waitUntil("the CSV download") { FileManager.default.fileExists(atPath: csvPath) }
            let csv = try String(contentsOfFile: csvPath, encoding: .utf8)
            #expect(csv.hasPrefix("day,state,seds,bytes"), "\(csv)")
            await browser.delete()

            // A viewer: the SED's page has no action button, and a hold forged into the page is refused.
            let viewer = try await driver.newSession()
            try await signIn(viewer, base: cn, "victor")
            try await viewer.navigate(to: cn + "/messages/\(id)")
            try await viewer.waitUntil("the SED's page") { try await viewer.title().contains(id.rawValue) }
            #expect(try await viewer.findAll("a[href*=\"confirm?action=\"]").isEmpty, "a viewer sees no hold button")
            try await check(viewer, "message-viewer")
            try await viewer.executeScript(
                """
                const form = document.createElement('form');
                form.method = 'post';
                form.action = '/messages/\(id)/act';
                const token = document.querySelector('input[name=csrf]').value;
                for (const [name, value] of [['csrf', token], ['action', 'hold'], ['confirm', 'yes']]) {
                    const input = document.createElement('input');
                    input.type = 'hidden'; input.name = name; input.value = value; form.appendChild(input);
                }
                document.body.appendChild(form);
                form.submit();
                """)
            try await viewer.waitUntil("the refusal") { try await viewer.title().hasPrefix("Not allowed") }
            #expect(try await journal.record(id, .relay)?.state == .stored, "the viewer's hold was not made")
            try await check(viewer, "refused")
            await viewer.delete()

            // The administrator reads the audit trail: who held and released, and the refused hold.
            let admin = try await driver.newSession()
            try await signIn(admin, base: cn, "alice")
            try await admin.find("nav a[href=\"/audit\"]").click()
            _ = try await admin.waitFor("table")
            let trail = try await admin.find("main").text()
            #expect(trail.contains("olga") && trail.contains("hold") && trail.contains("victor"), "\(trail)")
            #expect(trail.contains("refused: Your role does not allow changing the queue."), "\(trail)")
            try await check(admin, "audit")
            await admin.delete()

            // At AP-BE an editor changes an institution; the change reaches AP-DK's copy.
            try await topology.start("AP-DK")
            let editor = try await driver.newSession()
            let ap = fixture.consoles["AP-BE"]!
            try await signIn(editor, base: ap, "erik")
            try await editor.find("nav a[href=\"/directory\"]").click()
            try await editor.waitFor("table a[href*=\"BE%3AINAMI\"]").click()
            let city = try await editor.waitFor("input#f-field-city-en")
            try await check(editor, "directory-entry")
            try await city.clear()
            try await city.type("Brussel")
            let why = try await editor.find("input#f-why")
            try await why.type("the city's Dutch name")
            try await why.submit()
            try await editor.waitUntil("the entry to be saved") { try await editor.title().contains("saved") }
            try await check(editor, "directory-saved")
            try await Wait.until("AP-DK's copy to show the new city", timeout: .seconds(120)) {
                try await fixture.show("BE:INAMI", at: "AP-DK").output.contains("Brussel")
            }
            try await editor.navigate(to: ap + "/directory/history?id=BE%3AINAMI")
            _ = try await editor.waitFor("table")
            #expect(try await editor.find("main").text().contains("Bruxelles → Brussel"))
            try await check(editor, "directory-history")
            try await editor.navigate(to: ap + "/directory")
            _ = try await editor.waitFor("table")
            try await check(editor, "directory")
            try await editor.navigate(to: ap + "/directory/upload")
            _ = try await editor.waitFor("textarea#f-content")
            try await check(editor, "directory-upload")
            await editor.delete()
        } catch {
            await driver.stop()
            throw error
        }
        await driver.stop()
    }
}
