// SEDValidatorTests: the shipped rules in etc/validation pass the four samples and catch a broken variant of each;
// content XSD failures are located; missing and broken rule folders; the report and policy; concurrent use.

import Documents
import Foundation
import SedgateCore
import Testing

/// The repository's `etc/validation/` folder.
private let rulesDirectory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("etc/validation").path

/// The shipped rules, compiled once for all tests in this file.
private let shipped = Result { () throws(SedgateError) -> SEDValidator in
    try SEDValidator(rulesDirectory: rulesDirectory)
}

/// A sample SED with `replacements` applied to its text, read as `name`.
private func sample(_ name: String, _ replacements: [(String, String)] = []) throws -> SEDDocument {
    var text = String(decoding: try Samples.bytes(name), as: UTF8.self)
    for (old, new) in replacements {
        #expect(text.contains(old), "\(name) should contain \(old)")
        text = text.replacingOccurrences(of: old, with: new)
    }
    return try SEDReader.read(Array(text.utf8), source: name)
}

@Test("the four samples pass the shipped rules without errors, with their own rules applied")
func samplesPass() throws {
    let validator = try shipped.get()
    let expected = [
        "pensions-P001-claim.xml": "P001/1.0/p001-claim.sch",
        "sickness-S001-entitlement-request.xml": "S001/1.0/s001-entitlement.sch",
        "unemployment-U011-insurance-record-request.xml": "U011/1.0/u011-insurance-record.sch",
        "family-F001-data-request.xml": "F001/1.0/f001-data-request.sch",
    ]
    for (name, rules) in expected {
        let report = validator.validate(try sample(name))
        #expect(report.isValid, "\(name):\n\(report.text())")
        #expect(report.errors.isEmpty)
        #expect(report.rulesApplied.contains(rules), "\(report.rulesApplied)")
        #expect(report.rulesApplied.contains("default/sed-content.sch"))
        #expect(report.rulesApplied.contains { $0.hasSuffix(".xsd") })
        #expect(report.firstError() == nil)
    }
}

@Test("the P001 sample only draws the warning that no insurance period is listed")
func p001Warning() throws {
    let report = try shipped.get().validate(try sample("pensions-P001-claim.xml"))
    #expect(report.warnings.map(\.ruleID) == ["P001-06"])
    #expect(report.warnings.first?.path == "/SED/Content/pe:PensionClaim")
}

/// A broken variant of each sample and the rule id and path of the error it must draw.
private let brokenVariants: [(sample: String, change: (String, String), ruleID: String, path: String)] = [
    (
        "pensions-P001-claim.xml", ("<pe:BirthDate>15071958<", "<pe:BirthDate>1958-07-15<"), "P001-01",
        "/SED/Content/pe:PensionClaim/pe:Person/pe:BirthDate"
    ),
    (
        "pensions-P001-claim.xml", ("<pe:IBAN>BE68539007547034<", "<pe:IBAN>be68 5390 0754<"), "P001-08",
        "/SED/Content/pe:PensionClaim/pe:BankAccount/pe:IBAN"
    ),
    (
        "sickness-S001-entitlement-request.xml", ("<si:EhicExpiry>2029-03-31<", "<si:EhicExpiry>2026-03-31<"),
        "S001-07", "/sed:SED/sed:Content/si:EntitlementCheckRequest/si:EhicExpiry"
    ),
    (
        "unemployment-U011-insurance-record-request.xml", ("<To>2026-09-30</To>", "<To>2022-09-30</To>"), "U011-04",
        "/SED/Content/InsuranceRecordRequest/ReferencePeriod"
    ),
    (
        "family-F001-data-request.xml", ("<fb:BirthDate>03082020<", "<fb:BirthDate>03081980<"), "F001-02",
        "/SED/Content/fb:DataRequest/fb:Children/fb:Child[2]/fb:BirthDate"
    ),
    (
        "family-F001-data-request.xml", ("<fb:Sex>M</fb:Sex>", "<fb:Sex>male</fb:Sex>"), "F001-04",
        "/SED/Content/fb:DataRequest/fb:Spouse/fb:Sex"
    ),
]

