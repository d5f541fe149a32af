// ConfigurationErrorTests: a wrong configuration is refused in process with a message that names the file, the
// table and key (or the line) and what is wrong, so the operator knows what to change. (ConfigurationTests in
// EndToEndTests checks once that a node given such a file exits with code 2 and prints the message.)

import AccessPoint
import Foundation
import NodeSetup
import SedgateCore
import Testing

@Suite("Configuration errors")
struct ConfigurationErrorTests {
    /// A file, and what its error must say.
    struct Case: Sendable, CustomTestStringConvertible {
        var label: String
        var text: String
        var says: [String]
        var testDescription: String { label }

        /// The smallest access point's file with `change` applied, saying `says`.
        static func accessPoint(_ label: String, _ change: (String) -> String, says: String...) -> Case {
            Case(label: label, text: change(ConfigurationText.accessPoint), says: says)
        }

        /// The smallest coordination node's file with `change` applied, saying `says`.
        static func coordinationNode(_ label: String, _ change: (String) -> String, says: String...) -> Case {
            Case(label: label, text: change(ConfigurationText.coordinationNode), says: says)
        }
    }

    static func adding(_ text: String) -> (String) -> String { { $0 + text } }
    static func replacing(_ old: String, _ new: String) -> (String) -> String {
        { $0.replacingOccurrences(of: old, with: new) }
    }

