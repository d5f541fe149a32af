// PublicSiteBrowserTests: the public directory site in a real headless Chromium, as a citizen or a clerk uses it:
// searching in their language for "Krankenkasse", "sickness" and a Greek institution's Latin name, browsing the tree
// to an institution by clean URLs, switching language, with an axe-core check of every page type (no serious or
// critical violation) and a screenshot of each (`make screenshots` keeps them in .build/screenshots).

import Foundation
import SedgateTesting
import Testing

@Suite("Public directory site in Chromium", .serialized)
struct PublicSiteBrowserTests {
    /// Runs `body` with a site and a browser session, stopping both whatever happens.
    func withSiteAndBrowser(
        _ label: String, language: String = "en-GB",
        _ body: (PublicSiteFixture, BrowserSession) async throws -> Void
    ) async throws {
        let site = try await PublicSiteFixture(label: label)
        let driver = try await BrowserDriver.start()
        do {
            let browser = try await driver.newSession(language: language)
            try await body(site, browser)
        } catch {
            await driver.stop()
            throw error
        }
        await driver.stop()
    }

    /// Types `text` into the home page's search field, submits, and waits for the results page.
    func search(_ browser: BrowserSession, _ text: String) async throws -> [String] {
        let field = try await browser.waitFor("input#q")
        try await field.clear()
        try await field.type(text)
        try await field.submit()
        try await browser.waitUntil("the results of '\(text)'") {
            guard try await browser.currentURL().contains("/search?") else { return false }
            return try await !browser.findAll("#results").isEmpty
        }
        var links: [String] = []
        for link in try await browser.findAll("ul.results li > a") {
            links.append(try await link.attribute("href") ?? "")
        }
        return links
    }

    @Test("a visitor's search for Krankenkasse, sickness and a Greek name in Latin letters finds the right entries")
    func searches() async throws {
        try await withSiteAndBrowser("browser-search", language: "de-DE") { site, browser in
            // Accept-Language de: the root sends the browser to the German pages.
            try await browser.navigate(to: site.base + "/")
            try await browser.waitUntil("the German home page") { try await browser.currentURL() == site.base + "/de/" }
            #expect(try await browser.find("html").attribute("lang") == "de")
            try await browser.screenshot(named: "site-home-de", fullPage: true)
            let home = try await browser.checkAccessibility()
            #expect(home.serious.isEmpty, "\(home)")

            let krankenkasse = try await search(browser, "Krankenkasse")
            #expect(krankenkasse.contains("/de/directory/de/sickness/DE:TK"), "\(krankenkasse)")
            try await browser.screenshot(named: "site-search-krankenkasse", fullPage: true)
            let results = try await browser.checkAccessibility()
            #expect(results.serious.isEmpty, "\(results)")

            // "sickness" is a sector's label and a synonym: every sickness institution, no pension fund.
            let sickness = try await search(browser, "sickness")
            for id in ["DE:AOK", "DE:TK", "FR:CNAM", "EL:EFKA", "EL:EOPYY", "AT:OEGK"] {
                #expect(sickness.contains { $0.hasSuffix("/" + id) }, "\(id) in \(sickness)")
            }
            #expect(!sickness.contains { $0.hasSuffix("DE:DRV") || $0.hasSuffix("FR:CNAV") }, "\(sickness)")

            let greek = try await search(browser, "Ilektronikos Ethnikos")
            #expect(greek.first == "/de/directory/el/sickness/EL:EFKA", "\(greek)")
            let shown = try await browser.find("ul.results li > a").text()
            #expect(shown.contains("Ηλεκτρονικός Εθνικός Φορέας") && shown.contains("Ilektronikos"), "\(shown)")
        }
    }

    @Test("browsing country → sector → institution by clean URLs, and switching the language on the way")
    func browse() async throws {
        try await withSiteAndBrowser("browser-browse") { site, browser in
            try await browser.navigate(to: site.base + "/en/")
            try await browser.waitFor("ul.browse a[href='/en/directory/el']").click()
            try await browser.waitUntil("the Greece page") {
                try await browser.currentURL() == site.base + "/en/directory/el"
            }
            #expect(try await browser.title().hasPrefix("Social security institutions in Greece"))
            try await browser.screenshot(named: "site-country-el", fullPage: true)
            let country = try await browser.checkAccessibility()
            #expect(country.serious.isEmpty, "\(country)")

            try await browser.find("a[href='/en/directory/el/sickness']").click()
            try await browser.waitUntil("the sector page") {
                try await browser.currentURL() == site.base + "/en/directory/el/sickness"
            }
            try await browser.screenshot(named: "site-sector-el-sickness", fullPage: true)
            let sector = try await browser.checkAccessibility()
            #expect(sector.serious.isEmpty, "\(sector)")

            try await browser.find("a[href='/en/directory/el/sickness/EL:EOPYY']").click()
            try await browser.waitUntil("the institution page") {
                try await browser.currentURL() == site.base + "/en/directory/el/sickness/EL:EOPYY"
            }
            let title = try await browser.title()
            #expect(
                title.contains("Εθνικός Οργανισμός Παροχής Υπηρεσιών Υγείας") && title.contains("Greece"), "\(title)")
            #expect(try await browser.find("h1 span[lang='el']").text().hasPrefix("Εθνικός Οργανισμός"))
            try await browser.screenshot(named: "site-institution-en", fullPage: true)
            let institution = try await browser.checkAccessibility()
            #expect(institution.serious.isEmpty, "\(institution)")

            // The language switcher keeps the page: the same institution in Greek.
            try await browser.find("nav.languages a[hreflang='el']").click()
            try await browser.waitUntil("the Greek version") {
                try await browser.currentURL() == site.base + "/el/directory/el/sickness/EL:EOPYY"
            }
            #expect(try await browser.find("html").attribute("lang") == "el")
            #expect(try await browser.find("nav.breadcrumb").text().contains("Ελλάδα"))
            try await browser.screenshot(named: "site-institution-el", fullPage: true)
            let greek = try await browser.checkAccessibility()
            #expect(greek.serious.isEmpty, "\(greek)")

            try await browser.navigate(to: site.base + "/fr/directory/de/sickness/DE:NOPE")
            #expect(try await browser.find("h1").text() == "Page introuvable")
            let missing = try await browser.checkAccessibility()
            #expect(missing.serious.isEmpty, "\(missing)")
        }
    }

    @Test("the search works with the keyboard alone: skip link, field, refine, submit")
    func keyboard() async throws {
        try await withSiteAndBrowser("browser-keyboard", language: "fr-FR") { site, browser in
            try await browser.navigate(to: site.base + "/fr/")
            // The first Tab reaches the skip link, which moves on to the content.
            let body = try await browser.find("body")
            try await body.type(BrowserKey.tab)
            let skip = try await browser.activeElement()
            #expect(try await skip.attribute("href") == "#main")
            #expect(try await skip.text() == "Aller au contenu")
            let field = try await browser.find("input#q")
            try await field.type("assurance")
            let country = try await browser.find("select#f-country")
            try await country.click()
            try await browser.find("select#f-country option[value='FR']").click()
            try await field.submit()
            try await browser.waitUntil("the French results") {
                try await browser.currentURL().contains("country=FR")
            }
            let links = try await browser.findAll("ul.results li > a")
            #expect(!links.isEmpty)
            for link in links { #expect(try await link.attribute("href")?.contains("/directory/fr/") == true) }
        }
    }
}
