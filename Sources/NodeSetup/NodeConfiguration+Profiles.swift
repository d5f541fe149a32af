// NodeConfiguration+Profiles: an access point's `[profiles.<name>]`: each names the folder of outbound/ whose flat
// files it converts, the mapping that converts them (loaded here, with the function library of `[conversions]`), the
// flat format, the SED types written back as flat files on arrival, and its own validation policy.

import AccessPoint
import ConfigurationFile
import Conversion
import ConversionFunctions
import Documents
import Foundation
import SedgateCore

extension NodeConfiguration {
    /// The profiles of `file` (at `path`), each with its mapping loaded; none without a `[profiles]` table.
    static func profiles(_ file: ConfigFile, path: String) throws(SedgateError) -> [String: ConversionProfile] {
        let profileTables = try file.subtables("profiles")
        let conversions = try file.string("conversions", "directory", default: "")
        guard !profileTables.isEmpty else { return [:] }
        let library: FunctionLibrary
        do {
            library = try FunctionLibrary.standard(
                configured: conversions.isEmpty ? nil : conversions, configurationFile: path)
        } catch {
            if conversions.isEmpty { throw error }
            throw file.fail("conversions", "directory", error.message)
        }
        var profiles: [String: ConversionProfile] = [:]
        for (name, values) in profileTables {
            let table = "profiles.\(name)"
            let plain =
                !name.isEmpty && name.utf8.count <= 64
                && name.unicodeScalars.allSatisfy {
                    $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" || $0 == "_")
                }
            guard plain else {
                throw file.fail(
                    table, nil, "'\(name)' cannot be a folder name in outbound/; use letters, digits, - and _")
            }
            for key in values.keys where !["mapping", "format", "inbound-types", "validation"].contains(key) {
                throw file.fail(table, key, "is not a known setting (mapping, format, inbound-types, validation)")
            }
            var profilePolicy: ValidationPolicy?
            if let text = values["validation"] {
                guard let parsed = ValidationPolicy(rawValue: text) else {
                    throw file.fail(table, "validation", "is '\(text)'; it must be \"reject\", \"flag\" or \"off\"")
                }
                profilePolicy = parsed
            }
            let inboundTypes = Set(
                (values["inbound-types"] ?? "").split(separator: ",").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                .filter { !$0.isEmpty })
            guard let path = values["mapping"] else { throw file.fail(table, "mapping", "is missing") }
            guard let format = FlatProfile(rawValue: values["format"] ?? "mtf") else {
                throw file.fail(table, "format", "must be \"mtf\" or \"cff\"")
            }
            do {
                profiles[name] = ConversionProfile(
                    mapping: try Mapping.load(path, library: library), format: format, inboundTypes: inboundTypes,
                    validation: profilePolicy)
            } catch {
                throw file.fail(table, "mapping", error.description)
            }
        }
        return profiles
    }
}
