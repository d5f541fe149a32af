// ConversionTargets: flat files as a national batch job drops them into outbound/<profile>/ (MTF and CFF, read
// with a mapping shipped in mappings/), and mapping files as an operator writes them.

import Conversion
import ConversionFunctions
import Documents
import Foundation
import SedgateCore

/// The MTF, CFF and mapping targets.
enum ConversionTargets {
    /// Fixed-width EBCDIC records read with mappings/ae-claims-1.yaml; each SED made is read back as intake does.
    static let mtf = FuzzTarget(
        name: "mtf",
        summary: "MTF flat file (IBM037, 120-byte records) with mappings/ae-claims-1.yaml, each SED re-read",
        prepare: { try flatReader("ae-claims-1.yaml", profile: .mtf) })

    /// RFC 4180 CSV read with mappings/ub-periods-1.yaml.
    static let cff = FuzzTarget(
        name: "cff",
        summary: "CFF flat file (CSV, ';') with mappings/ub-periods-1.yaml, each SED re-read",
        prepare: { try flatReader("ub-periods-1.yaml", profile: .cff) })

    /// A mapping file, loaded and checked as `sedgate mapping check` and a node's start-up do.
    static let mapping = FuzzTarget(
        name: "mapping",
        summary: "mapping YAML: Mapping.load (YAML, records, structure, bindings, functions), layout table",
        prepare: {
            let library = try FunctionLibrary.standard()
            // Mapping.load reads a path, so each input is written to this process's own file first.
            let folder = NSTemporaryDirectory() + "/sedgate-fuzz-\(ProcessInfo.processInfo.processIdentifier)"
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let path = folder + "/mapping.yaml"
            return { bytes in
                guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
                guard let mapping = try? Mapping.load(path, library: library) else { return }
                for profile in FlatProfile.allCases {
                    _ = mapping.layoutTable(profile: profile)
                }
            }
        })

    /// A reader of `profile` with the shipped mapping `name`, whose SEDs go through the reader intake uses.
    private static func flatReader(_ name: String, profile: FlatProfile) throws -> ([UInt8]) -> Void {
        let mapping = try Mapping.load(repositoryRoot + "/mappings/" + name, library: try FunctionLibrary.standard())
        let reader = FlatReader(mapping: mapping, profile: profile, source: "fuzz")
        return { bytes in
            _ = try? reader.read(bytes: bytes) { (sed) throws(SedgateError) in
                _ = try SEDReader.read(sed.bytes, source: "fuzz")
            }
        }
    }
}
