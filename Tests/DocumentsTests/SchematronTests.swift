// SchematronTests: each supported Schematron feature (assert, report, let, value-of, name, first matching rule,
// roles) and the path and line findings carry.

import Documents
import SedgateCore
import Testing

/// Rules wrapped in an ISO `sch:schema` with the `c` prefix bound to `urn:c`.
private func schema(_ body: String) -> [UInt8] {
    Array(
        """
        <sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt">
          <sch:ns prefix="c" uri="urn:c"/>
          \(body)
        </sch:schema>
        """.utf8)
}

/// A small claim document; line numbers matter to the tests (Claim is on line 2, the first Period on line 4).
private let claim = """
    <?xml version="1.0"?>
    <c:Claim xmlns:c="urn:c" country="BE">
      <c:Periods>
        <c:Period><c:From>2001-01-01</c:From><c:To>2004-12-31</c:To></c:Period>
        <c:Period><c:From>2010-05-01</c:From><c:To>2009-01-31</c:To></c:Period>
      </c:Periods>
      <c:Sex>X</c:Sex>
    </c:Claim>
    """

private func findings(_ rules: String, on document: String = claim) throws -> [ValidationReport.Finding] {
    let schematron = try Schematron(bytes: schema(rules), source: "rules/test.sch")
    let tree = try XMLTree.parse(Array(document.utf8), source: "claim.xml")
    return schematron.validate(tree)
}

@Test("an assert fires when its test is false and names the element path, line, pattern and rule")
func assertFires() throws {
    let found = try findings(
        """
        <sch:pattern id="sex">
          <sch:rule context="c:Sex">
            <sch:assert id="S-1" test=". = 'M' or . = 'F'">Sex must be M or F</sch:assert>
          </sch:rule>
        </sch:pattern>
        """)
    #expect(found.count == 1)
    let finding = try #require(found.first)
    #expect(finding.severity == .error)
    #expect(finding.message == "Sex must be M or F")
    #expect(finding.path == "/c:Claim/c:Sex")
    #expect(finding.line == 7)
    #expect(finding.pattern == "sex")
    #expect(finding.ruleContext == "c:Sex")
    #expect(finding.ruleID == "S-1")
    #expect(finding.ruleFile == "rules/test.sch")
    #expect(finding.ruleLine == 5)
    #expect(finding.code == .schemaViolation)
}

@Test("a report fires when its test is true, an assert that holds stays silent")
func reportFires() throws {
    let found = try findings(
        """
        <sch:pattern>
          <sch:rule context="c:Claim">
            <sch:report test="@country = 'BE'">claim from Belgium</sch:report>
            <sch:report test="@country = 'DK'">claim from Denmark</sch:report>
            <sch:assert test="c:Periods">has periods</sch:assert>
          </sch:rule>
        </sch:pattern>
        """)
    #expect(found.map(\.message) == ["claim from Belgium"])
    #expect(found.first?.path == "/c:Claim")
    #expect(found.first?.pattern == nil)
}

@Test("value-of and name fill the message; white space in it is collapsed")
func messageParts() throws {
    let found = try findings(
        """
        <sch:pattern>
          <sch:rule context="c:Period">
            <sch:assert test="number(translate(c:From, '-', '')) &lt;= number(translate(c:To, '-', ''))">
              <sch:name/> from <sch:value-of select="c:From"/>
                to <sch:value-of select="c:To"/> ends before it begins (in <sch:name path=".."/>)
            </sch:assert>
          </sch:rule>
        </sch:pattern>
        """)
    #expect(found.map(\.message) == ["c:Period from 2010-05-01 to 2009-01-31 ends before it begins (in c:Periods)"])
    #expect(found.first?.path == "/c:Claim/c:Periods/c:Period[2]")
    #expect(found.first?.line == 5)
}

