// DirectoryCommandTests: `sedgate directory` as an operator runs it: a bulk import with one bad line reports the
// line and applies nothing; the LDIF export loads into a real OpenLDAP slapd (Debian's, started here on loopback)
// where ldapsearch finds a Greek institution by its Latin name; the public copy has no operational data and the
// read-only JSON search serves it.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("sedgate directory commands", .serialized)
struct DirectoryCommandTests {
    static let conversions = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("conversions").path
    let binary: String
    let folder: TemporaryDirectory

    init() throws {
        binary = try SedgateBinary.path()
        folder = try TemporaryDirectory("directory-commands")
    }

    var database: [String] { ["--database", folder.appending("directory.sqlite"), "--conversions", Self.conversions] }

    func sedgate(_ arguments: [String]) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(binary, arguments)
    }

    static let file = """
        kind,id,url,mode,country,name.el,name.de,ap,city.en,sector,function,ehic-issuer
        ap,AP-EL,https://ap-el.example:443,push,EL|DE,,,,,,,
        ci,EL:EFKA,,,,Ηλεκτρονικός Εθνικός Φορέας Κοινωνικής Ασφάλισης,,AP-EL,Athens,S|PN,CI|LB,true
        ci,DE:AOK,,,,,AOK Bayern,AP-EL,München,S,CI,false

        """

    func load() async throws {
        let path = folder.appending("directory.csv")
        try Self.file.write(toFile: path, atomically: true, encoding: .utf8)
        let imported = try await sedgate(["directory", "import"] + database + [path, "--why", "initial load"])
        #expect(imported.status == 0, "\(imported.output)")
    }

    @Test func anImportWithOneBadLineNamesItAndAppliesNothing() async throws {
        let path = folder.appending("bad.csv")
        let bad = Self.file.replacingOccurrences(of: "AOK Bayern,AP-EL,München,S", with: "AOK Bayern,AP-EL,München,XX")
        try bad.write(toFile: path, atomically: true, encoding: .utf8)
        let outcome = try await sedgate(["directory", "import"] + database + [path, "--why", "bulk"])
        #expect(outcome.status != 0)
        #expect(
            outcome.output.contains("bad.csv:4:") && outcome.output.contains("'XX' is not a code"), "\(outcome.output)")
        #expect(outcome.output.contains("nothing was imported"))
        let shown = try await sedgate(["directory", "show"] + database + ["EL:EFKA"])
        #expect(shown.status != 0, "the good lines were not applied either")
    }

    @Test func theLDIFExportLoadsIntoSlapdAndLdapsearchFindsAnInstitution() async throws {
        let slapd = "/usr/sbin/slapd"
        try #require(
            FileManager.default.isExecutableFile(atPath: slapd), "install slapd and ldap-utils (make deps)")
        try await load()
        let ldif = folder.appending("directory.ldif")
        let exported = try await sedgate(["directory", "export"] + database + ["--ldif", "--output", ldif])
        #expect(exported.status == 0, "\(exported.output)")

        let data = folder.appending("ldap")
        try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
        let configuration = folder.appending("slapd.conf")
        try """
        include /etc/ldap/schema/core.schema
        include /etc/ldap/schema/cosine.schema
        pidfile \(folder.appending("slapd.pid"))
        modulepath /usr/lib/ldap
        moduleload back_mdb
        database mdb
        suffix "dc=eessi,dc=eu"
        rootdn "cn=admin,dc=eessi,dc=eu"
        directory \(data)
        maxsize 10485760

        """.write(toFile: configuration, atomically: true, encoding: .utf8)
        let added = try await ChildProcess.run("/usr/sbin/slapadd", ["-f", configuration, "-l", ldif])
        #expect(added.status == 0, "\(added.output)")
        let port = try Topology.freePort()
        let server = try SpawnedProcess(
            executable: slapd, arguments: ["-f", configuration, "-h", "ldap://127.0.0.1:\(port)/", "-d", "0"],
            environment: nil, logPath: "/dev/null")
        // SIGKILL: the child may inherit a mask that blocks SIGTERM; the defer cannot await its exit.
        defer { kill(server.processIdentifier, SIGKILL) }
        try await Wait.until("slapd to listen on \(port)", timeout: .seconds(30)) { Topology.isListening(port: port) }
        // The Greek institution, found by its Latin form and by its name in Greek script.
        for filter in ["(o=ilektronikos ethnikos*)", "(o=Ηλεκτρονικός*)"] {
            let found = try await ChildProcess.run(
                "/usr/bin/ldapsearch",
                [
                    "-x", "-LLL", "-H", "ldap://127.0.0.1:\(port)", "-b", "ou=institutions,dc=eessi,dc=eu", filter,
                    "st", "l",
                ])
            #expect(found.status == 0, "\(found.output)")
            #expect(found.output.contains("dn: o=EL:EFKA,ou=institutions,dc=eessi,dc=eu"), "\(filter): \(found.output)")
            #expect(found.output.contains("st: EL"))
        }
    }

    @Test func thePublicCopyHasNoOperationalDataAndIsServedAsJSON() async throws {
        try await load()
        let copy = folder.appending("public.sqlite")
        let exported = try await sedgate(["directory", "export"] + database + ["--public-database", copy])
        #expect(exported.status == 0, "\(exported.output)")
        let dump = try await sedgate(
            ["directory", "export", "--database", copy, "--conversions", Self.conversions, "--format", "json"])
        #expect(dump.output.contains("AP-EL") && !dump.output.contains("https://"), "\(dump.output)")

        let port = try Topology.freePort()
        let server = try SpawnedProcess(
            executable: binary,
            arguments: [
                "directory", "serve", "--database", copy, "--conversions", Self.conversions, "--port", "\(port)",
            ],
            environment: nil, logPath: "/dev/null")
        // SIGKILL: the child may inherit a mask that blocks SIGTERM; the defer cannot await its exit.
        defer { kill(server.processIdentifier, SIGKILL) }
        try await Wait.until("the search API to listen", timeout: .seconds(30)) { Topology.isListening(port: port) }
        let reply = try await ChildProcess.run(
            "/usr/bin/curl", ["-sS", "http://127.0.0.1:\(port)/directory/search?q=ilektronikos&lang=de"])
        #expect(reply.status == 0, "\(reply.output)")
        let results = try JSONSerialization.jsonObject(with: Data(reply.output.utf8)) as? [[String: Any]]
        #expect(results?.first?["id"] as? String == "EL:EFKA", "\(reply.output)")
        #expect((results?.first?["latin"] as? String)?.hasPrefix("Ilektronikos") == true, "\(reply.output)")
        #expect(reply.output.contains("Verbindungsstelle"), "codes in the reader's language: \(reply.output)")
    }
}
