// ConsoleDirectoryTests: directory maintenance in the console of an access point, over HTTP: a bad value is shown
// next to its field and nothing changes; a good change goes to the CN and reaches the other AP's copy; an editor of
// another country is refused; a bulk upload answers line by line, all lines or none; an entry's history names the
// console user.

import Foundation
import SedgateCore
import SedgateTesting
import Testing

extension ConsoleFixture {
    /// Loads the directory at the CN: both APs with their certificates, and one institution per country.
    func loadDirectory() async throws {
        func pem(_ id: String) throws -> String {
            try String(contentsOfFile: "\(folder.path)/pki/\(id).crt", encoding: .utf8)
        }
        func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
        var lines = ["kind,id,url,mode,country,certificate,name.fr,name.da,ap,city.en,sector,function"]
        for (id, country) in [("AP-BE", "BE"), ("AP-DK", "DK")] {
            let url = "https://127.0.0.1:\(topology.node(id).port)"
            lines.append("ap,\(id),\(url),push,\(country),\(quoted(try pem(id))),,,,,,")
        }
        lines.append("ci,BE:INAMI,,,,,Institut national,,AP-BE,Bruxelles,S,CI")
        lines.append("ci,DK:UDK,,,,,,Udbetaling Danmark,AP-DK,Copenhagen,FB,CI")
        let path = folder.appending("directory.csv")
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let imported = try await ChildProcess.run(
            binary, ["directory", "import", "--config", topology.node("CN").config, path, "--why", "initial load"])
        #expect(imported.status == 0, "\(imported.output)")
    }

    /// `sedgate directory show ID` at `node`.
    func show(_ id: String, at node: String) async throws -> ChildProcess.Outcome {
        try await ChildProcess.run(binary, ["directory", "show", "--config", topology.node(node).config, id])
    }
}

@Suite("Directory maintenance in the console, over HTTP", .serialized)
struct ConsoleDirectoryTests {
    @Test("field errors next to the field; a change replicates to the other AP; other countries refused; bulk upload")
    func editValidateReplicateAndUpload() async throws {
        let fixture = try ConsoleFixture("console-directory")
        let topology = fixture.topology
        defer { topology.abandon() }
        try await fixture.loadDirectory()
        try await fixture.addUser("erik", roles: ["editor:BE"], at: "AP-BE")
        try await fixture.addUser("dora", roles: ["editor:DK"], at: "AP-BE")
        try await topology.startAll()
        for node in ["AP-BE", "AP-DK"] {
            try await Wait.until("\(node)'s copy to hold BE:INAMI", timeout: .seconds(120)) {
                try await fixture.show("BE:INAMI", at: node).status == 0
            }
        }
        let erik = ConsoleHTTP(fixture.consoles["AP-BE"]!)
        try await erik.signIn("erik")
        let list = try await erik.get("/directory")
        #expect(list.status == 200 && list.body.contains("BE:INAMI") && !list.body.contains("DK:UDK"), "\(list.body)")
        let form = try await erik.get("/directory/entry?id=BE:INAMI")
        #expect(form.body.contains("id=\"f-field-city-en\""), "\(form.body)")
        let token = try await erik.csrf()

        // A sector that is not a code: refused, the message next to the field, and nothing applied.
        let bad = try await erik.post(
            "/directory/entry",
            [
                "csrf": token, "kind": "ci", "id": "BE:INAMI", "field.city.en": "Brussel", "field.sector": "NOPE",
                "why": "move",
            ])
        #expect(bad.status == 422)
        let field = bad.body.range(of: "id=\"f-field-sector\"").map { String(bad.body[$0.lowerBound...].prefix(600)) }
        #expect(field?.contains("aria-invalid=\"true\"") == true, "\(bad.body)")
        #expect(field?.contains("class=\"error\" id=\"f-field-sector-error\"") == true, "\(field ?? "")")
        #expect(!(try await fixture.show("BE:INAMI", at: "AP-BE").output.contains("Brussel")))

        // The good change goes to the CN and reaches AP-DK's copy.
        let good = try await erik.post(
            "/directory/entry",
            ["csrf": token, "kind": "ci", "id": "BE:INAMI", "field.city.en": "Brussel", "why": "renamed city"])
        #expect(good.status == 200 && good.body.contains("saved"), "\(good.body)")
        try await Wait.until("AP-DK's copy to show the new city", timeout: .seconds(120)) {
            try await fixture.show("BE:INAMI", at: "AP-DK").output.contains("Brussel")
        }
        let history = try await erik.get("/directory/history?id=BE:INAMI")
        #expect(history.body.contains("renamed city (console:erik)"), "\(history.body)")
        #expect(history.body.contains("Bruxelles → Brussel"), "\(history.body)")

        // An editor of Denmark may not change a Belgian entry: the forged POST is refused.
        let dora = ConsoleHTTP(fixture.consoles["AP-BE"]!)
        try await dora.signIn("dora")
        let refused = try await dora.post(
            "/directory/entry",
            ["csrf": try await dora.csrf(), "kind": "ci", "id": "BE:INAMI", "field.city.en": "X", "why": "no"])
        #expect(refused.status == 403)

        // Bulk upload: a bad line is reported by its number and nothing is applied; then a good file is.
        let header = "kind,id,name.fr,ap,city.en,sector,function"
        let badFile = [header, "ci,BE:ONE,Un,AP-BE,Liège,S,CI", "ci,BE:TWO,Deux,AP-BE,Gent,NOPE,CI"].joined(
            separator: "\n")
        let report = try await erik.post("/directory/upload", ["csrf": token, "content": badFile, "why": "bulk"])
        #expect(report.status == 422)
        #expect(report.body.contains("<td>3</td><td>BE:TWO</td>"), "\(report.body)")
        #expect(report.body.contains("nothing was applied"))
        let goodFile = [header, "ci,BE:ONE,Un,AP-BE,Liège,S,CI", "ci,BE:TWO,Deux,AP-BE,Gent,S,CI"].joined(
            separator: "\n")
        let applied = try await erik.post("/directory/upload", ["csrf": token, "content": goodFile, "why": "bulk"])
        #expect(applied.status == 200 && applied.body.contains("2 entries applied"), "\(applied.body)")
        try await Wait.until("AP-DK's copy to hold BE:TWO", timeout: .seconds(120)) {
            try await fixture.show("BE:TWO", at: "AP-DK").status == 0
        }
    }
}