@Test("a broken variant of each sample is rejected with the expected finding, path and line")
func brokenVariantsRejected() throws {
    let validator = try shipped.get()
    for variant in brokenVariants {
        let document = try sample(variant.sample, [variant.change])
        let report = validator.validate(document)
        #expect(!report.isValid, "\(variant.ruleID) should fail")
        let finding = try #require(report.errors.first, "\(variant.ruleID)")
        #expect(report.errors.count == 1, "\(report.text())")
        #expect(finding.ruleID == variant.ruleID, "\(report.text())")
        #expect(finding.path == variant.path)
        let lines = String(decoding: document.bytes, as: UTF8.self).split(
            separator: "\n", omittingEmptySubsequences: false)
        let elementName = String(variant.path.split(separator: "/").last!.split(separator: "[").first!)
        #expect(lines[finding.line! - 1].contains("<\(elementName)"), "line \(finding.line!) of \(variant.sample)")
        let error = try #require(report.firstError())
        #expect(error.code == .schemaViolation)
        #expect(error.location?.file == variant.sample)
        #expect(error.location?.field == variant.path)
        #expect(error.location?.line == finding.line)
        #expect(error.message.contains(variant.ruleID))
    }
}

@Test("a content XSD violation names the element path and line, and the envelope is not validated again")
func contentSchemaViolation() throws {
    let document = try sample(
        "pensions-P001-claim.xml", [("<pe:PensionType>old-age<", "<pe:PensionType>early<")])
    let report = try shipped.get().validate(document)
    let finding = try #require(report.errors.first)
    #expect(report.errors.count == 1, "\(report.text())")
    #expect(finding.ruleFile == "P001/1.0/p001-claim.xsd")
    #expect(finding.path == "/SED/Content/pe:PensionClaim/pe:PensionType")
    #expect(finding.line == 31)
    #expect(finding.message.contains("early"))
    #expect(report.text().hasPrefix("/SED/Content/pe:PensionClaim/pe:PensionType line 31 error: "))
}

@Test("a missing content element is reported by the XSD even with prefixes on the envelope")
func missingElement() throws {
    let document = try sample(
        "sickness-S001-entitlement-request.xml",
        [("<si:TreatmentDate>2026-11-22</si:TreatmentDate>", "")])
    let report = try shipped.get().validate(document)
    let finding = try #require(report.errors.first)
    #expect(finding.ruleFile == "S001/1.0/s001-entitlement.xsd")
    #expect(finding.path == "/sed:SED/sed:Content/si:EntitlementCheckRequest/si:BenefitKind")
    #expect(finding.message.contains("TreatmentDate"))
}

@Test("a SED type and version without rules is valid with an info finding; default rules still apply")
func noRules() throws {
    let document = try sample("pensions-P001-claim.xml", [("<SedVersion>1.0<", "<SedVersion>4.2<")])
    let report = try shipped.get().validate(document)
    #expect(report.isValid)
    #expect(report.infos.map(\.message).first?.hasPrefix("no rules for P001 4.2") == true)
    #expect(report.rulesApplied == ["default/sed-content.sch"])
}

@Test("a SED type that tries to climb out of the rules directory is treated as having no rules")
func traversalRefused() throws {
    let document = try sample("pensions-P001-claim.xml", [("<SedType>P001<", "<SedType>..<")])
    let report = try shipped.get().validate(document)
    #expect(report.infos.first?.message.hasPrefix("no rules for .. 1.0") == true)
}

@Test("default rules catch content that belongs to another sector")
func sectorMismatch() throws {
    let document = try sample("pensions-P001-claim.xml", [("<Sector>PE<", "<Sector>SI<")])
    let report = try shipped.get().validate(document)
    #expect(report.errors.map(\.ruleID) == ["GW-C02"])
    #expect(report.warnings.map(\.ruleID).contains("GW-C03"))
}

