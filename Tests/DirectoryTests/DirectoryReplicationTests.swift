// DirectoryReplicationTests: the CN's master and an AP's replica over real mutual TLS on 127.0.0.1: a snapshot, then
// changes by serial; a message not signed by the CN is refused and the copy stays at its serial; an AP's signed
// change applies for its own country only, and a refused one is logged as an attempt.

import Directory
import Foundation
import Logging
import SedgateCore
import SedgateTesting
import Testing
import Transport

/// Answers nothing but the directory's routes.
struct NoMessages: MessageHandler {
    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        message.replying(with: Fault(code: .refused, reason: "directory test", isSenderFault: true))
    }
}

@Suite(.serialized, .timeLimit(.minutes(2)))
struct DirectoryReplicationTests {
    let logger = Logger(label: "test")

    func tls(_ pki: String, _ node: String) -> TLSFiles {
        TLSFiles(
            certificatePath: "\(pki)/\(node).crt", privateKeyPath: "\(pki)/\(node).key", trustRootsPath: "\(pki)/ca.crt"
        )
    }

    @Test func aReplicaFollowsTheMasterAndRefusesAnUnsignedCopy() async throws {
        let folder = try TemporaryDirectory("directory-replication")
        let pki = folder.appending("pki")
        try PKI.copyShared(into: pki, nodes: ["CN", "AP-FR", "AP-DE"])
        let master = try DirectoryFixture()
        let replica = try DirectoryFixture()
        var fr = DirectoryFixture.accessPoint("AP-FR", countries: ["FR"])
        fr.fields["certificate"] = [try String(contentsOfFile: "\(pki)/AP-FR.crt", encoding: .utf8)]
        try master.store.apply(
            [
                .set(fr), .set(DirectoryFixture.accessPoint("AP-DE", countries: ["DE"])),
                .set(DirectoryFixture.institution("FR:CPAM", ap: "AP-FR", names: ["fr": "CPAM"])),
            ], who: "op", why: "load")
        let key = try #require(FileManager.default.contents(atPath: "\(pki)/CN.key"))
        let server = try ProtocolServer(
            host: "127.0.0.1", port: 0, tls: tls(pki, "CN"), handler: NoMessages(), logger: logger,
            extensions: [DirectoryMaster(store: master.store, node: NodeID("CN")!, keyPEM: key, logger: logger)])
        let client = try ProtocolClient(tls: tls(pki, "AP-FR"), logger: logger)
        // The client is shut down on every path: one dropped without shutdown traps, taking every other test down.
        do {
            try await exchange(pki: pki, master: master, replica: replica, server: server, client: client)
        } catch {
            await client.shutdown()
            throw error
        }
        await client.shutdown()
    }

    func exchange(
        pki: String, master: DirectoryFixture, replica: DirectoryFixture, server: ProtocolServer, client: ProtocolClient
    ) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            defer { group.cancelAll() }
            let port = try #require(await server.listeningPort())
            let url = "https://127.0.0.1:\(port)"
            let good = DirectoryReplica(
                store: replica.store, client: client, coordinationNodeURL: url, signerCertificate: "\(pki)/CN.crt",
                logger: logger)
            try await good.synchronise()
            #expect(try replica.store.serial() == master.store.serial())
            #expect(try replica.store.entry("FR:CPAM") == master.store.entry("FR:CPAM"))

            // Changes by serial.
            try master.store.apply(
                [.set(DirectoryFixture.institution("FR:CAF", ap: "AP-FR", names: ["fr": "CAF"]))], who: "op", why: "t")
            try await good.synchronise()
            #expect(try replica.store.entry("FR:CAF") != nil)

            // Not signed by the CN's certificate: refused, the copy stays at its serial.
            let before = try replica.store.serial()
            try master.store.apply(
                [.set(DirectoryFixture.institution("FR:URSSAF", ap: "AP-FR", names: ["fr": "URSSAF"]))], who: "op",
                why: "t")
            let forged = DirectoryReplica(
                store: replica.store, client: client, coordinationNodeURL: url, signerCertificate: "\(pki)/AP-DE.crt",
                logger: logger)
            let error = await #expect(throws: SedgateError.self) { try await forged.synchronise() }
            #expect(error?.code == .signatureInvalid)
            #expect(try replica.store.serial() == before)
            #expect(try replica.store.entry("FR:URSSAF") == nil)

            // An AP's own signed change applies; another country's is refused and logged.
            let frKey = try #require(FileManager.default.contents(atPath: "\(pki)/AP-FR.key"))
            let proposer = DirectoryClient(
                client: client, node: NodeID("AP-FR")!, keyPEM: frKey, coordinationNodeURL: url)
            let serial = try await proposer.propose(
                [.set(DirectoryFixture.institution("FR:MSA", ap: "AP-FR", names: ["fr": "MSA"]))], why: "new")
            #expect(try master.store.entry("FR:MSA") != nil)
            #expect(try master.store.history("FR:MSA").first?.who == "AP-FR")
            #expect(serial == (try master.store.serial()))
            let refused = await #expect(throws: SedgateError.self) {
                try await proposer.propose(
                    [.set(DirectoryFixture.institution("DE:AOK", ap: "AP-DE", names: ["de": "AOK"]))], why: "evil")
            }
            #expect(refused?.code == .unauthorized)
            #expect(try master.store.entry("DE:AOK") == nil)
            #expect(try master.store.refusals().first?.id == "DE:AOK")
            // Signed with another key than the directory lists for AP-FR: refused.
            let deKey = try #require(FileManager.default.contents(atPath: "\(pki)/AP-DE.key"))
            let impostor = DirectoryClient(
                client: client, node: NodeID("AP-FR")!, keyPEM: deKey, coordinationNodeURL: url)
            await #expect(throws: SedgateError.self) {
                try await impostor.propose(
                    [.set(DirectoryFixture.institution("FR:FAKE", ap: "AP-FR", names: ["fr": "x"]))], why: "x")
            }
            #expect(try master.store.entry("FR:FAKE") == nil)
        }
    }
}
