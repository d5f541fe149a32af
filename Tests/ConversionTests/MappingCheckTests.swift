// MappingCheckTests: `mapping check` reports every error of a mapping in one run, each at its line: mistakes that
// used to pass the check and only showed on the first file (or never, converting data wrongly).

import Conversion
import ConversionFunctions
import Foundation
import SedgateCore
import Testing

@Suite("Mapping check finds every error")
struct MappingCheckTests {
    /// The shipped UB mapping with `changes` applied (each must match exactly once).
    static func ubVariant(_ changes: [(String, String)]) throws -> String {
        var yaml = try String(contentsOfFile: Support.mappingPath("ub-periods-1"), encoding: .utf8)
        for (old, new) in changes {
            #expect(yaml.components(separatedBy: old).count == 2, "the UB mapping should hold \(old) once")
            yaml = yaml.replacingOccurrences(of: old, with: new)
        }
        return yaml
    }

    /// The 1-based line of the first line of `yaml` that contains `marker`.
    static func line(of marker: String, in yaml: String) -> Int? {
        yaml.components(separatedBy: "\n").firstIndex { $0.contains(marker) }.map { $0 + 1 }
    }

    /// Checks `yaml` and returns its errors, expecting each to be a located configuration error.
    static func check(_ yaml: String) throws -> [SedgateError] {
        let path = try MappingTests.write(yaml)
        let errors = MappingCheck.check(path, library: Support.library)
        #expect(errors.allSatisfy { $0.code == .configuration && $0.location?.file == path })
        return errors
    }