@Test("a missing rules directory and a broken rule file stop the validator at start-up, naming the file")
func brokenRulesRefusedAtInit() throws {
    #expect(throws: SedgateError.self) { try SEDValidator(rulesDirectory: "/nonexistent/validation") }
    let directory = try temporaryRules([
        "P001/1.0/ok.sch": #"<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"/>"#,
        "P001/1.1/bad.sch": """
        <sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron">
          <sch:pattern><sch:rule context="//"><sch:assert test="1">x</sch:assert></sch:rule></sch:pattern>
        </sch:schema>
        """,
    ])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    do {
        _ = try SEDValidator(rulesDirectory: directory)
        Issue.record("a bad rule file should stop the validator")
    } catch {
        #expect(error.code == .configuration)
        #expect(error.location?.file == directory + "/P001/1.1/bad.sch")
        #expect(error.location?.line == 2)
    }
}

@Test("a rule folder added after start-up is used for the next SED of that type; reload() re-reads changes")
func rulesAddedLater() throws {
    let directory = try temporaryRules([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let validator = try SEDValidator(rulesDirectory: directory)
    let document = try sample("pensions-P001-claim.xml")
    #expect(validator.validate(document).infos.count == 1)
    try write(
        """
        <sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron">
          <sch:ns prefix="pe" uri="urn:eessi:sedgate:sed:pe:1"/>
          <sch:pattern><sch:rule context="pe:Sex"><sch:assert test=". = 'M'">men only</sch:assert></sch:rule>
          </sch:pattern>
        </sch:schema>
        """, to: directory + "/P001/1.0/new.sch")
    #expect(validator.validate(document).errors.map(\.message) == ["men only"])
    try write(
        #"<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron"/>"#, to: directory + "/P001/1.0/new.sch")
    #expect(validator.validate(document).errors.count == 1, "cached until reload")
    try validator.reload()
    #expect(validator.validate(document).isValid)
}

@Test("a broken folder added after start-up gives a configuration error finding, not a crash")
func brokenFolderAddedLater() throws {
    let directory = try temporaryRules([:])
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let validator = try SEDValidator(rulesDirectory: directory)
    try write("<sch:schema", to: directory + "/P001/1.0/broken.sch")
    let report = validator.validate(try sample("pensions-P001-claim.xml"))
    let error = try #require(report.firstError())
    #expect(error.code == .configuration)
    #expect(report.errors.first?.ruleFile == directory + "/P001/1.0/broken.sch")
}

@Test("the reject policy refuses an invalid SED; flag and off let it through")
func policies() throws {
    let report = try shipped.get().validate(
        try sample("pensions-P001-claim.xml", [("<pe:Sex>F<", "<pe:Sex>W<")]))
    #expect(ValidationPolicy.reject.refusal(for: report)?.code == .schemaViolation)
    #expect(ValidationPolicy.flag.refusal(for: report) == nil)
    #expect(ValidationPolicy.flag.validates)
    #expect(!ValidationPolicy.off.validates)
    #expect(ValidationPolicy(rawValue: "reject") == .reject)
}

@Test("one validator serves many concurrent validations of different SEDs with the right answers")
func validatorUnderConcurrentLoad() async throws {
    let validator = try shipped.get()
    let good = try Samples.names().map { try sample($0) }
    let bad = try brokenVariants.map { try sample($0.sample, [$0.change]) }
    let results = await withTaskGroup(of: (Bool, Bool).self) { group in
        for round in 0..<200 {
            let document = round % 2 == 0 ? good[round % good.count] : bad[round % bad.count]
            group.addTask { (round % 2 == 0, validator.validate(document).isValid) }
        }
        return await group.reduce(into: [(Bool, Bool)]()) { $0.append($1) }
    }
    #expect(results.count == 200)
    #expect(results.allSatisfy { $0.0 == $0.1 })
}

/// A fresh temporary rules directory holding `files` (relative path → text).
private func temporaryRules(_ files: [String: String]) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rules-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    for (path, text) in files { try write(text, to: directory + "/" + path) }
    return directory
}

private func write(_ text: String, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}
