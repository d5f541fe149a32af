// Support: paths to the repository's mappings and fixtures, the shared function library, and golden-file helpers.

import Conversion
import ConversionFunctions
import Foundation
import SedgateCore
import Testing

/// Locations and helpers shared by the conversion tests.
enum Support {
    /// The repository root, found from this file's path.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var fixtures: String { root + "/Tests/ConversionTests/Fixtures" }

    static func mappingPath(_ name: String) -> String { root + "/mappings/\(name).yaml" }

    static let library: FunctionLibrary = {
        try! FunctionLibrary(directory: root + "/conversions")
    }()

    static func mapping(_ name: String) throws -> Mapping {
        try Mapping.load(mappingPath(name), library: library)
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Reads a flat file into its SED documents.
    static func read(
        _ mapping: Mapping, _ profile: FlatProfile, _ bytes: [UInt8], source: String = "input.mtf"
    ) throws -> [[UInt8]] {
        var seds: [[UInt8]] = []
        _ = try FlatReader(mapping: mapping, profile: profile, source: source).read(bytes: bytes) {
            (sed: ConvertedSED) throws(SedgateError) in
            seds.append(sed.bytes)
        }
        return seds
    }

    /// Compares documents with the golden files in `directory` (0001.xml, ...); with SEDGATE_UPDATE_GOLDEN=1 set,
    /// rewrites them instead.
    static func expectGolden(_ documents: [[UInt8]], in directory: String, extension ext: String = "xml") throws {
        let manager = FileManager.default
        if ProcessInfo.processInfo.environment["SEDGATE_UPDATE_GOLDEN"] == "1" {
            try? manager.removeItem(atPath: directory)
            try manager.createDirectory(atPath: directory, withIntermediateDirectories: true)
            for (index, document) in documents.enumerated() {
                let name = String(format: "%04d.%@", index + 1, ext)
                try Data(document).write(to: URL(fileURLWithPath: directory + "/" + name))
            }
            return
        }
        let names = try manager.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix("." + ext) }.sorted()
        #expect(names.count == documents.count, "number of documents in \(directory)")
        for (name, document) in zip(names, documents) {
            let expected = try bytes(directory + "/" + name)
            #expect(
                String(decoding: document, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                "\(directory)/\(name)")
        }
    }

    /// The error a throwing call gives, or nil.
    static func error(_ body: () throws -> Void) -> SedgateError? {
        do {
            try body()
            return nil
        } catch let error as SedgateError {
            return error
        } catch {
            return SedgateError(.io, "unexpected \(error)")
        }
    }
}