    /// Expects an error at the line holding `marker` whose message contains every one of `phrases`.
    static func expectError(
        _ errors: [SedgateError], at marker: String, in yaml: String, _ phrases: String...,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        let line = Self.line(of: marker, in: yaml)
        #expect(line != nil, "no line holds \(marker)", sourceLocation: sourceLocation)
        let found = errors.contains { error in
            error.location?.line == line && phrases.allSatisfy { error.message.contains($0) }
        }
        let got = errors.map { "\($0.location?.line ?? 0): \($0.message)" }.joined(separator: "\n")
        #expect(
            found, "expected an error at line \(line ?? 0) (\(marker)) saying \(phrases); got:\n\(got)",
            sourceLocation: sourceLocation)
    }

    @Test("a wrong field in an envelope template is reported at its line")
    func envelopeTemplateField() throws {
        let yaml = try Self.ubVariant([("CaseId: \"{person.case-id}\"", "CaseId: \"{person.case-ref}\"")])
        let errors = try Self.check(yaml)
        Self.expectError(errors, at: "{person.case-ref}", in: yaml, "{person.case-ref}", "not a field")
    }

    @Test("an unknown code list is reported, in a codec and in read:/write: calls")
    func unknownCodeList() throws {
        let yaml = try Self.ubVariant([
            (
                "ub:Person/ub:PersonId:              {field: person-id}",
                "ub:Person/ub:PersonId:              {field: person-id, codec: list:no-such-list}"
            ),
            (
                "ub:Institution/ub:Country:          {field: sender-country}",
                "ub:Institution/ub:Country:          {field: sender-country, read: \"code:lookup(countries, .)\", write: \"code:reverse(countries, .)\"}"
            ),
        ])
        let errors = try Self.check(yaml)
        Self.expectError(errors, at: "list:no-such-list", in: yaml, "no-such-list", "code list")
        Self.expectError(errors, at: "code:lookup(countries", in: yaml, "countries", "code list")
    }

    @Test("a codec over a code list that is not invertible is reported: writing back would fail on the first SED")
    func codecNeedsInvertibleList() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sedgate-lists-\(UUID().uuidString)")
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("codelists"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(
            at: directory.appendingPathComponent("transliteration"), withIntermediateDirectories: true)
        try "# id: kinds\n# version: 1\n# invertible: no\n01\told\n02\told\n".write(
            to: directory.appendingPathComponent("codelists/kinds.tsv"), atomically: true, encoding: .utf8)
        let library = try FunctionLibrary(directory: directory.path)
        let yaml = try Self.ubVariant([
            (
                "\"@type\":                          {field: type}",
                "\"@type\":                          {field: type, codec: list:kinds}"
            )
        ])
        let errors = MappingCheck.check(try MappingTests.write(yaml), library: library)
        Self.expectError(errors, at: "list:kinds", in: yaml, "kinds", "invertible")
    }

    @Test("invalid constants are reported: too wide, too precise, negative, unwritable, not the record's key")
    func invalidConstants() throws {
        let yaml = try Self.ubVariant([
            (
                "        filler:            {pic: X(47)}",
                """
                        version:           {pic: 9(2), const: "123"}
                        scale:             {pic: 9(3)V9, const: "1.25"}
                        sign:              {pic: 9(1), const: "-1"}
                        mark:              {pic: X(1), const: "€"}
                        filler:            {pic: X(39)}
                """
            ),
            ("rec-type:          {pic: X, const: P}", "rec-type:          {pic: X, const: R}"),
        ])
        let errors = try Self.check(yaml)
        Self.expectError(errors, at: "version:           {pic", in: yaml, "'123'", "9(2)")
        Self.expectError(errors, at: "scale:             {pic", in: yaml, "'1.25'", "decimals")
        Self.expectError(errors, at: "sign:              {pic", in: yaml, "'-1'", "sign")
        Self.expectError(errors, at: "mark:              {pic", in: yaml, "'€'", "ISO-8859-1")
        Self.expectError(errors, at: "const: R}", in: yaml, "'R'", "key is 'P'")
    }

    @Test("date fields are checked: a pattern that does not fit the PIC, a bad pattern, a missing or bad pivot")
    func dateFields() throws {
        let yaml = try Self.ubVariant([
            (
                "created:           {pic: 9(8), date: yyyyMMdd}",
                "created:           {pic: 9(8), date: yyMMdd, pivot: \"1930\"}"
            ),
            (
                "birth-date:        {pic: 9(6), date: yyMMdd, pivot: \"1925\"}",
                "birth-date:        {pic: 9(6), date: yyMMdd}"
            ),
            ("from:              {pic: 9(8), date: yyyyMMdd}", "from:              {pic: 9(8), date: yyyyMMdq}"),
            (
                "to:                {pic: 9(8), date: yyyyMMdd, nulls: [\"00000000\"]}",
                "to:                {pic: 9(8), date: yyyyMMdd, pivot: \"19x5\", nulls: [\"00000000\"]}"
            ),
        ])
        let errors = try Self.check(yaml)
        Self.expectError(errors, at: "created:           {pic", in: yaml, "yyMMdd", "6", "8")
        Self.expectError(errors, at: "birth-date:        {pic", in: yaml, "pivot")
        Self.expectError(errors, at: "from:              {pic", in: yaml, "yyyyMMdq")
        Self.expectError(errors, at: "to:                {pic", in: yaml, "19x5")
    }

    @Test("a function called with the wrong number of arguments is reported")
    func functionArity() throws {
        let yaml = try Self.ubVariant([
            (
                "{field: surname, write: tr:to-latin1, one-way: true}",
                "{field: surname, write: \"tr:to-latin1(., el, strict, extra)\", one-way: true}"
            )
        ])
        let errors = try Self.check(yaml)
        Self.expectError(errors, at: "tr:to-latin1(., el, strict, extra)", in: yaml, "tr:to-latin1", "4")
    }

    @Test("all these mistakes at once: one run reports every one")
    func everyErrorInOneRun() throws {
        let yaml = try Self.ubVariant([
            ("CaseId: \"{person.case-id}\"", "CaseId: \"{person.case-ref}\""),
            (
                "ub:Person/ub:PersonId:              {field: person-id}",
                "ub:Person/ub:PersonId:              {field: person-id, codec: list:no-such-list}"
            ),
            ("rec-type:          {pic: X, const: P}", "rec-type:          {pic: X, const: R}"),
            ("from:              {pic: 9(8), date: yyyyMMdd}", "from:              {pic: 9(8), date: yyyyMMdq}"),
        ])
        let errors = try Self.check(yaml)
        Self.expectError(errors, at: "{person.case-ref}", in: yaml, "not a field")
        Self.expectError(errors, at: "list:no-such-list", in: yaml, "no-such-list")
        Self.expectError(errors, at: "const: R}", in: yaml, "'R'")
        Self.expectError(errors, at: "from:              {pic", in: yaml, "yyyyMMdq")
    }
}
