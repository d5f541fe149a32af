// XSLTTests: the sample migration against its golden file, extension functions inside XSLT, and the refusals
// (writing files, the network, reading outside the stylesheet's folder, DOCTYPE, runaway recursion).

import ConversionFunctions
import Foundation
import SedgateCore
import Testing

@Suite("XSLT stylesheets")
struct XSLTTests {
    /// `Tests/ConversionFunctionsTests/Fixtures`.
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
        .path

    /// Writes `body` as a stylesheet (with the usual namespaces) in a fresh folder and compiles it.
    func stylesheet(_ body: String, extraNamespaces: String = "") throws -> XSLTStylesheet {
        let directory = try temporaryDirectory()
        let path = directory + "/test.xsl"
        let text = """
            <?xml version="1.0" encoding="UTF-8"?>
            <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:dt="urn:eessi:sedgate:fn:dt" xmlns:num="urn:eessi:sedgate:fn:num"
                xmlns:code="urn:eessi:sedgate:fn:code" xmlns:re="urn:eessi:sedgate:fn:re"
                xmlns:str="urn:eessi:sedgate:fn:str" xmlns:tr="urn:eessi:sedgate:fn:tr"
                xmlns:exsl="http://exslt.org/common" \(extraNamespaces)
                extension-element-prefixes="exsl" exclude-result-prefixes="dt num code re str tr">
              <xsl:output method="xml" encoding="UTF-8" omit-xml-declaration="yes"/>
            \(body)
            </xsl:stylesheet>
            """
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return try XSLTStylesheet(path: path, library: library)
    }

    func run(
        _ sheet: XSLTStylesheet, _ input: String, parameters: [String: String] = [:]
    ) throws(SedgateError)
        -> String
    {
        String(
            decoding: try sheet.transform(Array(input.utf8), source: "test.xml", parameters: parameters), as: UTF8.self)
    }

    @Test("the P001 1.0 → 1.1 sample migration matches its golden file")
    func migrationGolden() throws {
        let sheet = try XSLTStylesheet(path: library.directory + "/xslt/P001-1.0-to-1.1.xsl", library: library)
        let input = try Data(contentsOf: URL(fileURLWithPath: Self.fixtures + "/P001-migration/input.xml"))
        let output = try sheet.transform(Array(input), source: "input.xml", parameters: ["migratedBy": "sedgate test"])
        let expectedPath = Self.fixtures + "/P001-migration/expected.xml"
        if ProcessInfo.processInfo.environment["SEDGATE_UPDATE_GOLDEN"] == "1" {
            try Data(output).write(to: URL(fileURLWithPath: expectedPath))
        }
        let expected = try Data(contentsOf: URL(fileURLWithPath: expectedPath))
        #expect(String(decoding: output, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
    }

    @Test("the migration refuses a document of another version")
    func migrationRefusesOtherVersion() throws {
        let sheet = try XSLTStylesheet(path: library.directory + "/xslt/P001-1.0-to-1.1.xsl", library: library)
        let input = try String(contentsOfFile: Self.fixtures + "/P001-migration/input.xml", encoding: .utf8)
            .replacingOccurrences(of: "<SedVersion>1.0</SedVersion>", with: "<SedVersion>1.1</SedVersion>")
        do {
            _ = try sheet.transform(Array(input.utf8), source: "claim.xml") as [UInt8]
            Issue.record("a 1.1 document was migrated again")
        } catch {
            #expect(error.code == .schemaViolation, "\(error)")
            #expect(error.message.contains("version 1.1"))
        }
    }

    @Test("extension functions work inside XPath: strings, booleans, node-set sums, code lists")
    func extensionFunctions() throws {
        let sheet = try stylesheet(
            """
            <xsl:template match="/claims">
              <out total="{num:sum(claim/@amount)}" iso="{dt:convert(@created, 'yyMMdd', 'yyyy-MM-dd', '1950')}">
                <xsl:for-each select="claim">
                  <xsl:if test="re:test(@pin, '^[0-9]{11}$')"><ok country="{code:iso3166-a2-a3(@country)}"
                    name="{tr:to-latin1(@name)}" pin="{re:replace(@pin, '^([0-9]{6}).*$', '', '$1')}"/></xsl:if>
                  <xsl:if test="not(re:test(@pin, '^[0-9]{11}$'))"><bad pin="{@pin}"/></xsl:if>
                </xsl:for-each>
                <xsl:if test="code:exists('iso3166-a2-a3', 'XX')"><wrong/></xsl:if>
              </out>
            </xsl:template>
            """)
        let output = try run(
            sheet,
            """
            <claims created="240531"><claim pin="85071512345" country="EL" amount="999999999999999.99" name="Ευάγγελος"/>
            <claim pin="12AB" country="BG" amount="0.01" name="Щерев"/></claims>
            """)
        #expect(
            output
                == #"<out total="1000000000000000.00" iso="2024-05-31"><ok country="GRC" name="Evangelos" pin="850715"/>"#
                + #"<bad pin="12AB"/></out>"# + "\n")
    }

