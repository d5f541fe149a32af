// TextAndRegexTests: str: widths on NFC scalars, fit policies, and re: test/match/replace with groups and flags.

import ConversionFunctions
import SedgateCore
import Testing

@Suite("str: and re: functions")
struct TextAndRegexTests {
    @Test("padding and fitting count NFC characters, never bytes or decomposed marks")
    func widths() throws {
        #expect(try call("str:pad-left", "42", "5", "0") == "00042")
        #expect(try call("str:pad-right", "Müller", "8") == "Müller  ")
        #expect(try call("str:pad-right", "Mu\u{0308}ller", "7") == "Müller ")
        #expect(try call("str:fit", "Papadopoulos", "5", "truncate") == "Papad")
        #expect(try call("str:fit", "Rossi", "5") == "Rossi")
        let error = try #require(failure("str:fit", "Papadopoulos", "5"))
        #expect(error.code == .schemaViolation && error.message.contains("truncate"))
        #expect(failure("str:pad-left", "123456", "5", "0")?.code == .schemaViolation)
    }

    @Test("trim, case and normalisation")
    func text() throws {
        #expect(try call("str:trim", "  a b \n") == "a b")
        #expect(try call("str:ltrim", "  a ") == "a ")
        #expect(try call("str:rtrim", "  a ") == "  a")
        #expect(try call("str:upper", "straße") == "STRASSE")
        #expect(try call("str:lower", "ÀÉ") == "àé")
        #expect(try call("str:nfc", "e\u{0301}").unicodeScalars.count == 1)
        #expect(try call("str:join", "-", "a", "b", "c") == "a-b-c")
    }

    @Test("re:test and re:match with groups and flags")
    func match() throws {
        #expect(try call("re:test", "AT123456", "^[A-Z]{2}[0-9]+$") == "true")
        #expect(try call("re:test", "at123456", "^[A-Z]{2}[0-9]+$") == "false")
        #expect(try call("re:test", "at123456", "^[A-Z]{2}[0-9]+$", "i") == "true")
        #expect(try call("re:match", "PIN: 1234-5678", "([0-9]+)-([0-9]+)") == "1234-5678")
        #expect(try call("re:match", "PIN: 1234-5678", "([0-9]+)-([0-9]+)", "", "2") == "5678")
        #expect(try call("re:match", "a1 b2 c3", "[a-z]([0-9])", "g", "1") == "1 2 3")
        #expect(try call("re:match", "none", "[0-9]+") == "")
        #expect(failure("re:match", "x", "(x)", "", "5")?.code == .configuration)
    }

    @Test("re:replace, first or every match, with group references")
    func replace() throws {
        #expect(
            try call("re:replace", "2024-05-31", "([0-9]{4})-([0-9]{2})-([0-9]{2})", "", "$3.$2.$1") == "31.05.2024")
        #expect(try call("re:replace", "a-b-c", "-", "", "+") == "a+b-c")
        #expect(try call("re:replace", "a-b-c", "-", "g", "+") == "a+b+c")
        #expect(try call("re:replace", "cost", "o", "g", "$$") == "c$st")
        #expect(failure("re:test", "x", "(unclosed")?.code == .configuration)
        #expect(failure("re:test", "x", "x", "q")?.code == .configuration)
    }
}
