// SchematronLoadingTests: bad rule files are refused at load naming file, line and expression; a costly rule is
// stopped by the evaluation budget instead of running on.

import Documents
import SedgateCore
import Testing

/// Loads `text` as a Schematron file named `rules/bad.sch` and returns the error it is refused with.
private func loadError(_ text: String) -> SedgateError? {
    do {
        _ = try Schematron(bytes: Array(text.utf8), source: "rules/bad.sch")
        return nil
    } catch {
        return error
    }
}

private let header = #"<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron">"#

@Test("a malformed XPath is refused at load with the file, its line and the expression")
func malformedXPath() throws {
    let error = try #require(
        loadError(
            """
            \(header)
              <sch:pattern>
                <sch:rule context="Claim">
                  <sch:assert test="count(Period) &gt; ">at least one period</sch:assert>
                </sch:rule>
              </sch:pattern>
            </sch:schema>
            """))
    #expect(error.code == .configuration)
    #expect(error.location?.file == "rules/bad.sch")
    #expect(error.location?.line == 4)
    #expect(error.location?.field == "count(Period) > ")
    #expect(error.message.contains("rules/bad.sch line 4"))
    #expect(error.message.contains("count(Period) > "))
}

@Test("a malformed rule context is refused at load too")
func malformedContext() throws {
    let error = try #require(
        loadError(
            """
            \(header)
              <sch:pattern>
                <sch:rule context="Claim[">
                  <sch:assert test="true()">x</sch:assert>
                </sch:rule>
              </sch:pattern>
            </sch:schema>
            """))
    #expect(error.code == .configuration)
    #expect(error.location?.line == 3)
}

@Test("an undeclared prefix, variable or function is refused at load by the dry run")
func staticErrors() throws {
    for (test, reason) in [
        ("pe:Claim", "namespace prefix"), ("$nowhere = 1", "undefined variable"), ("upper-case(.) = 'A'", "function"),
    ] {
        let error = try #require(
            loadError(
                """
                \(header)
                  <sch:pattern>
                    <sch:rule context="/*">
                      <sch:assert test="\(test)">x</sch:assert>
                    </sch:rule>
                  </sch:pattern>
                </sch:schema>
                """), "\(test) should be refused")
        #expect(error.code == .configuration)
        #expect(error.location?.line == 4)
        #expect(error.message.contains(reason), "\(error.message)")
    }
}

@Test("a rule variable is not visible outside its rule")
func variableScope() throws {
    let error = try #require(
        loadError(
            """
            \(header)
              <sch:pattern>
                <sch:rule context="/*"><sch:let name="x" value="1"/><sch:assert test="$x = 1">x</sch:assert></sch:rule>
                <sch:rule context="/*/*"><sch:assert test="$x = 1">x</sch:assert></sch:rule>
              </sch:pattern>
            </sch:schema>
            """))
    #expect(error.location?.line == 4)
}

@Test("unsupported features, a missing test and a non-Schematron root are refused with their line")
func unsupportedFeatures() throws {
    let cases: [(String, Int)] = [
        (#"\#(header)<sch:pattern abstract="true" id="a"/></sch:schema>"#, 1),
        ("\(header)\n<sch:include href=\"other.sch\"/></sch:schema>", 2),
        (
            "\(header)\n<sch:pattern>\n<sch:rule context=\"/\"><sch:assert>no test</sch:assert></sch:rule></sch:pattern></sch:schema>",
            3
        ),
        (#"<sch:schema xmlns:sch="http://purl.oclc.org/dsdl/schematron" queryBinding="xslt2"/>"#, 1),
        ("<schema/>", 1),
        ("<sch:schema xmlns:sch=\"http://purl.oclc.org/dsdl/schematron\">\n<unclosed></sch:schema>", 2),
    ]
    for (text, line) in cases {
        let error = try #require(loadError(text), "\(text) should be refused")
        #expect(error.code == .configuration, "\(text)")
        #expect(error.location?.file == "rules/bad.sch")
        #expect(error.location?.line == line, "\(text): \(error)")
    }
}

@Test("a rule file with a DOCTYPE is refused by the safe parser")
func doctypeRefused() throws {
    let error = try #require(
        loadError(
            """
            <!DOCTYPE sch:schema [<!ENTITY x SYSTEM "file:///etc/passwd">]>
            \(header)</sch:schema>
            """))
    #expect(error.code == .configuration)
    #expect(error.message.contains("DOCTYPE"))
}

@Test("a hostile rule on a large document is stopped by the budget with a configuration error finding")
func budgetStopsHostileRule() throws {
    // 60 chains of 100 nested elements: //*//*//*... revisits every chain's descendants at each step.
    let chain = String(repeating: "<a>", count: 100) + String(repeating: "</a>", count: 100)
    let document = "<root>" + String(repeating: chain, count: 60) + "</root>"
    let tree = try XMLTree.parse(Array(document.utf8), source: "big.xml")
    let hostile = String(repeating: "//*", count: 40)
    let schematron = try Schematron(
        bytes: Array(
            """
            \(header)
              <sch:pattern id="hostile">
                <sch:rule context="/root">
                  <sch:assert test="count(\(hostile)) &gt;= 0">never false</sch:assert>
                </sch:rule>
              </sch:pattern>
            </sch:schema>
            """.utf8), source: "rules/hostile.sch")
    // The budget counts XPath work, not time, so the verdict holds on a busy machine; without it this rule
    // would not finish at all (40 nested descendant steps over 6,000 elements).
    let found = schematron.validate(tree)
    #expect(found.count == 1)
    let finding = try #require(found.first)
    #expect(finding.severity == .error)
    #expect(finding.code == .configuration)
    #expect(finding.message.contains("validation stopped"))
    #expect(finding.pattern == "hostile")
    #expect(finding.ruleLine == 4)
}

@Test("the budget is generous enough for ordinary rules on ordinary documents")
func budgetAllowsOrdinaryRules() throws {
    let items = (1...2000).map { "<item n=\"\($0)\">\($0)</item>" }.joined()
    let tree = try XMLTree.parse(Array("<list>\(items)</list>".utf8), source: "list.xml")
    let schematron = try Schematron(
        bytes: Array(
            """
            \(header)
              <sch:pattern>
                <sch:rule context="item">
                  <sch:assert test="number(.) = number(@n) and not(@n = preceding-sibling::item[1]/@n)">bad</sch:assert>
                </sch:rule>
              </sch:pattern>
            </sch:schema>
            """.utf8), source: "rules/list.sch")
    #expect(schematron.validate(tree).isEmpty)
}