    static let accessPointCases: [Case] = [
        .accessPoint(
            "a misspelt key is refused by name instead of silently becoming a default",
            adding("[intake]\nsettle_ms = 100\n"), says: "[intake] settle_ms is not a known setting"),
        .accessPoint(
            "a missing key is named with its table", replacing("id = \"CN\"\n", ""), says: "[cn] id is missing"),
        .accessPoint(
            "a value of the wrong kind says what kind is expected", replacing("port = 1", "port = \"1\""),
            says: "[server] port must be an integer"),
        .accessPoint(
            "a string where a string is expected, and no other kind", replacing("spool = \"/", "spool = 7 #"),
            says: "[node] spool must be a string (in quotes)"),
        .accessPoint(
            "a node id out of shape", replacing("id = \"AP-BE\"", "id = \"AP BE\""),
            says: "[node] id 'AP BE' is not a node id"),
        .accessPoint(
            "an unknown role", replacing("role = \"ap\"", "role = \"hub\""),
            says: "[node] role is 'hub'; it must be \"ap\" (access point) or \"cn\" (coordination node)"),
        .accessPoint(
            "a negative duration", adding("[intake]\nsettle-ms = -1\n"), says: "[intake] settle-ms must not be negative"
        ),
        .accessPoint(
            "a journal that forgets SEDs before they can no longer arrive",
            adding("[journal]\nkeep-days = 10\n[retry]\nlifetime-hours = 720\n"),
            says: "[journal] keep-days is 10 days, not more than the SED lifetime"),
        .accessPoint(
            "an AP's empty list of CN URLs", replacing("url = \"https://127.0.0.1:2\"", "url = []"),
            says: "[cn] url is missing"),
        .accessPoint(
            "a CN mode that is neither push nor pull",
            replacing("url = \"https://127.0.0.1:2\"", "url = \"https://127.0.0.1:2\"\nmode = \"poll\""),
            says: "[cn] mode is 'poll'; it must be \"push\" (the CN delivers) or \"pull\" (this AP polls)"),
        .accessPoint(
            "an outbound validation policy out of the three", adding("[validation]\noutbound = \"warn\"\n"),
            says: "[validation] outbound is 'warn'; it must be \"reject\", \"flag\" or \"off\""),
        .accessPoint(
            "a file-name template with a field no envelope has", adding("[inbound]\ntemplate = \"{colour}.xml\"\n"),
            says: "[inbound] template"),
        .accessPoint(
            "a negative order wait", adding("[inbound]\norder-wait-s = -5\n"),
            says: "[inbound] order-wait-s is -5; it must be 0 (no ordering) or more"),
        .accessPoint(
            "a take-up scan of 0 s", adding("[inbound]\ntakeup-scan-s = 0\n"),
            says: "[inbound] takeup-scan-s is 0; it must be 1 or more"),
        .accessPoint(
            "a route to something that is not a node id", adding("[routes]\n\"BE\" = \"AP BE\"\n"),
            says: "[routes] BE names 'AP BE', not a node id"),
        .accessPoint(
            "an inbound route to a profile that is not configured",
            adding("[inbound-routes.claims]\nto = \"profile:claims\"\n"),
            says: "[inbound-routes.claims] to names profile 'claims', which is not configured in [profiles]"),
        .accessPoint(
            "an inbound route that says nowhere", adding("[inbound-routes.claims]\nsector = \"PENSION\"\n"),
            says: "[inbound-routes.claims] to is missing: say which channel"),
        .accessPoint(
            "an inbound route with an unknown key",
            adding("[inbound-routes.claims]\nto = \"manual\"\nsectors = \"X\"\n"),
            says: "[inbound-routes.claims] sectors is not a known setting (receiver, sector, sed-type, buc, to)"),
        .accessPoint(
            "a default route that is not a channel", adding("[inbound]\ndefault-route = \"elsewhere\"\n"),
            says: "[inbound] default-route is 'elsewhere'; a channel is inbound"),
        .accessPoint(
            "an inbound batch for a profile that is not configured",
            adding("[inbound-batches.nightly]\nprofile = \"none\"\n"),
            says: "[inbound-batches.nightly] profile must name a flat-file profile configured in [profiles]"),
        .accessPoint(
            "a web-service queue token too short to be a secret",
            adding("[npap.web]\nport = 28500\ntokens = \"app:short\"\n"), says: "[npap.web] tokens must list"),
        .accessPoint(
            "a web-service queue without its port", adding("[npap.web]\ntokens = \"app:0123456789abcdef\"\n"),
            says: "[npap.web] port must be the TCP port the web-service queue listens on"),
        .accessPoint(
            "a database queue without its user", adding("[npap.database]\ndatabase = \"npap\"\n"),
            says: "[npap.database] user is missing"),
        .accessPoint(
            "a database queue polled too often",
            adding("[npap.database]\nuser = \"u\"\ndatabase = \"d\"\npoll-ms = 1\n"),
            says: "[npap.database] poll-ms must be a whole number of milliseconds, 10 or more"),
        .accessPoint(
            "a synchronous request given no time", adding("[sync]\ntimeout-s = 0\n"),
            says: "[sync] timeout-s is 0; a synchronous request must be given 1 s or more"),
        .accessPoint(
            "a directory poll longer than the CN's idle timeout", adding("[directory]\npoll-wait-s = 60\n"),
            says: "[directory] poll-wait-s is 60; it must be 1 to 50"),
        .accessPoint(
            "a server limit of 0", replacing("port = 1", "port = 1\nmax-connections = 0"),
            says: "[server] max-connections is 0; it must be 1 or more"),
        .accessPoint(
            "an archive limit of 0", adding("[batch]\nmax-ratio = 0\n"),
            says: "[batch] max-ratio is 0; it must be 1 or more"),
        .accessPoint(
            "a table that is a value", { "intake = 3\n" + $0 }, says: "[intake] must be a table ([intake])"),
        .accessPoint(
            "a configured conversions folder that does not exist is refused by its key, not replaced by another",
            adding(
                """
                [conversions]
                directory = "/nonexistent/conversions"
                [profiles.ub]
                mapping = "\(ConfigurationText.repository)/mappings/ub-periods-1.yaml"

                """), says: "[conversions] directory", "/nonexistent/conversions"),
        .accessPoint(
            "a profile whose name cannot be a folder",
            adding(
                """
                [conversions]
                directory = "\(ConfigurationText.repository)/conversions"
                [profiles."ub periods"]
                mapping = "\(ConfigurationText.repository)/mappings/ub-periods-1.yaml"

                """), says: "[profiles.ub periods] 'ub periods' cannot be a folder name in outbound/"),
        .accessPoint(
            "a profile without its mapping",
            adding(
                """
                [conversions]
                directory = "\(ConfigurationText.repository)/conversions"
                [profiles.ub]
                format = "cff"

                """), says: "[profiles.ub] mapping is missing"),
        .accessPoint(
            "a profile whose mapping does not exist",
            adding(
                """
                [conversions]
                directory = "\(ConfigurationText.repository)/conversions"
                [profiles.ub]
                mapping = "/nonexistent/ub.yaml"

                """), says: "[profiles.ub] mapping", "/nonexistent/ub.yaml"),
    ]