@Test("schema, pattern and rule variables are visible where declared, in order")
func variables() throws {
    let found = try findings(
        """
        <sch:let name="country" value="/c:Claim/@country"/>
        <sch:pattern>
          <sch:let name="periods" value="count(//c:Period)"/>
          <sch:rule context="c:Period">
            <sch:let name="from" value="number(translate(c:From, '-', ''))"/>
            <sch:let name="to" value="number(translate(c:To, '-', ''))"/>
            <sch:let name="ok" value="$from &lt;= $to"/>
            <sch:assert test="$ok"><sch:value-of select="$country"/> period <sch:value-of select="$from"/> of
              <sch:value-of select="$periods"/> is reversed</sch:assert>
          </sch:rule>
        </sch:pattern>
        """)
    #expect(found.map(\.message) == ["BE period 20100501 of 2 is reversed"])
}

@Test("within a pattern each node is checked by the first rule that matches it; other patterns still see it")
func firstMatchingRuleWins() throws {
    let found = try findings(
        """
        <sch:pattern id="one">
          <sch:rule context="c:Period[2]">
            <sch:report test="true()">second period, specific rule</sch:report>
          </sch:rule>
          <sch:rule context="c:Period">
            <sch:report test="true()">period, general rule</sch:report>
          </sch:rule>
        </sch:pattern>
        <sch:pattern id="two">
          <sch:rule context="c:Period | c:Sex">
            <sch:report test="true()"><sch:name/> in pattern two</sch:report>
          </sch:rule>
        </sch:pattern>
        """)
    #expect(
        found.map(\.message) == [
            "period, general rule", "second period, specific rule",
            "c:Period in pattern two", "c:Period in pattern two", "c:Sex in pattern two",
        ])
    // Findings come in document order within a pattern, even though the specific rule ran first.
    #expect(found.prefix(2).map(\.line) == [4, 5])
}

@Test("role and flag set the severity: warning and info lower it, anything else is an error")
func roles() throws {
    let found = try findings(
        """
        <sch:pattern>
          <sch:rule context="c:Claim">
            <sch:report test="true()" role="warning">w</sch:report>
            <sch:report test="true()" role="info">i</sch:report>
            <sch:report test="true()" flag="warning">f</sch:report>
            <sch:report test="true()" role="fatal">e</sch:report>
            <sch:report test="true()">d</sch:report>
          </sch:rule>
        </sch:pattern>
        """)
    #expect(found.map(\.severity) == [.warning, .info, .warning, .error, .error])
}

@Test("attribute contexts are located on their element's line with an @ step")
func attributeContext() throws {
    let found = try findings(
        """
        <sch:pattern>
          <sch:rule context="@country">
            <sch:assert test="string-length(.) = 3">country <sch:value-of select="."/> is not alpha-3</sch:assert>
          </sch:rule>
        </sch:pattern>
        """)
    #expect(found.first?.path == "/c:Claim/@country")
    #expect(found.first?.line == 2)
}

@Test("documents in a default namespace get paths without prefixes and rules match them through sch:ns")
func defaultNamespacePaths() throws {
    let document = """
        <Claim xmlns="urn:c">
          <Sex>X</Sex>
        </Claim>
        """
    let found = try findings(
        """
        <sch:pattern>
          <sch:rule context="/c:Claim/c:Sex">
            <sch:assert test=". = 'M'">bad sex</sch:assert>
          </sch:rule>
        </sch:pattern>
        """, on: document)
    #expect(found.first?.path == "/Claim/Sex")
    #expect(found.first?.line == 2)
}

@Test("documentation elements are ignored and a rule file can be shared by concurrent validations")
func documentationAndSharing() async throws {
    let schematron = try Schematron(
        bytes: schema(
            """
            <sch:title>Claims</sch:title>
            <sch:p>Every period must run forwards.</sch:p>
            <sch:pattern>
              <sch:title>Periods</sch:title>
              <sch:rule context="c:Period">
                <sch:assert test="number(translate(c:From, '-', '')) &lt;= number(translate(c:To, '-', ''))">
                  reversed</sch:assert>
              </sch:rule>
            </sch:pattern>
            """), source: "t.sch")
    let tree = try XMLTree.parse(Array(claim.utf8), source: "claim.xml")
    let counts = await withTaskGroup(of: Int.self) { group in
        for _ in 0..<64 {
            group.addTask { schematron.validate(tree).count }
        }
        return await group.reduce(into: [Int]()) { $0.append($1) }
    }
    #expect(counts == Array(repeating: 1, count: 64))
}
