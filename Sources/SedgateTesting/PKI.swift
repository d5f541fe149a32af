// PKI: makes a demo certificate authority and one certificate per node with the `openssl` command.
// Writes `<directory>/ca.crt`, `ca.key`, and `<NODE>.crt`, `<NODE>.key` for each node. Keys are made at
// set-up and never committed.

import Foundation
public import SedgateCore
import Synchronization

/// A throw-away public-key infrastructure for demos and tests.
public enum PKI {
    /// Creates the CA (unless it exists) and a certificate for each node that has none yet.
    /// Node certificates carry CN=<node id> (the identity the CN checks) and SAN localhost/127.0.0.1.
    public static func generate(in directory: String, nodes: [String]) throws(SedgateError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw SedgateError(.io, "cannot create \(directory) for the demo certificates", cause: error)
        }
        let ca = directory + "/ca"
        if !FileManager.default.fileExists(atPath: ca + ".crt") {
            try openssl([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca + ".key", "-out", ca + ".crt",
                "-days", "3650", "-subj", "/CN=sedgate demo CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        }
        let extensions = directory + "/node.ext"
        do {
            try Data(
                """
                basicConstraints=CA:FALSE
                keyUsage=critical,digitalSignature,keyEncipherment
                extendedKeyUsage=serverAuth,clientAuth
                subjectAltName=DNS:localhost,IP:127.0.0.1

                """.utf8
            ).write(to: URL(fileURLWithPath: extensions))
        } catch {
            throw SedgateError(.io, "cannot write \(extensions)", cause: error)
        }
        for node in nodes where !FileManager.default.fileExists(atPath: "\(directory)/\(node).crt") {
            let base = "\(directory)/\(node)"
            try openssl([
                "req", "-newkey", "rsa:2048", "-nodes", "-keyout", base + ".key", "-out", base + ".csr", "-subj",
                "/CN=\(node)",
            ])
            try openssl([
                "x509", "-req", "-in", base + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
                "-out", base + ".crt", "-days", "825", "-sha256", "-extfile", extensions,
            ])
            try? FileManager.default.removeItem(atPath: base + ".csr")
        }
    }

    /// Adds to the PKI in `directory` (made by `generate`) a node `node` with an EC P-256 key instead of RSA:
    /// `<node>.key` and `<node>.crt`, issued by the same CA (for ECDSA signatures).
    public static func generateEC(in directory: String, node: String) throws(SedgateError) {
        let base = "\(directory)/\(node)"
        let ca = directory + "/ca"
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", base + ".key",
            "-out", base + ".csr", "-subj", "/CN=\(node)",
        ])
        try openssl([
            "x509", "-req", "-in", base + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key", "-CAcreateserial",
            "-out", base + ".crt", "-days", "825", "-sha256", "-extfile", directory + "/node.ext",
        ])
        try? FileManager.default.removeItem(atPath: base + ".csr")
    }

    /// Gives `directory` the CA and node certificates of one PKI shared by the whole process, made once.
    ///
    /// Key generation blocks a thread for a second or more; a test process that starts many topologies
    /// pays for it once instead of once per topology, and never holds its threads up for long.
    public static func copyShared(into directory: String, nodes: [String]) throws(SedgateError) {
        try shared.withLock { (source: inout String?) throws(SedgateError) in
            let cache: String
            if let source {
                cache = source
            } else {
                cache = FileManager.default.temporaryDirectory.path + "/sedgate-pki-\(getpid())-\(UUID().uuidString)"
                source = cache
            }
            try generate(in: cache, nodes: nodes)
            do {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for name in ["ca.crt", "ca.key"] + nodes.flatMap({ ["\($0).crt", "\($0).key"] }) {
                    let target = "\(directory)/\(name)"
                    if !FileManager.default.fileExists(atPath: target) {
                        try FileManager.default.copyItem(atPath: "\(cache)/\(name)", toPath: target)
                    }
                }
            } catch {
                throw SedgateError(.io, "cannot copy the demo certificates into \(directory)", cause: error)
            }
        }
    }

    /// Where the process-wide PKI lives, once made.
    private static let shared = Mutex<String?>(nil)

    private static func openssl(_ arguments: [String]) throws(SedgateError) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw SedgateError(.configuration, "cannot run openssl; install it (apt-get install openssl)", cause: error)
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw SedgateError(
                .configuration, "openssl \(arguments.first ?? "") failed: \(String(decoding: output, as: UTF8.self))")
        }
    }
}
