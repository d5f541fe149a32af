// ReportAndRejectionTests: status files in reports/ and refused files in rejected/, as batch jobs read them.

import Foundation
import Glibc
import SedgateCore
import SedgateTesting
import Spool
import Testing

@Suite("Reports and rejections")
struct ReportAndRejectionTests {
    @Test("a report is named <flat name>.<id>.<state>.json, so batch jobs can glob for the state they wait for")
    func reportNaming() {
        let delivered = Report(
            file: "pensions/claim.xml", sedId: "0f8fad5b-d9cb-469f-a165-70867728950e",
            state: .delivered, node: "AP-BE")
        #expect(
            ReportWriter.fileName(for: delivered)
                == "pensions__claim.xml.0f8fad5b-d9cb-469f-a165-70867728950e.delivered.json")
        let refused = Report(file: "claim.xml", ticket: "T42", state: .rejected, node: "AP-BE")
        #expect(ReportWriter.fileName(for: refused) == "claim.xml.T42.rejected.json")
    }

    @Test("a written report is sorted-key JSON that reads back to the same report")
    func reportWrite() throws {
        let folder = try TemporaryDirectory("reports")
        let error = SedgateError(
            .schemaViolation, "field amount is not a number", location: .init(line: 3, field: "Amount"))
        let report = Report(file: "claim.xml", ticket: "T1", state: .rejected, node: "AP-BE", error: error)
        let path = try ReportWriter(directory: folder.path).write(report)
        #expect(path == folder.appending("claim.xml.T1.rejected.json"))
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(try JSONDecoder().decode(Report.self, from: data) == report)
        let text = String(decoding: data, as: UTF8.self)
        let keys = [
            "\"at\"", "\"code\"", "\"file\"", "\"location\"", "\"node\"", "\"reason\"", "\"state\"", "\"ticket\"",
        ]
        let offsets = keys.map { text.range(of: $0)?.lowerBound }
        #expect(offsets.allSatisfy { $0 != nil })
        #expect(offsets.compactMap { $0 } == offsets.compactMap { $0 }.sorted())
        #expect(report.at.hasSuffix("Z") && report.at.contains("."))
        #expect(try names(in: folder.path) == ["claim.xml.T1.rejected.json"])
    }

    @Test(
        "a report's bytes are exactly what JSONEncoder writes (pretty, sorted keys, slashes as they are)",
        arguments: Self.encodingSamples())
    func reportBytesMatchTheEncoder(_ report: Report) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let expected = Array(try encoder.encode(report)) + [UInt8(ascii: "\n")]
        let folder = try TemporaryDirectory("encoding")
        let written = try ReportWriter(directory: folder.path).write(report)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: written))) == expected)
    }

    /// Reports with every field present and absent, every envelope field, and text that needs escaping: control
    /// characters, quotes, backslashes, slashes, non-ASCII letters and emoji.
    static func encodingSamples() -> [Report] {
        let awkward = "a \"quoted\" \\ back/slash\u{0}\u{1}\u{8}\u{9}\n\u{b}\u{c}\r\u{1f}\u{7f} Ærø ü € 𝄞 \u{2028}"
        let fields = Dictionary(
            uniqueKeysWithValues: EnvelopeField.allCases.enumerated().map { ($0.element.rawValue, "v\($0.offset)/x") })
        let location = SedgateError.Location(file: "outbound/a b.xml", line: 12, column: 7, record: 3, field: "Amount")
        return [
            Report(file: "claim.xml", state: .accepted, at: "2026-12-07T18:00:00.000Z", node: "AP-BE"),
            Report(
                file: "profile/claim.xml", sedId: "0f8fad5b-d9cb-469f-a165-70867728950e", ticket: "T1",
                state: .delivered, at: "2026-12-07T18:00:00.001Z", node: "AP-BE", envelope: fields),
            Report(
                file: awkward, ticket: awkward, state: .rejected, at: "t", node: awkward, code: "schema-violation",
                reason: awkward, location: location, envelope: ["sedId": awkward, "receiver": "", "Zeta": "z"]),
            Report(
                file: "x", state: .failed, at: "t", node: "CN", code: "c", reason: "r",
                location: .init(field: "f"), envelope: [:]),
        ]
    }

    @Test("rejecting a file moves its bytes to rejected/ beside an .error file, never overwriting an earlier one")
    func rejection() throws {
        let folder = try TemporaryDirectory("reject")
        let layout = SpoolLayout(root: folder.appending("spool"))
        try layout.create()
        let error = SedgateError(
            .schemaViolation, "record 17 field amount: 'ABC' is not a number\nfix it",
            location: .init(record: 17, field: "amount"))
        var finals: [String] = []
        for content in ["first", "second"] {
            try write(content, to: layout.intake + "/x")
            finals.append(
                try Rejection.reject(
                    layout.intake + "/x", originalName: "mtf/pay.mtf", layout: layout,
                    error: error))
        }
        #expect(finals == [layout.rejected + "/mtf__pay.mtf", layout.rejected + "/mtf__pay-1.mtf"])
        #expect(
            try names(in: layout.rejected)
                == ["mtf__pay-1.mtf", "mtf__pay-1.mtf.error", "mtf__pay.mtf", "mtf__pay.mtf.error"])
        #expect(try String(contentsOfFile: finals[1], encoding: .utf8) == "second")
        let lines = try String(contentsOfFile: finals[0] + ".error", encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 6)
        #expect(lines[0] == "file: mtf/pay.mtf")
        #expect(lines[1] == "code: schema-violation")
        #expect(lines[2] == "record: 17")
        #expect(lines[3] == "field: amount")
        #expect(lines[4] == "reason: record 17 field amount: 'ABC' is not a number fix it")
        #expect(lines[5].hasPrefix("at: "))
    }

    @Test("rejecting a symbolic link moves the link itself")
    func rejectLink() throws {
        let folder = try TemporaryDirectory("reject")
        let layout = SpoolLayout(root: folder.appending("spool"))
        try layout.create()
        try FileManager.default.createSymbolicLink(
            atPath: layout.outbound + "/evil.xml", withDestinationPath: "/etc/passwd")
        let moved = try Rejection.reject(
            layout.outbound + "/evil.xml", originalName: "evil.xml", layout: layout,
            error: SedgateError(.hostileInput, "outbound/evil.xml is a symbolic link"))
        var info = stat()
        #expect(lstat(moved, &info) == 0 && info.st_mode & S_IFMT == S_IFLNK)
        #expect(FileManager.default.fileExists(atPath: moved + ".error"))
    }
}
