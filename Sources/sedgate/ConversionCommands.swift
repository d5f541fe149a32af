// ConversionCommands: `sedgate convert`, `sedgate mapping check | layout`: flat files ⇄ SED XML with an
// administrator's mapping, offline.

public import ArgumentParser
import Conversion
import ConversionFunctions
import Foundation
import SedgateCore
import Spool

extension FlatProfile: ExpressibleByArgument {}

/// Loads the function library and a mapping, turning errors into clean messages.
func loadMapping(_ path: String) throws -> (Mapping, FunctionLibrary) {
    let library = try exitOnError { () throws(SedgateError) in try FunctionLibrary.standard() }
    let mapping = try exitOnError { () throws(SedgateError) in try Mapping.load(path, library: library) }
    return (mapping, library)
}

/// `sedgate convert --mapping M --to xml|flat ...`.
struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert flat files (MTF or CFF) to SED XML files, or SED XML files to one flat file.",
        discussion: """
            To XML: each input flat file becomes one SED file per unit of the mapping, written to --out (a folder)
            as <input>-<n>.xml; a file with any bad record gives no output at all.
            To flat: the SED files, in the order given, become one flat file at --out.
            """)
    @Option(help: "The mapping file (mappings/*.yaml).")
    var mapping: String
    @Option(help: "The flat format: mtf (fixed positions) or cff (the common flat file format).")
    var format: FlatProfile = .mtf
    @Option(help: "The direction: xml or flat.")
    var to: String
    @Option(help: "Output: a folder (to xml) or a file (to flat).")
    var out: String
    @Argument(help: "Input files.")
    var inputs: [String]

    func run() async throws {
        let (mapping, _) = try loadMapping(mapping)
        switch to {
        case "xml":
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for input in inputs {
                let stem = URL(fileURLWithPath: input).deletingPathExtension().lastPathComponent
                var written: [String] = []
                do {
                    let summary = try FlatReader(mapping: mapping, profile: format, source: input).read(path: input) {
                        (sed) throws(SedgateError) in
                        let target = "\(out)/\(stem)-\(written.count + 1).xml"
                        try SpoolFile.writeAtomically(sed.bytes, to: target, durable: false)
                        written.append(target)
                    }
                    print("\(input): \(summary.records) records → \(summary.seds) SEDs in \(out)/")
                } catch {
                    // The file is bad as a whole (a control total is only known at its end): no partial output.
                    for path in written { try? FileManager.default.removeItem(atPath: path) }
                    printError("sedgate: \(error)")
                    throw ExitCode(1)
                }
            }
        case "flat":
            let summary = try exitOnError { () throws(SedgateError) in
                let documents = try inputs.map { (path) throws(SedgateError) in
                    try SpoolFile.read(path, maxBytes: 64 << 20)
                }
                return try FlatWriter(mapping: mapping, profile: format).write(seds: documents, to: out)
            }
            print("\(inputs.count) SEDs → \(summary.records) records, \(summary.bytesWritten) bytes in \(out)")
        default:
            throw ValidationError("--to must be xml or flat, not '\(to)'")
        }
    }
}

/// `sedgate mapping check | layout`.
struct MappingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mapping", abstract: "Check a mapping, or print its record layouts.",
        subcommands: [Check.self, Layout.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Report every error in mapping files, with line numbers.")
        @Argument(help: "Mapping files.")
        var mappings: [String]

        func run() async throws {
            let library = try exitOnError { () throws(SedgateError) in try FunctionLibrary.standard() }
            var failed = false
            for path in mappings {
                let errors = MappingCheck.check(path, library: library)
                if errors.isEmpty {
                    print("\(path): ok")
                } else {
                    failed = true
                    for error in errors { print("\(path): \(error)") }
                }
            }
            if failed { throw ExitCode(1) }
        }
    }

    struct Layout: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print each record's fields with offsets and lengths, to check against a legacy spec.")
        @Option(help: "The flat format: mtf or cff.")
        var format: FlatProfile = .mtf
        @Argument(help: "The mapping file.")
        var mapping: String

        func run() async throws {
            let (loaded, _) = try loadMapping(mapping)
            print(loaded.layoutTable(profile: format))
        }
    }
}
