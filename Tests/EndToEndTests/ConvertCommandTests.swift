// ConvertCommandTests: `sedgate convert` and `sedgate mapping check` as an administrator runs them, through the
// built binary and a shell: output names that a glob keeps in unit order, a byte-exact round trip through
// `out/*.xml`, a folder or a list of SEDs in unit order, refusals that leave --out untouched, and the conversions/
// folder found from an installed binary.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

@Suite("The convert and mapping commands")
struct ConvertCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path
    static let mapping = repository + "/mappings/ub-periods-1.yaml"

    /// A UB periods file (Latin-1, 80-byte records, LF) with one header and `persons` persons without periods.
    static func ubFile(persons: Int, prefix: String = "DE-U") -> [UInt8] {
        func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: width - text.count) }
        var lines = [pad("HDE" + pad("0042", 10) + "AT" + pad("0007", 10) + "20250301", 80)]
        for number in 1...persons {
            let digits = String(number).leftPadded(6)
            lines.append(
                pad(
                    "P" + pad("\(prefix)-\(digits)", 12) + pad("ID\(digits)", 16) + pad("Person\(number)", 25)
                        + pad("Given", 15) + "890312", 80))
        }
        lines.append(pad("T" + String(persons).leftPadded(6) + "0000000" + "+" + String(repeating: "0", count: 15), 80))
        return Array(lines.map { $0 + "\n" }.joined().utf8)
    }

    /// Runs `sedgate` with `arguments` in `directory`.
    static func sedgate(_ arguments: [String], in directory: String) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(try SedgateBinary.path(), arguments, directory: directory)
    }

    /// Runs a shell command line in `directory`, with `$SEDGATE` set to the binary.
    static func shell(_ line: String, in directory: String) async throws -> ChildProcess.Outcome {
        var environment = ProcessInfo.processInfo.environment
        environment["SEDGATE"] = try SedgateBinary.path()
        return try await ChildProcess.run("/bin/sh", ["-c", line], environment: environment, directory: directory)
    }

    static func files(_ directory: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).sorted()
    }

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: path))) }

    @Test("to xml, units are numbered with zero-padding wide enough for the file, so a glob keeps unit order")
    func zeroPaddedNames() async throws {
        let directory = try TemporaryDirectory("convert-names")
        try Data(Self.ubFile(persons: 12)).write(to: URL(fileURLWithPath: directory.appending("claims.mtf")))
        let outcome = try await Self.sedgate(
            ["convert", "--mapping", Self.mapping, "--to", "xml", "--out", "out", "claims.mtf"], in: directory.path)
        #expect(outcome.status == 0, "\(outcome.output)")
        let names = Self.files(directory.appending("out"))
        #expect(names == (1...12).map { "claims-" + String($0).leftPadded(2) + ".xml" }, "\(names)")
        for (index, name) in names.enumerated() {
            let text = try String(contentsOfFile: directory.appending("out/" + name), encoding: .utf8)
            #expect(text.contains("<CaseId>DE-U-" + String(index + 1).leftPadded(6) + "</CaseId>"), "\(name)")
        }
    }

    @Test("flat → xml → flat through out/*.xml in a shell gives the same bytes, and so do a folder and a list")
    func roundTripThroughGlob() async throws {
        let directory = try TemporaryDirectory("convert-glob")
        let original = Self.ubFile(persons: 12)
        try Data(original).write(to: URL(fileURLWithPath: directory.appending("claims.mtf")))
        let map = Self.mapping
        let toXML = try await Self.shell(
            "\"$SEDGATE\" convert --mapping \(map) --to xml --out out claims.mtf", in: directory.path)
        #expect(toXML.status == 0, "\(toXML.output)")

        let glob = try await Self.shell(
            "\"$SEDGATE\" convert --mapping \(map) --to flat --out glob.mtf out/*.xml", in: directory.path)
        #expect(glob.status == 0, "\(glob.output)")
        #expect(try Self.bytes(directory.appending("glob.mtf")) == original, "through out/*.xml")

        let folder = try await Self.sedgate(
            ["convert", "--mapping", map, "--to", "flat", "--out", "folder.mtf", "out"], in: directory.path)
        #expect(folder.status == 0, "\(folder.output)")
        #expect((try? Self.bytes(directory.appending("folder.mtf"))) == original, "through the folder out")

        let list = Self.files(directory.appending("out")).map { "out/" + $0 + "\n" }.joined()
        try list.write(toFile: directory.appending("list.txt"), atomically: true, encoding: .utf8)
        let listed = try await Self.sedgate(
            ["convert", "--mapping", map, "--to", "flat", "--out", "list.mtf", "--list", "list.txt"],
            in: directory.path)
        #expect(listed.status == 0, "\(listed.output)")
        #expect((try? Self.bytes(directory.appending("list.mtf"))) == original, "through --list list.txt")

        let piped = try await Self.shell(
            "ls out/*.xml | \"$SEDGATE\" convert --mapping \(map) --to flat --out stdin.mtf --list -",
            in: directory.path)
        #expect(piped.status == 0, "\(piped.output)")
        #expect((try? Self.bytes(directory.appending("stdin.mtf"))) == original, "through --list -")
    }

    @Test("a folder of SEDs named without zero-padding (x-2.xml, x-10.xml) is still read in unit order")
    func folderInNumericOrder() async throws {
        let directory = try TemporaryDirectory("convert-folder")
        let original = Self.ubFile(persons: 11)
        try Data(original).write(to: URL(fileURLWithPath: directory.appending("x.mtf")))
        let toXML = try await Self.sedgate(
            ["convert", "--mapping", Self.mapping, "--to", "xml", "--out", "out", "x.mtf"], in: directory.path)
        #expect(toXML.status == 0, "\(toXML.output)")
        let legacy = directory.appending("legacy")
        try FileManager.default.createDirectory(atPath: legacy, withIntermediateDirectories: true)
        for (index, name) in Self.files(directory.appending("out")).enumerated() {
            try FileManager.default.copyItem(
                atPath: directory.appending("out/" + name), toPath: legacy + "/x-\(index + 1).xml")
        }
        let back = try await Self.sedgate(
            ["convert", "--mapping", Self.mapping, "--to", "flat", "--out", "back.mtf", "legacy"], in: directory.path)
        #expect(back.status == 0, "\(back.output)")
        #expect((try? Self.bytes(directory.appending("back.mtf"))) == original)
    }

    @Test("to xml refuses two inputs with one base name, naming both, and writes nothing")
    func sameBaseName() async throws {
        let directory = try TemporaryDirectory("convert-base")
        for folder in ["a", "b"] {
            try FileManager.default.createDirectory(
                atPath: directory.appending(folder), withIntermediateDirectories: true)
            try Data(Self.ubFile(persons: 2, prefix: folder.uppercased())).write(
                to: URL(fileURLWithPath: directory.appending(folder + "/claims.mtf")))
        }
        let outcome = try await Self.sedgate(
            ["convert", "--mapping", Self.mapping, "--to", "xml", "--out", "out", "a/claims.mtf", "b/claims.mtf"],
            in: directory.path)
        #expect(outcome.status != 0)
        #expect(outcome.output.contains("a/claims.mtf") && outcome.output.contains("b/claims.mtf"), "\(outcome.output)")
        #expect(Self.files(directory.appending("out")).isEmpty, "nothing written")
    }

    @Test("to xml refuses an --out holding an earlier run's files (overwritten or left stale); --replace replaces them")
    func staleOutputs() async throws {
        let directory = try TemporaryDirectory("convert-stale")
        let input = directory.appending("claims.mtf")
        try Data(Self.ubFile(persons: 12)).write(to: URL(fileURLWithPath: input))
        let arguments = ["convert", "--mapping", Self.mapping, "--to", "xml", "--out", "out", "claims.mtf"]
        #expect(try await Self.sedgate(arguments, in: directory.path).status == 0)
        try "keep me".write(toFile: directory.appending("out/notes.txt"), atomically: true, encoding: .utf8)
        let before = Self.files(directory.appending("out"))
        let firstBytes = try Self.bytes(directory.appending("out/claims-01.xml"))

        // The same file, now with 3 units: 9 of the 12 files would be left behind.
        try Data(Self.ubFile(persons: 3, prefix: "NEW")).write(to: URL(fileURLWithPath: input))
        let refused = try await Self.sedgate(arguments, in: directory.path)
        #expect(refused.status != 0)
        #expect(refused.output.contains("claims-01.xml") && refused.output.contains("--replace"), "\(refused.output)")
        #expect(Self.files(directory.appending("out")) == before, "nothing changed in --out")
        #expect(try Self.bytes(directory.appending("out/claims-01.xml")) == firstBytes)

        let replaced = try await Self.sedgate(arguments + ["--replace"], in: directory.path)
        #expect(replaced.status == 0, "\(replaced.output)")
        #expect(
            Self.files(directory.appending("out")) == ["claims-1.xml", "claims-2.xml", "claims-3.xml", "notes.txt"])
        let text = try String(contentsOfFile: directory.appending("out/claims-1.xml"), encoding: .utf8)
        #expect(text.contains("<CaseId>NEW-000001</CaseId>"), "\(text)")
    }

    @Test("an installed binary finds conversions/ in <prefix>/share/sedgate, whatever the working directory")
    func installedConversions() async throws {
        let directory = try TemporaryDirectory("convert-installed")
        let prefix = directory.appending("opt/sedgate")
        let manager = FileManager.default
        try manager.createDirectory(atPath: prefix + "/bin", withIntermediateDirectories: true)
        try manager.createDirectory(atPath: prefix + "/share/sedgate", withIntermediateDirectories: true)
        let built = try SedgateBinary.path()
        try manager.copyItem(atPath: built, toPath: prefix + "/bin/sedgate")
        let buildFolder = (built as NSString).deletingLastPathComponent
        for bundle in Self.files(buildFolder) where bundle.hasSuffix(".resources") {
            try manager.copyItem(atPath: buildFolder + "/" + bundle, toPath: prefix + "/bin/" + bundle)
        }
        let installed = prefix + "/share/sedgate/conversions"
        try manager.copyItem(atPath: Self.repository + "/conversions", toPath: installed)
        // A code list only the installed folder has: the conversion below needs it.
        try "# id: site-kinds\n# version: 1\n# invertible: yes\n01\tfull-time\n02\tpart-time\n".write(
            toFile: installed + "/codelists/site-kinds.tsv", atomically: true, encoding: .utf8)
        let work = directory.appending("work")
        try manager.createDirectory(atPath: work, withIntermediateDirectories: true)
        let yaml = try String(contentsOfFile: Self.mapping, encoding: .utf8).replacingOccurrences(
            of: "\"@type\":                          {field: type}",
            with: "\"@type\":                          {field: type, codec: list:site-kinds}")
        try yaml.write(toFile: work + "/site.yaml", atomically: true, encoding: .utf8)
        try manager.copyItem(atPath: Self.repository + "/mappings/examples/ub-periods.mtf", toPath: work + "/ub.mtf")
        var environment = ProcessInfo.processInfo.environment
        environment["SEDGATE_CONVERSIONS"] = nil

        let converted = try await ChildProcess.run(
            prefix + "/bin/sedgate", ["convert", "--mapping", "site.yaml", "--to", "xml", "--out", "out", "ub.mtf"],
            environment: environment, directory: work)
        #expect(converted.status == 0, "\(converted.output)")
        let first = (try? String(contentsOfFile: work + "/out/ub-1.xml", encoding: .utf8)) ?? ""
        #expect(first.contains("type=\"full-time\""), "the installed code list was used: \(first)")

        // Without the share folder (and none in the working directory), the error names every place it looked.
        try manager.removeItem(atPath: installed)
        let missing = try await ChildProcess.run(
            prefix + "/bin/sedgate", ["mapping", "check", "site.yaml"], environment: environment, directory: work)
        #expect(missing.status != 0)
        #expect(missing.output.contains(installed), "\(missing.output)")
        #expect(missing.output.contains(work + "/conversions"), "\(missing.output)")
        #expect(missing.output.contains("SEDGATE_CONVERSIONS"), "\(missing.output)")
    }
}

extension String {
    /// The text padded on the left with zeros to `width`.
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
