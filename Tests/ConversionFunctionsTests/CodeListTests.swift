// CodeListTests: look-ups both ways, EESSI aliases, unknown codes, defaults, and refused list files.

import ConversionFunctions
import Foundation
import SedgateCore
import Testing

@Suite("code: functions and code-list files")
struct CodeListTests {
    @Test("ISO 3166 alpha-2, alpha-3 and numeric, with EESSI's UK and EL")
    func iso3166() throws {
        #expect(try call("code:iso3166-a2-a3", "AT") == "AUT")
        #expect(try call("code:iso3166-a2-a3", "UK") == "GBR")
        #expect(try call("code:iso3166-a2-a3", "GB") == "GBR")
        #expect(try call("code:iso3166-a2-a3", "EL") == "GRC")
        #expect(try call("code:iso3166-a3-a2", "GBR") == "GB")
        #expect(try call("code:iso3166-a3-a2", "DEU") == "DE")
        #expect(try call("code:iso3166-a2-num", "AT") == "040")
        #expect(try call("code:reverse", "iso3166-a2-num", "756") == "CH")
        for country in [
            "AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE", "IT",
            "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE", "IS", "LI", "NO", "CH", "GB",
        ] {
            #expect(try call("code:exists", "iso3166-a2-a3", country) == "true")
            #expect(try call("code:exists", "country-vehicle", country) == "true", "no vehicle sign for \(country)")
        }
    }

    @Test("UN distinguishing signs both ways")
    func vehicle() throws {
        #expect(try call("code:country-to-vehicle", "AT") == "A")
        #expect(try call("code:country-to-vehicle", "DE") == "D")
        #expect(try call("code:country-to-vehicle", "ES") == "E")
        #expect(try call("code:country-to-vehicle", "IT") == "I")
        #expect(try call("code:country-to-vehicle", "UK") == "UK")
        #expect(try call("code:vehicle-to-country", "SLO") == "SI")
        #expect(try call("code:vehicle-to-country", "UK") == "GB")
        #expect(try call("code:vehicle-to-country", "GR") == "GR")
    }

    @Test("an unknown code is refused unless a default is given; versions are reported")
    func unknown() throws {
        let error = try #require(failure("code:lookup", "iso3166-a2-a3", "XX"))
        #expect(error.code == .schemaViolation)
        #expect(error.message.contains("'XX'") && error.message.contains("iso3166-a2-a3"))
        #expect(try call("code:lookup", "iso3166-a2-a3", "XX", "???") == "???")
        #expect(try call("code:reverse", "iso3166-a2-a3", "XXX", "") == "")
        #expect(try call("code:exists", "iso3166-a2-a3", "at") == "false")
        #expect(try call("code:list-version", "iso3166-a2-a3").contains("4.15"))
        #expect(failure("code:lookup", "iso3166-a2-a4", "AT")?.message.contains("iso3166-a2-a3") == true)
    }

    @Test("a list with a duplicate key is refused, naming file and line")
    func duplicateKey() throws {
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/codelists", withIntermediateDirectories: true)
        let path = directory + "/codelists/benefit.tsv"
        try "# id: benefit\n# version: 1\n# invertible: yes\nA\tOLD-AGE\nB\tSURVIVOR\nA\tINVALIDITY\n"
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: SedgateError.self) { try FunctionLibrary(directory: directory) }
        do {
            _ = try FunctionLibrary(directory: directory)
        } catch {
            #expect(error.code == .configuration)
            #expect(error.location?.file == path && error.location?.line == 6)
            #expect(error.message.contains("line 4"))
        }
    }

    @Test("an invertible list with a duplicate value is refused; a one-way list reads forwards only")
    func duplicateValue() throws {
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/codelists", withIntermediateDirectories: true)
        let path = directory + "/codelists/status.tsv"
        try "# id: status\n# version: 2\n# invertible: yes\n01\tACTIVE\n02\tACTIVE\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try FunctionLibrary(directory: directory)
            Issue.record("a duplicate value in an invertible list was accepted")
        } catch {
            #expect(error.location?.line == 5 && error.message.contains("alias"))
        }
        try "# id: status\n# version: 2\n# invertible: no\n01\tACTIVE\n02\tACTIVE\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        let oneWay = try FunctionLibrary(directory: directory)
        #expect(try oneWay.call("code:lookup", ["status", "02"]) == "ACTIVE")
        #expect(throws: SedgateError.self) { try oneWay.call("code:reverse", ["status", "ACTIVE"]) }
    }
}
