// Samples: finds the sample SEDs in etc/samples/ (relative to this file) and builds small SEDs for tests.

import Foundation

/// Test helpers for sample files and hand-written SEDs.
enum Samples {
    /// The repository's `etc/samples/` folder.
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("etc/samples")
    }

    /// The names of every `*.xml` file in `etc/samples/`, sorted.
    static func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".xml") }.sorted()
    }

    /// The bytes of one sample file.
    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    /// A minimal valid SED whose envelope holds `fields` (XML text, default namespace) and a small content.
    static func sed(envelope fields: String, content: String = "<x:Claim xmlns:x=\"urn:x\">data</x:Claim>") -> [UInt8] {
        Array(
            """
            <?xml version="1.0" encoding="UTF-8"?>
            <SED xmlns="urn:eessi:sedgate:sed:1">
              <Envelope>\(fields)</Envelope>
              <Content>\(content)</Content>
            </SED>
            """.utf8)
    }

    /// The required envelope fields, valid, as XML text in the default namespace.
    static let requiredFields = """
        <SedType>P001</SedType><SedVersion>1.0</SedVersion><Sector>PE</Sector><BucType>P_BUC_01</BucType>
        <CaseId>6f1c2a3e-8b4d-4c7a-9e21-0d5b7f3a9c10</CaseId><Sender>BE:0001</Sender><Receiver>DK:0002</Receiver>
        """
}
