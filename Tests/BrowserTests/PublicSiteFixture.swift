// PublicSiteFixture: a real `sedgate directory serve --site` on loopback, over the public copy of a directory
// imported from Fixtures/directory.csv (import into a master, `export --public-database`, serve the copy), as an
// operator would run it; and plain HTTP requests to it.

import AsyncHTTPClient
import Foundation
import Glibc
import NIOCore
import NIOHTTP1
import SedgateCore
import SedgateTesting

/// One site process for one test.
final class PublicSiteFixture: Sendable {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let conversions = repository + "/conversions"
    static let csv = repository + "/Tests/BrowserTests/Fixtures/directory.csv"

    let folder: TemporaryDirectory
    let port: Int
    let process: SpawnedProcess
    var base: String { "http://127.0.0.1:\(port)" }

    /// Imports the fixture, exports its public copy, and serves the site on a free port until it answers.
    init(label: String) async throws {
        let binary = try SedgateBinary.path()
        folder = try TemporaryDirectory(label)
        let master = ["--database", folder.appending("master.sqlite"), "--conversions", Self.conversions]
        let imported = try await ChildProcess.run(
            binary, ["directory", "import"] + master + [Self.csv, "--why", "browser test fixture"])
        guard imported.status == 0 else { throw SedgateError(.io, "import failed: \(imported.output)") }
        let copy = folder.appending("public.sqlite")
        let exported = try await ChildProcess.run(
            binary, ["directory", "export"] + master + ["--public-database", copy])
        guard exported.status == 0 else { throw SedgateError(.io, "export failed: \(exported.output)") }
        port = try Topology.freePort()
        process = try SpawnedProcess(
            executable: binary,
            arguments: [
                "directory", "serve", "--database", copy, "--conversions", Self.conversions, "--site",
                "--port", "\(port)",
            ],
            environment: nil, logPath: folder.appending("site.log"))
        let port = self.port
        let process = self.process
        let log = folder.appending("site.log")
        try await Wait.until("the public site to listen on \(port)", timeout: .seconds(60)) {
            guard process.isRunning else {
                throw SedgateError(.io, "the site exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
            }
            return Topology.isListening(port: port)
        }
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
        _ = process.isRunning
    }

    /// A GET of `path` (no redirects followed): status, headers, body.
    func get(
        _ path: String, headers: [(String, String)] = []
    ) async throws -> (
        status: Int, headers: HTTPHeaders, body: String
    ) {
        var request = HTTPClientRequest(url: base + path)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let client = HTTPClient(
            eventLoopGroupProvider: .singleton, configuration: .init(redirectConfiguration: .disallow))
        do {
            let response = try await client.execute(request, timeout: .seconds(60))
            let body = try await response.body.collect(upTo: 64 << 20)
            try await client.shutdown()
            return (Int(response.status.code), response.headers, String(buffer: body))
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}
