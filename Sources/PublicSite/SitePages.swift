// SitePages: the pages of the public site, each built from the directory store in the reader's language: home
// (search form and countries), search results, a country's sectors, a sector's institutions, an institution.
// Names appear in the reader's language when the entry has one, else in their own (marked with `lang`), with
// their Latin form beside a name in another script. Operational fields (URLs, certificates) and the serving access
// point are never shown.

import Directory
import Foundation
import SedgateCore

/// Builds the pages of one request.
struct SitePages {
    let site: PublicSite
    let language: String

    var catalogue: SiteCatalogue { site.catalogue }
    var store: DirectoryStore { site.store }
    func t(_ key: String, _ arguments: String...) -> String {
        var text = catalogue.text(key, language)
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index)}", with: argument)
        }
        return text
    }
    func e(_ key: String, _ arguments: String...) -> String {
        var text = catalogue.text(key, language)
        for (index, argument) in arguments.enumerated() {
            text = text.replacingOccurrences(of: "{\(index)}", with: argument)
        }
        return HTML.escape(text)
    }

    // MARK: Labels

    /// A code's label: the schema's in this language, else this catalogue's `code.<list>.<code>`, else English.
    func label(code: String, list: String) -> String {
        let labels = store.schema.codes[list]?[code] ?? [:]
        return labels[language] ?? catalogue.own("code.\(list).\(code)", language) ?? labels["en"] ?? code
    }

    /// A field's label, the same way.
    func label(field: String) -> String {
        let labels = store.schema.fields[field]?.label ?? [:]
        return labels[language] ?? catalogue.own("field.\(field)", language) ?? labels["en"] ?? field
    }

    func countryName(_ code: String) -> String { label(code: code, list: "country") }

    /// The entry's name for this reader and the language it is in: the reader's, else the country's own
    /// (`name.de` for DE), else English, else the first.
    func name(of entry: DirectoryEntry) -> (text: String, language: String) {
        let own = Self.countryLanguage[entry.country ?? ""] ?? ""
        for candidate in [language, own, "en"] {
            if let value = entry.value("name.\(candidate)") { return (value, candidate) }
        }
        if let first = entry.fields.keys.sorted().first(where: { $0.hasPrefix("name.") }),
            let value = entry.value(first)
        {
            return (value, String(first.dropFirst("name.".count)))
        }
        return (entry.id, language)
    }

    /// `text` in its language: a `lang` attribute when it differs from the page's, and its Latin form when it is in
    /// another script.
    func inLanguage(_ text: String, _ textLanguage: String, latin: Bool = true) -> String {
        var html = HTML.escape(text)
        if textLanguage != language { html = "<span lang=\"\(HTML.escape(textLanguage))\">\(html)</span>" }
        // Only a name in another script (Greek, Cyrillic) gets its Latin form: a dash or a quote is no reason.
        let otherScript = text.unicodeScalars.contains { $0.properties.isAlphabetic && $0.value >= 0x370 }
        if latin, otherScript {
            let latinForm = store.text.latin(text)
            html +=
                " <span class=\"latin\" lang=\"\(HTML.escape(textLanguage))-Latn\">(\(HTML.escape(latinForm)))</span>"
        }
        return html
    }

    /// The first official language of each country (the language its institutions' own names are in).
    static let countryLanguage: [String: String] = [
        "AT": "de", "BE": "fr", "BG": "bg", "HR": "hr", "CY": "el", "CZ": "cs", "DK": "da", "EE": "et", "FI": "fi",
        "FR": "fr", "DE": "de", "EL": "el", "HU": "hu", "IE": "en", "IT": "it", "LV": "lv", "LT": "lt", "LU": "fr",
        "MT": "mt", "NL": "nl", "PL": "pl", "PT": "pt", "RO": "ro", "SK": "sk", "SI": "sl", "ES": "es", "SE": "sv",
        "IS": "is", "LI": "de", "NO": "no", "CH": "de", "UK": "en",
    ]

    // MARK: Paths

    func countryPath(_ country: String) -> String { "directory/\(country.lowercased())" }

    func sectorPath(_ country: String, _ sector: String) -> String {
        "directory/\(country.lowercased())/\(HTML.percentEncode(catalogue.slug(sector: sector)))"
    }

    /// An institution's canonical path: under its first sector.
    func institutionPath(_ entry: DirectoryEntry) -> String {
        institutionPath(entry, sector: entry.fields["sector"]?.first ?? "H")
    }

    func institutionPath(_ entry: DirectoryEntry, sector: String) -> String {
        sectorPath(entry.country ?? "", sector) + "/" + HTML.percentEncode(entry.id)
    }

    // MARK: Search form

    func searchForm(text: String = "", filters: [String: String] = [:], counts: [DirectoryStore.BrowseCount]) -> String
    {
        func select(_ field: String, _ list: String, _ codes: [String]) -> String {
            var html =
                "<div><label for=\"f-\(field)\">\(HTML.escape(t("search.\(field)")))</label>"
                + "<select id=\"f-\(field)\" name=\"\(field)\"><option value=\"\">\(e("search.any"))</option>"
            let options = codes.map { ($0, label(code: $0, list: list)) }.sorted {
                $0.1.localizedStandardCompare($1.1) == .orderedAscending
            }
            for (code, name) in options {
                let selected = filters[field] == code ? " selected" : ""
                html += "<option value=\"\(HTML.escape(code))\"\(selected)>\(HTML.escape(name))</option>"
            }
            return html + "</select></div>"
        }
        let countries = Array(Set(counts.map(\.country))).sorted()
        let schemaCodes = { (list: String) in (store.schema.codes[list] ?? [:]).keys.sorted() }
        return """
            <form class="search" role="search" action="/\(language)/search" method="get">
            <div><label for="q">\(e("search.label"))</label>
            <p class="hint" id="q-hint">\(e("search.hint"))</p>
            <input type="search" id="q" name="q" value="\(HTML.escape(text))" aria-describedby="q-hint" \
            autocomplete="off" spellcheck="false"></div>
            <fieldset><legend>\(e("search.refine"))</legend>
            \(select("country", "country", countries))\(select("sector", "sector", schemaCodes("sector")))\
            \(select("function", "function", schemaCodes("function")))\(select("benefit", "benefit", schemaCodes("benefit")))
            </fieldset>
            <button type="submit">\(e("search.button"))</button>
            </form>
            """
    }

    // MARK: Pages

    func home() throws(SedgateError) -> SitePage {
        let counts = try store.institutionCounts()
        var perCountry: [String: Int] = [:]
        for count in counts { perCountry[count.country, default: 0] += count.institutions }
        let countries = perCountry.keys.map { ($0, countryName($0)) }.sorted {
            $0.1.localizedStandardCompare($1.1) == .orderedAscending
        }
        var list = "<ul class=\"browse\">"
        for (code, name) in countries {
            list += "<li><a href=\"/\(language)/\(countryPath(code))\">\(HTML.escape(name))</a></li>"
        }
        list += "</ul>"
        return SitePage(
            title: "\(t("site.name")): \(t("search.label"))", description: t("site.description"), path: "",
            body: """
                <h1>\(e("site.name"))</h1>
                <p>\(e("site.tagline"))</p>
                \(searchForm(counts: counts))
                <h2>\(e("browse.title"))</h2>
                \(list)
                """)
    }

    func search(_ query: [String: String]) throws(SedgateError) -> SitePage {
        let text = query["q"] ?? ""
        var filters: [String: String] = [:]
        for field in ["country", "sector", "function", "benefit"] {
            if let value = query[field], !value.isEmpty { filters[field] = value }
        }
        let limit = 50
        var attributes = filters
        let country = attributes.removeValue(forKey: "country")
        var entries: [DirectoryEntry] = []
        if !text.trimmingCharacters(in: .whitespaces).isEmpty || !filters.isEmpty {
            entries = try store.search(
                DirectoryQuery(
                    text: text, kind: .institution, country: country, attributes: attributes, limit: limit + 1))
        }
        let more = entries.count > limit
        entries = Array(entries.prefix(limit))
        let counts = try store.institutionCounts()
        var body = "<h1>\(e(text.isEmpty ? "search.title.filters" : "search.title", text))</h1>"
        body += searchForm(text: text, filters: filters, counts: counts)
        body += "<h2 id=\"results\">\(e("search.heading"))</h2>"
        if entries.isEmpty {
            body += "<p role=\"status\">\(e("search.none"))</p>"
        } else {
            let found = entries.count == 1 ? e("search.results.one") : e("search.results", "\(entries.count)")
            body += "<p role=\"status\">\(found)</p>"
            if more { body += "<p>\(e("search.more", "\(limit)"))</p>" }
            body += "<ul class=\"results\" aria-labelledby=\"results\">"
            for entry in entries { body += resultItem(entry) }
            body += "</ul>"
        }
        var queryString: [String] = []
        if !text.isEmpty { queryString.append("q=" + HTML.percentEncode(text, keepColon: false)) }
        for (field, value) in filters.sorted(by: { $0.key < $1.key }) {
            queryString.append("\(field)=" + HTML.percentEncode(value, keepColon: false))
        }
        return SitePage(
            title: "\(text.isEmpty ? t("search.title.filters") : t("search.title", text)) – \(t("site.name"))",
            description: t("site.description"), path: "search", query: queryString.joined(separator: "&"),
            breadcrumb: [(t("search.heading"), "search")], body: body, indexable: false)
    }

    /// One search result: the name as a link to the institution's page, then where it is and what it does.
    func resultItem(_ entry: DirectoryEntry) -> String {
        let (name, nameLanguage) = name(of: entry)
        var meta = [HTML.escape(entry.id)]
        if let city = cityName(entry) { meta.append(city) }
        if let country = entry.country { meta.append(HTML.escape(countryName(country))) }
        let sectors = (entry.fields["sector"] ?? []).map { HTML.escape(label(code: $0, list: "sector")) }
        var html = "<li><a href=\"/\(language)/\(institutionPath(entry))\">\(inLanguage(name, nameLanguage))</a>"
        html += "<p class=\"meta\">\(meta.joined(separator: " · "))</p>"
        if !sectors.isEmpty { html += "<p class=\"meta\">\(sectors.joined(separator: ", "))</p>" }
        if entry.isEHICIssuer { html += "<p class=\"badge\">\(e("institution.ehic"))</p>" }
        return html + "</li>"
    }

    func cityName(_ entry: DirectoryEntry) -> String? {
        let own = Self.countryLanguage[entry.country ?? ""] ?? ""
        for candidate in [language, own, "en"] {
            if let city = entry.value("city.\(candidate)") { return inLanguage(city, candidate, latin: false) }
        }
        if let key = entry.fields.keys.sorted().first(where: { $0.hasPrefix("city.") }), let city = entry.value(key) {
            return inLanguage(city, String(key.dropFirst("city.".count)), latin: false)
        }
        return entry.value("city").map(HTML.escape)
    }

    func country(_ code: String) throws(SedgateError) -> SitePage? {
        let counts = try store.institutionCounts().filter { $0.country == code }
        guard !counts.isEmpty || store.schema.codes["country"]?[code] != nil else { return nil }
        let name = countryName(code)
        var body = "<h1>\(e("country.title", name))</h1>"
        if counts.isEmpty {
            body += "<p>\(e("country.none"))</p>"
        } else {
            body += "<h2>\(e("country.sectors"))</h2><ul class=\"browse\">"
            let sorted = counts.map { ($0, label(code: $0.sector, list: "sector")) }.sorted {
                $0.1.localizedStandardCompare($1.1) == .orderedAscending
            }
            for (count, label) in sorted {
                body +=
                    "<li><a href=\"/\(language)/\(sectorPath(code, count.sector))\">\(HTML.escape(label))</a> "
                    + "(\(e("sector.count", "\(count.institutions)")))</li>"
            }
            body += "</ul>"
        }
        return SitePage(
            title: "\(t("country.title", name)) – \(t("site.name"))", description: t("country.title", name),
            path: countryPath(code), breadcrumb: [(name, countryPath(code))], body: body)
    }

    func sector(_ country: String, _ sector: String, after: String) throws(SedgateError) -> SitePage? {
        let page = 100
        let entries = try store.entries(
            kind: .institution, country: country, sector: sector, after: after, limit: page + 1)
        guard !entries.isEmpty || after.isEmpty else { return nil }
        guard store.schema.codes["sector"]?[sector] != nil else { return nil }
        let countryLabel = countryName(country)
        let sectorLabel = label(code: sector, list: "sector")
        var body = "<h1>\(e("sector.title", sectorLabel, countryLabel))</h1><ul class=\"results\">"
        for entry in entries.prefix(page) {
            let (name, nameLanguage) = name(of: entry)
            var meta = [HTML.escape(entry.id)]
            if let city = cityName(entry) { meta.append(city) }
            body +=
                "<li><a href=\"/\(language)/\(institutionPath(entry, sector: sector))\">"
                + "\(inLanguage(name, nameLanguage))</a><p class=\"meta\">\(meta.joined(separator: " · "))</p></li>"
        }
        body += "</ul>"
        if entries.count > page, let last = entries.prefix(page).last {
            body +=
                "<p><a rel=\"next\" href=\"/\(language)/\(sectorPath(country, sector))?after="
                + "\(HTML.percentEncode(last.id))\">\(e("sector.next"))</a></p>"
        }
        let title = t("sector.title", sectorLabel, countryLabel)
        return SitePage(
            title: "\(title) – \(t("site.name"))", description: title, path: sectorPath(country, sector),
            query: after.isEmpty ? "" : "after=" + HTML.percentEncode(after),
            breadcrumb: [(countryLabel, countryPath(country)), (sectorLabel, sectorPath(country, sector))],
            body: body)
    }

    func institution(_ entry: DirectoryEntry, sector: String) -> SitePage {
        let (name, nameLanguage) = name(of: entry)
        let country = entry.country ?? ""
        let countryLabel = countryName(country)
        let sectorLabel = label(code: sector, list: "sector")
        var body = "<h1>\(inLanguage(name, nameLanguage))</h1>"
        if entry.isEHICIssuer { body += "<p class=\"badge\">\(e("institution.ehic"))</p>" }
        if let successor = entry.value("successor") {
            body += "<p>\(e("institution.closed")) \(successorLink(successor))</p>"
        }
        body += "<dl><dt>\(e("institution.id"))</dt><dd><code>\(HTML.escape(entry.id))</code></dd>"
        // Names in the other languages.
        let others = entry.fields.keys.filter { $0.hasPrefix("name.") && $0 != "name.\(nameLanguage)" }.sorted()
        if !others.isEmpty {
            body += "<dt>\(e("institution.names"))</dt><dd><ul>"
            for key in others {
                guard let other = entry.value(key) else { continue }
                body += "<li>\(inLanguage(other, String(key.dropFirst("name.".count))))</li>"
            }
            body += "</ul></dd>"
        }
        var address: [String] = []
        if let street = entry.value("street") {
            address.append(inLanguage(street, Self.countryLanguage[country] ?? language))
        }
        let city = cityName(entry)
        let place = [entry.value("postcode").map(HTML.escape), city].compactMap { $0 }.joined(separator: " ")
        if !place.isEmpty { address.append(place) }
        address.append(HTML.escape(countryLabel))
        body += "<dt>\(e("institution.address"))</dt><dd>\(address.joined(separator: "<br>"))</dd>"
        var contact: [String] = []
        if let email = entry.value("email") {
            contact.append("<a href=\"mailto:\(HTML.escape(email))\">\(HTML.escape(email))</a>")
        }
        if let phone = entry.value("phone") {
            let dial = phone.filter { $0.isNumber || $0 == "+" }
            contact.append("<a href=\"tel:\(HTML.escape(dial))\">\(HTML.escape(phone))</a>")
        }
        if let website = entry.value("website"), website.hasPrefix("https://") || website.hasPrefix("http://") {
            contact.append("<a href=\"\(HTML.escape(website))\" rel=\"nofollow\">\(HTML.escape(website))</a>")
        }
        if !contact.isEmpty {
            body += "<dt>\(e("institution.contact"))</dt><dd>\(contact.joined(separator: "<br>"))</dd>"
        }
        let sectors = entry.fields["sector"] ?? []
        if !sectors.isEmpty {
            body += "<dt>\(HTML.escape(label(field: "sector")))</dt><dd>"
            body += sectors.map { code in
                "<a href=\"/\(language)/\(sectorPath(country, code))\">\(HTML.escape(label(code: code, list: "sector")))</a>"
            }.joined(separator: ", ")
            body += "</dd>"
        }
        for field in ["function", "benefit"] {
            guard let codes = entry.fields[field], !codes.isEmpty else { continue }
            let labels = codes.map { HTML.escape(label(code: $0, list: field)) }
            body += "<dt>\(HTML.escape(label(field: field)))</dt><dd>\(labels.joined(separator: "<br>"))</dd>"
        }
        for field in ["coverage-personal", "coverage-geographic"] {
            guard let values = entry.fields[field], !values.isEmpty else { continue }
            body += "<dt>\(HTML.escape(label(field: field)))</dt>"
            body += "<dd>\(values.map(HTML.escape).joined(separator: "<br>"))</dd>"
        }
        body += "</dl>"
        let path = institutionPath(entry, sector: sector)
        let title = "\(name) – \(sectorLabel) – \(countryLabel) – \(t("site.name"))"
        return SitePage(
            title: title, description: "\(name) (\(entry.id)): \(sectorLabel), \(countryLabel)",
            path: path,
            breadcrumb: [
                (countryLabel, countryPath(country)), (sectorLabel, sectorPath(country, sector)), (name, path),
            ],
            body: body)
    }

    func successorLink(_ id: String) -> String {
        guard let successor = try? store.entry(id), successor.kind == .institution else { return HTML.escape(id) }
        let (name, nameLanguage) = name(of: successor)
        return "\(e("institution.successor")): <a href=\"/\(language)/\(institutionPath(successor))\">"
            + "\(inLanguage(name, nameLanguage, latin: false))</a>"
    }

    func notFound() -> SitePage {
        SitePage(
            title: "\(t("notfound.title")) – \(t("site.name"))", description: t("notfound.text"), path: "",
            body: """
                <h1>\(e("notfound.title"))</h1>
                <p>\(e("notfound.text"))</p>
                <p><a href="/\(language)/">\(e("nav.home"))</a></p>
                """, status: 404, indexable: false)
    }
}
