// Sitemap: the public site's sitemaps for search engines (sitemaps.org 0.9 with xhtml:link hreflang alternates):
// `/sitemap.xml` is an index of `sitemap-home.xml` (the home page) and one part per country
// (`sitemap-de.xml`: the country page, its sector pages and its institutions' pages; a country of more than
// `institutionsPerPart` institutions continues in `sitemap-de-2.xml`, ...). Each page appears once per language,
// listing every language's URL as an alternate, so no part passes the protocol's 50,000 URLs.

import Directory
import SedgateCore

/// Builds the sitemaps of a site.
struct Sitemap {
    let site: PublicSite
    /// Institutions per part: each appears once per language, and the protocol's limit is 50,000 URLs a file.
    static let institutionsPerPart = 5_000

    var languages: [String] { site.catalogue.languages }

    /// `/sitemap.xml`.
    func index(origin: String) throws(SedgateError) -> String {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
            <sitemap><loc>\(HTML.escape(origin))/sitemap-home.xml</loc></sitemap>

            """
        for (country, count) in try site.store.institutionsPerCountry().sorted(by: { $0.key < $1.key }) {
            let parts = max(1, (count + Self.institutionsPerPart - 1) / Self.institutionsPerPart)
            for part in 1...parts {
                let name = country.lowercased() + (part == 1 ? "" : "-\(part)")
                xml += "<sitemap><loc>\(HTML.escape(origin))/sitemap-\(name).xml</loc></sitemap>\n"
            }
        }
        return xml + "</sitemapindex>\n"
    }

    /// `/sitemap-<name>.xml`: `home`, or a country code with an optional `-<part>`; nil when there is no such part.
    func part(_ name: String, origin: String) throws(SedgateError) -> String? {
        var xml = """
            <?xml version="1.0" encoding="UTF-8"?>
            <urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:xhtml="http://www.w3.org/1999/xhtml">

            """
        if name == "home" {
            xml += urls("", origin: origin)
            return xml + "</urlset>\n"
        }
        let pieces = name.split(separator: "-")
        guard (1...2).contains(pieces.count), pieces[0].count == 2 else { return nil }
        let country = pieces[0].uppercased()
        let part = pieces.count == 2 ? Int(pieces[1]) ?? 0 : 1
        guard part >= 1 else { return nil }
        let pages = SitePages(site: site, language: "en")
        let institutions = try site.store.entries(
            kind: .institution, country: country, limit: part * Self.institutionsPerPart
        ).dropFirst((part - 1) * Self.institutionsPerPart)
        guard !institutions.isEmpty else { return nil }
        if part == 1 {
            xml += urls(pages.countryPath(country), origin: origin)
            let sectors = Set(try site.store.institutionCounts().filter { $0.country == country }.map(\.sector))
            for sector in sectors.sorted() { xml += urls(pages.sectorPath(country, sector), origin: origin) }
        }
        for entry in institutions where entry.fields["sector"]?.isEmpty == false {
            xml += urls(pages.institutionPath(entry), origin: origin)
        }
        return xml + "</urlset>\n"
    }

    /// One `<url>` per language for the page at `path`, each listing every language's version.
    private func urls(_ path: String, origin: String) -> String {
        let alternates = languages.map { language in
            "<xhtml:link rel=\"alternate\" hreflang=\"\(language)\" href=\"\(HTML.escape("\(origin)/\(language)/\(path)"))\"/>"
        }.joined(separator: "")
        let fallback =
            "<xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"\(HTML.escape("\(origin)/en/\(path)"))\"/>"
        return languages.map { language in
            "<url><loc>\(HTML.escape("\(origin)/\(language)/\(path)"))</loc>\(alternates)\(fallback)</url>\n"
        }.joined()
    }
}
