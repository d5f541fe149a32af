// ConfigurationText: writes a node's TOML text to a fresh folder and reads it as `sedgate ap` or `sedgate cn` would,
// in process; the smallest valid files of each role, which the tests add to or change.

import AccessPoint
import CoordinationNode
import Foundation
import NodeSetup
import SedgateCore
import SedgateTesting
import Testing

enum ConfigurationText {
    /// The repository, for the mappings, rules and conversions the full files name.
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// The smallest access point's file: every required key, nothing else.
    static let accessPoint = """
        [node]
        id = "AP-BE"
        role = "ap"
        spool = "/nonexistent/never-created"
        [server]
        port = 1
        [tls]
        certificate = "/pki/a.crt"
        private-key = "/pki/a.key"
        ca = "/pki/ca.crt"
        [cn]
        id = "CN"
        url = "https://127.0.0.1:2"

        """

    /// The smallest coordination node's file: every required key and one peer.
    static let coordinationNode = """
        [node]
        id = "CN"
        role = "cn"
        spool = "/nonexistent/never-created"
        [server]
        port = 1
        [tls]
        certificate = "/pki/cn.crt"
        private-key = "/pki/cn.key"
        ca = "/pki/ca.crt"
        [peers]
        "AP-BE" = "https://127.0.0.1:2"

        """

    /// Writes `text` as `node.toml` in a fresh folder and loads it (expecting `role`, as `sedgate <role>` does).
    static func load(
        _ text: String, expecting role: String? = nil
    ) throws -> (configuration: NodeConfiguration, directory: DirectorySettings) {
        let folder = try TemporaryDirectory("node-setup")
        let path = folder.appending("node.toml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return try NodeConfiguration.loadWithDirectory(path, expecting: role)
    }

    /// The access point `text` configures; fails the test if it configures a coordination node.
    static func accessPoint(_ text: String) throws -> AccessPointConfiguration {
        guard case .accessPoint(let configuration) = try load(text).configuration else {
            throw SedgateError(.configuration, "expected an access point's configuration")
        }
        return configuration
    }

    /// The coordination node `text` configures; fails the test if it configures an access point.
    static func coordinationNode(_ text: String) throws -> CoordinationNodeConfiguration {
        guard case .coordinationNode(let configuration) = try load(text).configuration else {
            throw SedgateError(.configuration, "expected a coordination node's configuration")
        }
        return configuration
    }

    /// The error loading `text` gives, as a node prints it, after checking that it is a configuration error naming
    /// the file it was read from.
    static func error(
        _ text: String, expecting role: String? = nil, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> String {
        let folder = try TemporaryDirectory("node-setup")
        let path = folder.appending("node.toml")
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        do {
            _ = try NodeConfiguration.loadWithDirectory(path, expecting: role)
        } catch {
            #expect(error.code == .configuration, "\(error)", sourceLocation: sourceLocation)
            #expect("\(error)".contains(path), "\(error)", sourceLocation: sourceLocation)
            return "\(error)"
        }
        Issue.record("the file was accepted:\n\(text)", sourceLocation: sourceLocation)
        return ""
    }
}
