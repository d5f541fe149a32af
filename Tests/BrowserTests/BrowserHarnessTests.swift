// BrowserHarnessTests: the browser harness itself (SedgateTesting's BrowserDriver, BrowserSession, axe-core check)
// against pages given as data: URLs, so a failure here is the harness's and not a site's.

import Foundation
import SedgateTesting
import Testing

@Suite("Browser harness", .serialized)
struct BrowserHarnessTests {
    static func page(_ body: String, title: String = "Harness page") -> String {
        let html =
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(title)</title></head>"
            + "<body>\(body)</body></html>"
        return "data:text/html;charset=utf-8;base64," + Data(html.utf8).base64EncodedString()
    }

    @Test("types into a field, submits its form, waits for the script's answer, reads text and attributes")
    func drivesAPage() async throws {
        let driver = try await BrowserDriver.start()
        do {
            let browser = try await driver.newSession()
            try await browser.navigate(
                to: Self.page(
                    """
                    <main><h1>Greeting</h1>
                    <form id="f"><label for="who">Name</label><input id="who" name="who" data-kind="person">
                    <button>Greet</button></form><p id="out"></p></main>
                    <script>document.getElementById('f').addEventListener('submit', e => { e.preventDefault();
                      setTimeout(() => { document.getElementById('out').textContent =
                        'Hello ' + document.getElementById('who').value; }, 300); });</script>
                    """))
            #expect(try await browser.title() == "Harness page")
            let field = try await browser.find("#who")
            #expect(try await field.attribute("data-kind") == "person")
            try await field.type("Αθηνά")
            try await field.submit()
            // The answer comes later than the submit: wait on it, never a fixed sleep.
            try await browser.waitUntil("the greeting") { try await browser.find("#out").text() == "Hello Αθηνά" }
            #expect(try await browser.findAll("button").count == 1)
            #expect(try await browser.executeScript("return 6 * 7;").number == 42)
            let shot = try await browser.screenshot(named: "harness-greeting")
            let png = try Data(contentsOf: URL(fileURLWithPath: shot))
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            // A full-page screenshot holds the whole of a page taller than the window (900 pixels).
            try await browser.navigate(to: Self.page("<main><h1>Tall</h1><div style=\"height:3000px\"></div></main>"))
            let tall = try Data(
                contentsOf: URL(fileURLWithPath: try await browser.screenshot(named: "harness-tall", fullPage: true)))
            let height = tall[20..<24].reduce(0) { $0 << 8 | Int($1) }
            #expect(height >= 3_000, "the PNG is \(height) pixels high")
            await browser.delete()
        } catch {
            await driver.stop()
            throw error
        }
        await driver.stop()
    }

    @Test(
        "the accessibility check finds serious violations on a page without labels and alt texts, none on a clean one")
    func accessibilityCheck() async throws {
        let driver = try await BrowserDriver.start()
        do {
            let browser = try await driver.newSession()
            try await browser.navigate(
                to: Self.page("<main><h1>Bad</h1><img src=\"x.png\"><input type=\"text\"></main>"))
            let bad = try await browser.checkAccessibility()
            #expect(Set(bad.serious.map(\.id)).isSuperset(of: ["image-alt", "label"]), "\(bad)")
            try await browser.navigate(
                to: Self.page(
                    "<main><h1>Good</h1><img src=\"x.png\" alt=\"A cross\">"
                        + "<label for=\"q\">Search</label><input id=\"q\" type=\"text\"></main>"))
            let good = try await browser.checkAccessibility()
            #expect(good.serious.isEmpty, "\(good)")
            #expect(good.version.hasPrefix("4."))
        } catch {
            await driver.stop()
            throw error
        }
        await driver.stop()
    }
}
