// FileNameTemplateTests: inbound file names built from envelope fields are always one safe path component.

import SedgateCore
import Spool
import Testing

@Suite("File-name templates")
struct FileNameTemplateTests {
    static func envelope(caseId: String = "CASE-1", sedType: String = "P2000") throws -> Envelope {
        try Envelope(fields: [
            .sedId: "0f8fad5b-d9cb-469f-a165-70867728950e", .sedType: sedType, .sedVersion: "4.2",
            .sector: "PE", .bucType: "P_BUC_01", .caseId: caseId, .sender: "BE:1234", .receiver: "DE:5678:OFF1",
        ])
    }

    @Test("fields are filled in and colons in addresses become dashes")
    func rendersFields() throws {
        let template = try FileNameTemplate("{receiver}_{sedType}_{sedId}.xml")
        #expect(template.render(try Self.envelope()) == "DE-5678-OFF1_P2000_0f8fad5b-d9cb-469f-a165-70867728950e.xml")
        #expect(template.fields == [.receiver, .sedType, .sedId])
    }

    @Test("an unknown field or an unbalanced brace is a configuration error naming the problem")
    func rejectsBadTemplates() {
        let unknown = #expect(throws: SedgateError.self) { try FileNameTemplate("{receiver}_{colour}.xml") }
        #expect(unknown?.code == .configuration)
        #expect(unknown?.message.contains("{colour}") == true)
        let open = #expect(throws: SedgateError.self) { try FileNameTemplate("{sedId.xml") }
        #expect(open?.code == .configuration)
    }

    @Test("path tricks in values cannot escape the folder: ../, /, backslash and newline are neutralised")
    func sanitizes() throws {
        for hostile in ["../../etc/passwd", "a/b", "..", "x\ny", "c:\\d", ".hidden"] {
            let name = try FileNameTemplate("{caseId}").render(try Self.envelope(caseId: hostile))
            #expect(!name.contains("/"), "\(hostile)")
            #expect(!name.contains("\n"), "\(hostile)")
            #expect(!name.contains("\\"), "\(hostile)")
            #expect(!name.hasPrefix("."), "\(hostile)")
            #expect(!name.isEmpty)
        }
        let literalSlash = try FileNameTemplate("{sender}/{caseId}.xml").render(try Self.envelope())
        #expect(literalSlash == "BE-1234_CASE-1.xml")
    }

    @Test("a name is never empty and at most 200 bytes, keeping its extension")
    func boundedAndNonEmpty() throws {
        #expect(try FileNameTemplate("{senderFileNo}").render(try Self.envelope()) == "unnamed")
        let long = try FileNameTemplate(String(repeating: "{caseId}", count: 10) + ".xml")
            .render(try Self.envelope(caseId: String(repeating: "x", count: 36)))
        #expect(long.utf8.count <= 200)
        #expect(long.hasSuffix(".xml"))
    }
}
