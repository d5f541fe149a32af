// PublicSiteSettings: a node's `[site]` table, which serves the public directory site beside the node (off unless
// `listen` is given): `listen = "HOST:PORT"`, `base-url` (the public address named in sitemaps and canonical links;
// default from each request's Host), `messages` (the catalogues folder; default `<conversions>/site`).

public import ConfigurationFile
public import SedgateCore

/// The `[site]` settings of a node.
public struct PublicSiteSettings: Sendable {
    /// Where the site listens; nil: no site.
    public var listen: (host: String, port: Int)?
    /// The site's public address, e.g. `https://directory.example.eu`.
    public var baseURL: String?
    /// The message catalogues' folder; nil: `<conversions>/site`.
    public var messages: String?

    public init() {}

    /// Reads `[site]` from `file` (marking its keys as known); the caller checks for unknown keys.
    public static func load(_ file: ConfigFile) throws(SedgateError) -> PublicSiteSettings {
        var settings = PublicSiteSettings()
        let listen = try file.string("site", "listen", default: "")
        if !listen.isEmpty {
            guard let colon = listen.lastIndex(of: ":"), let port = Int(listen[listen.index(after: colon)...]),
                (1...65_535).contains(port), colon != listen.startIndex
            else {
                throw file.fail("site", "listen", "is '\(listen)'; it must be HOST:PORT, e.g. \"127.0.0.1:8080\"")
            }
            settings.listen = (String(listen[..<colon]), port)
        }
        let base = try file.string("site", "base-url", default: "")
        if !base.isEmpty {
            guard base.hasPrefix("https://") || base.hasPrefix("http://") else {
                throw file.fail(
                    "site", "base-url",
                    "is '\(base)'; it must be the site's public address, e.g. https://directory.example.eu")
            }
            settings.baseURL = base
        }
        let messages = try file.string("site", "messages", default: "")
        settings.messages = messages.isEmpty ? nil : messages
        return settings
    }
}
