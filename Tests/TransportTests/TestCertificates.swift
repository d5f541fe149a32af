// TestCertificates: a throwaway PKI made with the openssl command in a temporary directory (CA, server, clients).

import Foundation
import Transport

/// Two CAs and certificates signed by them, as PEM files in a fresh temporary directory.
struct TestCertificates {
    let directory: URL

    /// Makes the network CA with a server (CN=CN, SAN localhost/127.0.0.1) and a client (CN=AP-A), and a rogue CA
    /// with a client also named AP-A.
    static func make() throws -> TestCertificates {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sedgate-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pki = TestCertificates(directory: directory)
        try pki.makeCA("ca")
        try pki.makeCA("rogue-ca")
        try pki.makeLeaf("server", commonName: "CN", ca: "ca", san: "DNS:localhost,IP:127.0.0.1")
        try pki.makeLeaf("client", commonName: "AP-A", ca: "ca", san: "DNS:ap-a.invalid")
        try pki.makeLeaf("rogue", commonName: "AP-A", ca: "rogue-ca", san: "DNS:ap-a.invalid")
        return pki
    }

    /// The TLS files of the leaf `name`, trusting `ca`.
    func files(_ name: String, trusting ca: String = "ca") -> TLSFiles {
        TLSFiles(
            certificatePath: path("\(name).pem"), privateKeyPath: path("\(name).key"),
            trustRootsPath: path("\(ca).pem"))
    }

    /// Removes the directory.
    func remove() {
        try? FileManager.default.removeItem(at: directory)
    }

    private func path(_ file: String) -> String {
        directory.appendingPathComponent(file).path
    }

    private func makeCA(_ name: String) throws {
        try openssl([
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "2", "-subj", "/CN=\(name) test",
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        ])
    }

    private func makeLeaf(_ name: String, commonName: String, ca: String, san: String) throws {
        try openssl([
            "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", "/CN=\(commonName)",
        ])
        let extensions = "subjectAltName=\(san)\nextendedKeyUsage=serverAuth,clientAuth\nbasicConstraints=CA:FALSE\n"
        try extensions.write(toFile: path("\(name).ext"), atomically: true, encoding: .utf8)
        try openssl([
            "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(ca).pem"), "-CAkey", path("\(ca).key"),
            "-CAcreateserial", "-out", path("\(name).pem"), "-days", "2", "-extfile", path("\(name).ext"),
        ])
    }

    private func openssl(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["openssl"] + arguments
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OpenSSLFailed(arguments: arguments, output: String(decoding: output, as: UTF8.self))
        }
    }

    struct OpenSSLFailed: Error {
        let arguments: [String]
        let output: String
    }
}
