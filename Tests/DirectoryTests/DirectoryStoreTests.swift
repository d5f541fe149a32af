// DirectoryStoreTests: entries checked against the schema (a missing mandatory field is named), history with who,
// when and why, reading as of a date, successors, and routing by the most specific address.

import Directory
import Foundation
import SedgateCore
import Testing

@Suite struct DirectoryStoreTests {
    @Test func aMissingMandatoryFieldIsRefusedNamingIt() throws {
        let fixture = try DirectoryFixture()
        try fixture.store.apply([.set(DirectoryFixture.accessPoint("AP-DE", countries: ["DE"]))], who: "op", why: "t")
        var entry = DirectoryFixture.institution("DE:AOK1", ap: "AP-DE", names: ["de": "AOK Bayern"])
        entry.fields["city.en"] = nil
        let error = #expect(throws: SedgateError.self) {
            try fixture.store.apply([.set(entry)], who: "op", why: "t")
        }
        #expect(error?.message.contains("mandatory field 'city' is missing") == true)
        #expect(try fixture.store.entry("DE:AOK1") == nil)
    }

    @Test func anUnknownCodeOrFieldIsRefusedNamingIt() throws {
        let fixture = try DirectoryFixture()
        try fixture.store.apply([.set(DirectoryFixture.accessPoint("AP-DE", countries: ["DE"]))], who: "op", why: "t")
        let entry = DirectoryFixture.institution(
            "DE:AOK1", ap: "AP-DE", names: ["de": "AOK"], sector: ["XX"], extra: ["colour": ["red"]])
        let problems = try fixture.store.problems([.set(entry)]).map(\.problem)
        #expect(problems.contains { $0.contains("field 'sector': 'XX' is not a code of 'sector'") })
        #expect(problems.contains { $0.contains("field 'colour' is not a field") })
    }

    @Test func historyKeepsWhoWhenWhyAndReadsAsOfADate() throws {
        let fixture = try DirectoryFixture()
        let store = fixture.store
        let day1 = Date(timeIntervalSince1970: 1_700_000_000)
        let day2 = day1.addingTimeInterval(86_400)
        let day3 = day2.addingTimeInterval(86_400)
        try store.apply([.set(DirectoryFixture.accessPoint("AP-DE", countries: ["DE"]))], who: "op", why: "t", at: day1)
        try store.apply(
            [.set(DirectoryFixture.institution("DE:OLD", ap: "AP-DE", names: ["de": "Alte Kasse"]))], who: "anna",
            why: "opened", at: day1)
        try store.apply(
            [.set(DirectoryFixture.institution("DE:OLD", ap: "AP-DE", names: ["de": "Neue Kasse"]))], who: "ben",
            why: "renamed", at: day2)
        try store.apply(
            [.delete(kind: .institution, id: "DE:OLD", successor: "DE:NEW")], who: "cem", why: "merged", at: day3)
        let history = try store.history("DE:OLD")
        #expect(history.map(\.who) == ["anna", "ben", "cem"])
        #expect(history.map(\.why) == ["opened", "renamed", "merged"])
        #expect(try store.entry("DE:OLD", asOf: day1.addingTimeInterval(10))?.value("name.de") == "Alte Kasse")
        #expect(try store.entry("DE:OLD", asOf: day2.addingTimeInterval(10))?.value("name.de") == "Neue Kasse")
        #expect(try store.entry("DE:OLD", asOf: day3.addingTimeInterval(10)) == nil)
        #expect(try store.entry("DE:OLD") == nil)
        #expect(try store.lastChange("DE:OLD")?.entry?.value("successor") == "DE:NEW")
    }

    @Test func routesGoToTheMostSpecificAddress() throws {
        let fixture = try DirectoryFixture()
        try fixture.store.apply(
            [
                .set(DirectoryFixture.accessPoint("AP-DE1", countries: ["DE"])),
                .set(DirectoryFixture.accessPoint("AP-DE2", countries: ["DE"])),
                .set(DirectoryFixture.institution("DE:AOK", ap: "AP-DE1", names: ["de": "AOK"])),
                .set(DirectoryFixture.institution("DE:AOK:MUC", ap: "AP-DE2", names: ["de": "AOK München"])),
            ], who: "op", why: "t")
        let routes = DirectoryRoutes()
        routes.load(try fixture.store.routes())
        #expect(routes.destination(for: Address("DE:AOK:MUC:X")!) == NodeID("AP-DE2"))
        #expect(routes.destination(for: Address("DE:AOK:BER")!) == NodeID("AP-DE1"))
        #expect(routes.destination(for: Address("DE:TK")!) == nil)
        // [routes] stays a local override in front of the directory.
        let layered = LayeredRoutes(override: try RoutingTable(["DE:AOK:BER": NodeID("AP-X")!]), fallback: routes)
        #expect(layered.destination(for: Address("DE:AOK:BER")!) == NodeID("AP-X"))
        #expect(layered.destination(for: Address("DE:AOK:MUC")!) == NodeID("AP-DE2"))
    }

    @Test func aReplicaReplaysChangesBySerialAndTakesASnapshot() throws {
        let master = try DirectoryFixture()
        let replica = try DirectoryFixture()
        try master.store.apply([.set(DirectoryFixture.accessPoint("AP-DE", countries: ["DE"]))], who: "op", why: "t")
        try replica.store.replace(with: try master.store.entries(), serial: try master.store.serial())
        try master.store.apply(
            [.set(DirectoryFixture.institution("DE:AOK", ap: "AP-DE", names: ["de": "AOK"]))], who: "op", why: "t")
        let changes = try master.store.changes(after: try replica.store.serial())
        try replica.store.replay(changes)
        try replica.store.replay(changes)  // a replayed batch changes nothing
        #expect(try replica.store.serial() == master.store.serial())
        #expect(try replica.store.entry("DE:AOK") == master.store.entry("DE:AOK"))
        #expect(try replica.store.history("DE:AOK").count == 1)
    }
}
