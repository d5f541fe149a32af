// ConformanceSuite: `sedgate conformance`: drives a node (of any make, sedgate included) through the messages,
// faults and fragment cases of the protocol article (Transport.docc/Protocol.md) over real mutual TLS, presenting
// itself as a peer, and judges every answer against the article's numbered rules. Reads the key and certificate
// files it is given; writes temporary files (fragments, MTOM messages) under its temporary folder and removes them.

import Foundation
public import Logging
public import SedgateCore
public import Transport

/// What the suite tests and who it presents itself as.
public struct ConformanceOptions: Sendable {
    /// The role of the node under test.
    public enum Role: String, Sendable, Codable {
        /// A coordination node: the suite presents itself as one of its access points.
        case coordinationNode = "cn"
        /// An access point: the suite presents itself as its coordination node.
        case accessPoint = "ap"
    }

    /// The role of the node under test.
    public var role: Role
    /// Its base URL (`https://host:port`).
    public var url: String
    /// The TLS identity the suite presents (and signs hops with): an AP of the CN under test, or the CN of the AP
    /// under test. Its certificate's CN is the suite's node id.
    public var identity: TLSFiles
    /// The access point whose key seals the SEDs the suite sends (their `SendingAP`). Against a CN it must be the
    /// identity (a CN takes only what its sender sealed); against an AP, any AP of the network.
    public var sealer: TLSFiles?
    /// The certificate of the access point the SEDs are sealed for: the AP under test, or against a CN an AP its
    /// routing table serves `receiver` with.
    public var recipientCertificate: String
    /// The node id of the node under test: by default `CN` for a CN, the recipient certificate's CN for an AP.
    public var node: NodeID?
    /// The institution the SEDs come from.
    public var sender = "BE:0001"
    /// The institution the SEDs go to: one the recipient AP serves.
    public var receiver = "DK:0002"
    /// An institution no access point serves (for the CN's unknown-route case).
    public var unroutedReceiver = "IS:9999"
    /// Against a CN: the suite's AP is one the CN serves in pull mode, and it serves `sender` (the CN routes it
    /// there). The suite then also sends itself large SEDs and pulls them, fragment by fragment.
    public var pull = false
    /// Where temporary files go.
    public var temporaryDirectory = NSTemporaryDirectory()

    /// Options for testing the node at `url` in `role`.
    public init(role: Role, url: String, identity: TLSFiles, recipientCertificate: String) {
        self.role = role
        self.url = url
        self.identity = identity
        self.recipientCertificate = recipientCertificate
    }
}

/// The verdict on one rule in one case.
public struct ConformanceCheck: Sendable, Codable, Equatable {
    /// The rule's id in the protocol article (`P-FRAG-5`).
    public let rule: String
    /// What was checked, in a few words.
    public let title: String
    /// Whether the node kept the rule.
    public let passed: Bool
    /// What the rule asks for (failures only).
    public let expected: String?
    /// What the node did (failures only).
    public let got: String?

    /// A verdict; `expected` and `got` are kept for failures only.
    public init(rule: String, title: String, passed: Bool, expected: String? = nil, got: String? = nil) {
        self.rule = rule
        self.title = title
        self.passed = passed
        self.expected = passed ? nil : expected
        self.got = passed ? nil : got
    }

    /// `PASS P-FRAG-5 title`, or `FAIL P-FAULT-2 title: expected …, got …`.
    public var line: String {
        passed
            ? "PASS \(rule) \(title)" : "FAIL \(rule) \(title): expected \(expected ?? "-"), got \(got ?? "-")"
    }
}

/// Every check of one run.
public struct ConformanceReport: Sendable, Codable {
    /// The node under test, its URL and role.
    public let node: String
    public let url: String
    public let role: ConformanceOptions.Role
    /// The protocol version the suite speaks (`1.1`).
    public let protocolVersion: String
    /// The checks, in the order they ran.
    public let checks: [ConformanceCheck]

    /// A report of `checks` run against `node` at `url`.
    public init(
        node: String, url: String, role: ConformanceOptions.Role, protocolVersion: String, checks: [ConformanceCheck]
    ) {
        self.node = node
        self.url = url
        self.role = role
        self.protocolVersion = protocolVersion
        self.checks = checks
    }

    /// True when every check passed.
    public var passed: Bool { checks.allSatisfy(\.passed) }
    /// The checks that failed.
    public var failures: [ConformanceCheck] { checks.filter { !$0.passed } }

    /// One line per check, then a summary line.
    public var text: String {
        let failed = failures.count
        return
            (checks.map(\.line) + [
                "\(failed == 0 ? "PASSED" : "FAILED"): \(checks.count - failed) of \(checks.count) checks passed "
                    + "against \(role == .coordinationNode ? "the CN" : "the AP") \(node) at \(url) "
                    + "(protocol \(protocolVersion))"
            ]).joined(separator: "\n")
    }

    /// The report as JSON: the fields above, `passed`, and each check.
    public var json: String {
        struct Wire: Encodable {
            let node: String
            let url: String
            let role: ConformanceOptions.Role
            let protocolVersion: String
            let passed: Bool
            let failed: Int
            let checks: [ConformanceCheck]
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let wire = Wire(
            node: node, url: url, role: role, protocolVersion: protocolVersion, passed: passed,
            failed: failures.count, checks: checks)
        return (try? String(decoding: encoder.encode(wire), as: UTF8.self)) ?? "{}"
    }
}

/// Runs the suite.
public enum ConformanceSuite {
    /// Drives the node `options` name through every case for its role and returns the verdicts. Throws only when
    /// the suite cannot start: an unreadable key or certificate (`.configuration`).
    public static func run(
        _ options: ConformanceOptions, logger: Logger
    ) async throws(SedgateError) -> ConformanceReport {
        var session = try Session(options, logger: logger)
        switch options.role {
        case .coordinationNode: await session.coordinationNodeCases()
        case .accessPoint: await session.accessPointCases()
        }
        await session.close()
        return ConformanceReport(
            node: session.target.rawValue, url: options.url, role: options.role,
            protocolVersion: ProtocolVersion.text, checks: session.checks)
    }
}
