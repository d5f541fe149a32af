// ConversionCommands: `sedgate convert`, `sedgate mapping check | layout`: flat files ⇄ SED XML with an
// administrator's mapping, offline.

public import ArgumentParser
import CommandSupport
import Conversion
import ConversionFunctions
import Foundation
import SedgateCore
import Spool

extension FlatProfile: ExpressibleByArgument {}

/// `sedgate convert --mapping M --to xml|flat ...`.
struct ConvertCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convert",
        abstract: "Convert flat files (MTF or CFF) to SED XML files, or SED XML files to one flat file.",
        discussion: """
            To XML: each input flat file becomes one SED file per unit of the mapping, written to --out (a folder) \
            as <input>-<n>.xml, n zero-padded to the width of the file's unit count (claims-001.xml … \
            claims-250.xml), so `ls` and a shell glob list them in unit order. A file with any bad record gives no \
            output at all. Inputs sharing a base name, and an --out already holding SED files of the same base name \
            (an earlier run's), are refused before anything is written; --replace replaces such earlier files.
            To flat: SED files become one flat file at --out, in this order: the arguments as given, a folder \
            argument's *.xml files in unit order (digits compared as numbers: x-2.xml before x-10.xml), then the \
            paths of --list (one a line; - reads standard input) as listed. Use a folder or --list for more \
            than a few thousand SEDs: they have no argument-length limit (ARG_MAX), and the argument parser takes \
            time quadratic in the number of arguments (10,000 take over a minute).
            """)
    @Option(help: "The mapping file (mappings/*.yaml).")
    var mapping: String
    @Option(help: "The flat format: mtf (fixed positions) or cff (the common flat file format).")
    var format: FlatProfile = .mtf
    @Option(help: "The direction: xml or flat.")
    var to: String
    @Option(help: "Output: a folder (to xml) or a file (to flat).")
    var out: String
    @Option(help: "To flat: a file listing SED files, one path a line, in order ('-' for standard input).")
    var list: String?
    @Flag(help: "To xml: replace the SED files an earlier conversion of the same input left in --out.")
    var replace = false
    @Argument(help: "Input files (to flat, also folders of SED files).")
    var inputs: [String] = []

    func run() async throws {
        let (mapping, _) = try loadMapping(mapping)
        switch to {
        case "xml":
            guard list == nil else {
                throw ValidationError("--list applies to --to flat; give flat files as arguments")
            }
            guard !inputs.isEmpty else { throw ValidationError("give the flat files to convert") }
            let writer = SEDFolderWriter(mapping: mapping, profile: format, folder: out, replace: replace)
            let earlier = try exitOnError { () throws(SedgateError) in try writer.plan(inputs) }
            for input in inputs {
                do {
                    let base = SEDFolderWriter.base(of: input)
                    let summary = try writer.convert(input, replacing: earlier[base] ?? [])
                    let replaced = earlier[base].map { ", replacing \($0.count) earlier files" } ?? ""
                    print("\(input): \(summary.records) records → \(summary.seds) SEDs in \(out)/\(replaced)")
                } catch {
                    // The file is bad as a whole (a control total is only known at its end): no partial output.
                    printError("sedgate: \(error)")
                    throw ExitCode(1)
                }
            }
        case "flat":
            guard replace == false else { throw ValidationError("--replace applies to --to xml") }
            let paths = try exitOnError { () throws(SedgateError) in try sedFiles() }
            guard !paths.isEmpty else {
                throw ValidationError("no SED files: give files or folders as arguments, or --list FILE")
            }
            let summary = try exitOnError { () throws(SedgateError) in
                try FlatWriter(mapping: mapping, profile: format).write(sedFiles: paths, to: out) {
                    (path) throws(SedgateError) in try SpoolFile.read(path, maxBytes: 64 << 20)
                }
            }
            print("\(summary.seds) SEDs → \(summary.records) records, \(summary.bytesWritten) bytes in \(out)")
        default:
            throw ValidationError("--to must be xml or flat, not '\(to)'")
        }
    }

    /// The SED files to write, in order: arguments (a folder's files in unit order), then the --list.
    private func sedFiles() throws(SedgateError) -> [String] {
        var paths: [String] = []
        for input in inputs {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: input, isDirectory: &isDirectory), isDirectory.boolValue {
                paths += try SEDFileList.folder(input)
            } else {
                paths.append(input)
            }
        }
        if let list { paths += try SEDFileList.list(list) }
        return paths
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
