// ReportTests: what `sedgate conformance` prints: one line per check naming its rule, a summary, and JSON for scripts.

import Conformance
import Foundation
import Testing

@Suite("Conformance report")
struct ReportTests {
    let report = ConformanceReport(
        node: "CN", url: "https://127.0.0.1:28443", role: .coordinationNode, protocolVersion: "1.1",
        checks: [
            ConformanceCheck(
                rule: "P-FRAG-5", title: "the CN's fragment receipt", passed: true, expected: "x", got: "y"),
            ConformanceCheck(
                rule: "P-FAULT-2", title: "the fault names the request", passed: false,
                expected: "wsa:RelatesTo urn:uuid:1", got: "no wsa:RelatesTo"),
        ])

    @Test("each check is one line, PASS or FAIL with its rule id, a failure with what was expected and what came")
    func lines() {
        let lines = report.text.split(separator: "\n").map(String.init)
        #expect(lines[0] == "PASS P-FRAG-5 the CN's fragment receipt")
        #expect(
            lines[1]
                == "FAIL P-FAULT-2 the fault names the request: expected wsa:RelatesTo urn:uuid:1, got no wsa:RelatesTo"
        )
        #expect(lines[2].hasPrefix("FAILED: 1 of 2 checks passed against the CN CN at https://127.0.0.1:28443"))
        #expect(!report.passed && report.failures.map(\.rule) == ["P-FAULT-2"])
    }

    @Test("the JSON report says whether all passed, how many failed, and every check with its rule")
    func json() throws {
        let object = try #require(
            try JSONSerialization.jsonObject(with: Data(report.json.utf8)) as? [String: Any])
        #expect(object["passed"] as? Bool == false)
        #expect(object["failed"] as? Int == 1)
        #expect(object["protocolVersion"] as? String == "1.1")
        let checks = try #require(object["checks"] as? [[String: Any]])
        #expect(checks.map { $0["rule"] as? String } == ["P-FRAG-5", "P-FAULT-2"])
        #expect(checks[0]["expected"] == nil, "a passed check carries no expected/got")
    }
}