    @Test("an access point's file is refused with a message naming the key", arguments: accessPointCases)
    func accessPoint(_ example: Case) throws {
        let message = try ConfigurationText.error(example.text)
        for part in example.says { #expect(message.contains(part), "\(message)") }
    }

    static let coordinationNodeCases: [Case] = [
        .coordinationNode(
            "a [cluster] database that is not a postgres:// URL is refused by name",
            adding("[cluster]\ndatabase = [\"postgres://sedgate@db1/cn\", \"db2:5432\"]\n"),
            says: "[cluster] database", "'db2:5432'"),
        .coordinationNode(
            "a lease shorter than half a second is refused",
            adding("[cluster]\ndatabase = \"postgres://sedgate@db1/cn\"\nlease-ms = 100\n"),
            says: "[cluster] lease-ms is 100; it must be 500 or more"),
        .coordinationNode(
            "a misspelt [cluster] key is refused instead of silently becoming a default",
            adding("[cluster]\ndatabase = \"postgres://sedgate@db1/cn\"\nlease_ms = 900\n"),
            says: "[cluster] lease_ms is not a known setting"),
        .coordinationNode(
            "a cluster without connections",
            adding("[cluster]\ndatabase = \"postgres://sedgate@db1/cn\"\nconnections = 0\n"),
            says: "[cluster] connections is 0; it must be 1 or more"),
        .coordinationNode(
            "a statement timeout too short to answer anything",
            adding("[cluster]\ndatabase = \"postgres://sedgate@db1/cn\"\nstatement-timeout-ms = 5\n"),
            says: "[cluster] statement-timeout-ms is 5; it must be 100 or more"),
        .coordinationNode(
            "a route to an access point that is not a peer", adding("[routes]\n\"FR\" = \"AP-FR\"\n"),
            says: "[routes] FR names 'AP-FR', which is not listed in [peers]"),
        .coordinationNode(
            "a peer that is not a node id", replacing("\"AP-BE\" = ", "\"AP BE\" = "),
            says: "[peers] AP BE is not a node id"),
        .coordinationNode(
            "a peer's URL that is not a string", replacing("\"AP-BE\" = \"https://127.0.0.1:2\"", "\"AP-BE\" = 2"),
            says: "[peers] AP-BE must be a string (in quotes)"),
    ]

    @Test("a coordination node's file is refused with a message naming the key", arguments: coordinationNodeCases)
    func coordinationNode(_ example: Case) throws {
        let message = try ConfigurationText.error(example.text)
        for part in example.says { #expect(message.contains(part), "\(message)") }
    }

    @Test("a coordination node's file given to `sedgate ap` is refused with the right command to use")
    func wrongRole() throws {
        let message = try ConfigurationText.error(ConfigurationText.coordinationNode, expecting: "ap")
        #expect(message.contains("configures a coordination node; start it with `sedgate cn"), "\(message)")
        let other = try ConfigurationText.error(ConfigurationText.accessPoint, expecting: "cn")
        #expect(other.contains("configures an access point; start it with `sedgate ap"), "\(other)")
    }

    @Test("an AP's [cn] url may list several CN processes")
    func accessPointURLs() throws {
        let ap = try ConfigurationText.accessPoint(
            Self.replacing("url = \"https://127.0.0.1:2\"", "url = [\"https://127.0.0.1:2\", \"https://127.0.0.1:3\"]")(
                ConfigurationText.accessPoint))
        #expect(ap.coordinationNodeURLs == ["https://127.0.0.1:2", "https://127.0.0.1:3"])
    }

    @Test("invalid TOML is reported with its line")
    func badSyntax() throws {
        let message = try ConfigurationText.error("[node]\nid = \"AP-BE\"\nrole = \n")
        #expect(message.contains("line 3"), "\(message)")
    }

    /// Found by `make fuzz` (target toml): TOMLKit's parser aborted the node (a failed assertion in toml++) on these.
    @Test(
        "a table header that names no table is refused with its line, not a crash",
        arguments: [
            ("[#node]\n", 14), ("[[ =x]]\n", 14), ("[\nnode = 1\n", 14), ("x = \"\"\"\n[a]\n\"\"\"\r\n\t[ #x]\r\n", 17),
        ])
    func unnamedTableHeader(header: String, line: Int) throws {
        let message = try ConfigurationText.error(ConfigurationText.accessPoint + header)
        #expect(message.contains("line \(line)"), "\(message)")
        #expect(message.contains("a table header names its table"), "\(message)")
    }

    @Test("a file that cannot be read says which and where to look")
    func unreadable() {
        #expect {
            try NodeConfiguration.load("/nonexistent/node.toml")
        } throws: { error in
            "\(error)".contains(
                "cannot read the configuration file /nonexistent/node.toml; check the path given to --config")
        }
    }
}
