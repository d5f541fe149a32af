// NodeSite: the public directory site beside a node (`[site]` in its configuration) or on its own
// (`sedgate directory serve --site`): the node's directory shown without operational fields, in every language of
// the catalogues folder (conversions/site/).

import CommandSupport
import ConfigurationFile
import Directory
import Logging
import NodeSetup
import PublicSite
import SedgateCore
import ServiceLifecycle

enum NodeSite {
    /// The site's service when the node's `[site]` table has `listen`; none otherwise.
    static func services(
        _ configurationFile: String, directory: DirectorySettings, logger: Logger
    ) throws(SedgateError) -> [any Service] {
        let settings = try PublicSiteSettings.load(try ConfigFile(path: configurationFile))
        guard let listen = settings.listen else { return [] }
        guard let conversions = directory.conversions else {
            throw SedgateError(
                .configuration,
                "[site] needs the directory and the conversions folder (conversions/directory/, conversions/site/); "
                    + "set [conversions] directory")
        }
        let site = try PublicSite(
            store: try directory.open(), messages: settings.messages ?? conversions + "/site",
            baseURL: settings.baseURL)
        return [PublicSiteServer(site: site, host: listen.host, port: listen.port, logger: logger)]
    }

    /// `sedgate directory serve --site`: the site over `store`, the catalogues of the conversions folder's site/.
    static func serve(
        _ store: DirectoryStore, _ options: DirectoryOptions, baseURL: String?, host: String, port: Int
    ) async throws {
        let configured = try options.settings()?.conversions
        let server = try exitOnError { () throws(SedgateError) in
            var conversions = configured ?? ""
            if configured == nil { conversions = try ConversionsDirectoryLookup.find(options.conversions) }
            let site = try PublicSite(store: store, messages: conversions + "/site", baseURL: baseURL)
            return PublicSiteServer(site: site, host: host, port: port, logger: Logger(label: "sedgate.site"))
        }
        try await server.run()
    }
}
