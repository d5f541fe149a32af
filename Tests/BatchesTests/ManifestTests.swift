// ManifestTests: the batch manifest's text format: sha256sum lines, bare names, envelope defaults, and the
// mistakes a producer can make, each refused with its line.

import Batches
import SedgateCore
import Testing

@Suite("Batch manifests")
struct ManifestTests {
    @Test("sha256sum lines, bare names and default envelope fields are read in order")
    func reads() throws {
        let text = """
            # nightly claims
            Sender = BE:1000
            Receiver = DK:2000 # the liaison body

            \(String(repeating: "ab", count: 32))  claim-1.xml
            \(String(repeating: "CD", count: 32)) *claim-2.xml
            claim-3.xml\r
            """
        let manifest = try BatchManifest(bytes: Array(text.utf8), source: "outbound/n.manifest")
        #expect(manifest.files.map(\.name) == ["claim-1.xml", "claim-2.xml", "claim-3.xml"])
        #expect(
            manifest.files.map(\.sha256) == [
                String(repeating: "ab", count: 32), String(repeating: "cd", count: 32), nil,
            ])
        #expect(manifest.defaults == [.sender: "BE:1000", .receiver: "DK:2000"])
    }

    @Test(
        "an unknown or reserved field, a short checksum, a path, a dot-file, a repeated name or an empty list is refused with its line",
        arguments: [
            ("Recever = DK:1", 1, "not an envelope field"),
            ("SedId = 1", 1, "set by the access point"),
            ("a.xml\n\(String(repeating: "a", count: 40)) b.xml", 2, "not 64 hex digits"),
            ("../a.xml", 1, "has a `/`"),
            (".a.xml", 1, "starts with a dot"),
            ("a.xml\nb.xml\na.xml", 3, "listed twice"),
            ("# nothing", nil, "lists no file"),
        ] as [(String, Int?, String)])
    func refuses(text: String, line: Int?, words: String) {
        #expect {
            _ = try BatchManifest(bytes: Array(text.utf8), source: "outbound/x.manifest")
        } throws: { error in
            guard let error = error as? SedgateError else { return false }
            return error.message.contains(words) && error.location?.line == line && error.code == .unsupportedInput
        }
    }
}
