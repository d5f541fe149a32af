// DirectorySettings: a node's `[directory]` table: where its directory database is, the schema and synonyms
// (conversions/directory/), the CN certificate replication messages must be signed by, and the poll's wait.

import ConfigurationFile
import ConversionFunctions
public import Directory
import Foundation
public import SedgateCore
import Spool
public import Transport

/// The directory settings of one node.
public struct DirectorySettings: Sendable {
    /// `ap` or `cn`: the CN holds the master, an AP a replica.
    public var role: String
    public var node: NodeID
    public var tls: TLSFiles
    /// The database file (default `<spool>/var/directory.sqlite`, beside the journal).
    public var database: String
    /// The conversions folder (schema, synonyms, transliteration tables); nil when none is found.
    public var conversions: String?
    /// The CN's certificate, which signs snapshots and changes (an AP checks them against it).
    public var coordinationNodeCertificate: String
    /// Where an AP keeps the certificate it seals for, per access point, as the directory lists them.
    public var sealingCertificates: String
    /// How long the CN holds an AP's poll open when there is no change.
    public var pollWait: Duration

    init(
        _ file: ConfigFile, configurationFile: String, role: String, node: NodeID, spool: SpoolLayout, tls: TLSFiles
    ) throws(SedgateError) {
        self.role = role
        self.node = node
        self.tls = tls
        database = try file.string("directory", "database", default: spool.varDirectory + "/directory.sqlite")
        let configured = try file.string("conversions", "directory", default: "")
        conversions = try? ConversionsDirectory.find(
            configured: configured.isEmpty ? nil : configured, configurationFile: configurationFile)
        let caFolder = (tls.trustRootsPath as NSString).deletingLastPathComponent
        let cnID = role == "cn" ? "\(node)" : (try? file.string("cn", "id")) ?? "CN"
        coordinationNodeCertificate = try file.string(
            "directory", "cn-certificate", default: role == "cn" ? tls.certificatePath : "\(caFolder)/\(cnID).crt")
        sealingCertificates = spool.varDirectory + "/directory/certificates"
        let wait = try file.int("directory", "poll-wait-s", default: 20)
        guard (1...50).contains(wait) else {
            throw file.fail(
                "directory", "poll-wait-s", "is \(wait); it must be 1 to 50 (the CN's idle timeout is 60 s)")
        }
        pollWait = .seconds(wait)
    }

    /// Opens the node's directory database with the schema and search folding of the conversions folder.
    public func open() throws(SedgateError) -> DirectoryStore {
        guard let conversions else {
            throw SedgateError(
                .configuration,
                "the conversions folder (conversions/directory/schema.json) cannot be found; set [conversions] directory"
            )
        }
        let schema = try DirectorySchema.load(conversions + "/directory/schema.json")
        return try DirectoryStore(path: database, schema: schema, text: try SearchText(conversions: conversions))
    }
}