    @Test("a failing extension function stops the transformation with its own error")
    func extensionFailure() throws {
        let sheet = try stylesheet(
            #"<xsl:template match="/d"><x><xsl:value-of select="dt:parse(., 'yyyyMMdd')"/></x></xsl:template>"#)
        #expect(try run(sheet, "<d>20240229</d>") == "<x>2024-02-29</x>\n")
        do {
            _ = try run(sheet, "<d>20230229</d>")
            Issue.record("an invalid date passed")
        } catch {
            #expect(error.code == .schemaViolation)
            #expect(error.message.contains("dt:parse") && error.message.contains("20230229"))
            #expect(error.message.contains("test.xsl"))
        }
    }

    @Test("parameters arrive as literal strings, quotes included")
    func parameters() throws {
        let sheet = try stylesheet(
            #"<xsl:param name="who"/><xsl:template match="/"><p><xsl:value-of select="$who"/></p></xsl:template>"#)
        #expect(
            try run(sheet, "<a/>", parameters: ["who": #"O'Brien "quoted" 1+1"#]) == #"<p>O'Brien "quoted" 1+1</p>"#
                + "\n")
    }

    @Test("a stylesheet that writes a file with exsl:document is refused and writes nothing")
    func writeRefused() throws {
        let target = try temporaryDirectory() + "/stolen.xml"
        let sheet = try stylesheet(
            """
            <xsl:template match="/"><exsl:document href="\(target)"><x/></exsl:document><done/></xsl:template>
            """)
        do {
            _ = try run(sheet, "<a/>")
            Issue.record("exsl:document was allowed")
        } catch {
            #expect(error.code == .hostileInput)
            #expect(error.message.contains("exsl:document"))
        }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test("a stylesheet that reads a network URL or a file outside its folder is refused")
    func readRefused() throws {
        for location in ["http://127.0.0.1:9/secret.xml", "/etc/passwd", "file:///etc/hostname"] {
            let sheet = try stylesheet(
                #"<xsl:template match="/"><r><xsl:copy-of select="document('\#(location)')"/></r></xsl:template>"#)
            do {
                let output = try run(sheet, "<a/>")
                Issue.record("document('\(location)') was allowed: \(output)")
            } catch {
                #expect(error.code == .hostileInput, "\(location): \(error)")
            }
        }
    }

    @Test("runaway recursion stops at the template depth limit")
    func recursion() throws {
        let sheet = try stylesheet(
            """
            <xsl:template name="loop"><xsl:param name="n"/><xsl:call-template name="loop">
              <xsl:with-param name="n" select="$n + 1"/></xsl:call-template></xsl:template>
            <xsl:template match="/"><xsl:call-template name="loop"><xsl:with-param name="n" select="0"/>
              </xsl:call-template></xsl:template>
            """)
        #expect(throws: SedgateError.self) { try run(sheet, "<a/>") }
    }

    @Test("stylesheets and inputs with a DOCTYPE are refused; invalid XSLT names the problem")
    func hostileStylesheets() throws {
        let directory = try temporaryDirectory()
        let path = directory + "/evil.xsl"
        try """
        <?xml version="1.0"?>
        <!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
        <xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
          <xsl:template match="/"><x>&e;</x></xsl:template>
        </xsl:stylesheet>
        """.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: SedgateError.self) { try XSLTStylesheet(path: path, library: library) }
        do {
            _ = try stylesheet(#"<xsl:template match="/"><xsl:value-of/></xsl:template>"#)
            Issue.record("invalid XSLT compiled")
        } catch let error as SedgateError {
            #expect(error.code == .configuration, "\(error)")
        }
        let sheet = try stylesheet(#"<xsl:template match="/"><x/></xsl:template>"#)
        do {
            _ = try run(sheet, #"<!DOCTYPE a [<!ENTITY b "c">]><a>&b;</a>"#)
            Issue.record("an input DOCTYPE passed")
        } catch {
            #expect(error.code == .hostileInput)
        }
    }
}
