// FragmentInboxTests: fragments kept ahead of their manifest, then checked against it the way the CN checks them
// before it takes a large SED: a missing fragment and one altered by a single byte are refused, naming them.

import Foundation
import Packaging
import SedgateCore
import SedgateTesting
import Testing

@Suite("Fragment inbox")
struct FragmentInboxTests {
    /// A 300 KB payload split into 64 KiB encrypted fragments, and an inbox holding all of them.
    static func filled(_ folder: TemporaryDirectory) throws -> (FragmentManifest, FragmentInbox, [Data]) {
        let original = folder.appending("payload.bin")
        try TestBytes.writeRandomFile(original, size: 300_000, seed: 7)
        let outgoing = folder.appending("out")
        try FileManager.default.createDirectory(atPath: outgoing, withIntermediateDirectories: false)
        let key = FragmentCipher.makeKey()
        let id = "0e7b2c4a-9f31-4d58-a6b2-7c1d9e3f5a80"
        let manifest = try Fragmenter.split(file: original, fragmentSize: 64 << 10, payloadID: id, into: outgoing) {
            index, plain in try FragmentCipher.seal(index: index, plaintext: plain, key: key, payloadID: id)
        }
        let inbox = FragmentInbox(root: folder.appending("store"))
        var sent: [Data] = []
        for index in 0..<manifest.fragmentCount {
            let data = try TestBytes.contents(outgoing + "/" + manifest.fileName(ofFragment: index))
            try inbox.accept(payloadID: id, index: index, data: data)
            sent.append(data)
        }
        return (manifest, inbox, sent)
    }

    @Test("fragments kept before their manifest verify against it, and are forgotten on request")
    func keepsAndVerifies() throws {
        let folder = try TemporaryDirectory("inbox")
        let (manifest, inbox, sent) = try Self.filled(folder)
        #expect(manifest.fragmentCount == 5)
        #expect(inbox.holds(manifest.payloadID))
        try inbox.verify(manifest)
        // Sent again (a resumed transfer): kept once, still verifies.
        try inbox.accept(payloadID: manifest.payloadID, index: 2, data: sent[2])
        try inbox.verify(manifest)
        inbox.remove(manifest.payloadID)
        #expect(!inbox.holds(manifest.payloadID))
    }

    @Test("one byte changed in a kept fragment is refused as not the one the sender signed, naming it")
    func alteredFragment() throws {
        let folder = try TemporaryDirectory("inbox-altered")
        let (manifest, inbox, sent) = try Self.filled(folder)
        var altered = sent[3]
        altered[100] ^= 0x01
        try inbox.accept(payloadID: manifest.payloadID, index: 3, data: altered)
        let error = #expect(throws: SedgateError.self) { try inbox.verify(manifest) }
        #expect(error?.code == .signatureInvalid)
        #expect(
            error?.message.contains("fragment 3 of payload \(manifest.payloadID)") == true,
            "\(String(describing: error))")
    }

    @Test("a missing fragment is refused, naming the first one missing")
    func missingFragment() throws {
        let folder = try TemporaryDirectory("inbox-missing")
        let (manifest, inbox, _) = try Self.filled(folder)
        try FileManager.default.removeItem(
            atPath: inbox.directory(for: manifest.payloadID) + "/" + manifest.fileName(ofFragment: 1))
        let error = #expect(throws: SedgateError.self) { try inbox.verify(manifest) }
        #expect(error?.message.contains("first: 1") == true, "\(String(describing: error))")
    }

    @Test("a payload id that could leave the store is refused")
    func hostilePayloadID() throws {
        let folder = try TemporaryDirectory("inbox-hostile")
        let inbox = FragmentInbox(root: folder.appending("store"))
        #expect(throws: SedgateError.self) { try inbox.accept(payloadID: "../../etc", index: 0, data: Data([1])) }
        #expect(!FileManager.default.fileExists(atPath: folder.appending("etc")))
    }
}
