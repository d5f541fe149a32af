// TransliterationTests: golden cases for Greek ELOT 743 and Bulgarian 2009, case, Latin-1 folding, unmappables.

import ConversionFunctions
import SedgateCore
import Testing

@Suite("tr: transliteration to Latin-1")
struct TransliterationTests {
    @Test(
        "Greek by ELOT 743",
        arguments: [
            ("Παπαδόπουλος", "Papadopoulos"), ("Ευάγγελος", "Evangelos"), ("Χατζηγεωργίου", "Chatzigeorgiou"),
            ("Γιάννης", "Giannis"), ("ΠΑΠΑΔΟΠΟΥΛΟΣ", "PAPADOPOULOS"), ("Αθήνα", "Athina"), ("Ψαράς", "Psaras"),
            ("Μπακογιάννης", "Bakogiannis"), ("Λαμπράκης", "Lamprakis"),
            ("Αυγερινός", "Avgerinos"), ("Ευθύμιος", "Efthymios"), ("Αγκαθοπούλου", "Agkathopoulou"),
            ("Σπύρος Ξανθόπουλος", "Spyros Xanthopoulos"), ("ΧΑΤΖΗΣ", "CHATZIS"), ("Θεσσαλονίκη", "Thessaloniki"),
            ("Ζωή Ηλιοπούλου", "Zoi Iliopoulou"), ("Ναυπλίου", "Nafpliou"), ("Ευρώπη", "Evropi"), ("Αϊβαλί", "Aïvali"),
            ("ΤΑΫΓΕΤΟΣ", "TAYGETOS"), ("Αγγλία", "Anglia"),
            ("Μάγχη", "Manchi"), ("Καύκασος", "Kafkasos"), ("Ἀθῆναι", "Athinai"),
        ])
    func greek(source: String, expected: String) throws {
        #expect(try call("tr:to-latin1", source, "el") == expected)
        #expect(try call("tr:to-latin1", source) == expected)
    }

    @Test(
        "Bulgarian by the 2009 Transliteration Act",
        arguments: [
            ("България", "Bulgaria"), ("Щерев", "Shterev"), ("Живков", "Zhivkov"), ("Юлия", "Yulia"),
            ("София", "Sofia"), ("Щъркелов", "Shtarkelov"), ("Христо Цветков", "Hristo Tsvetkov"),
            ("ЯНЕВА", "YANEVA"), ("Йорданка Чешмеджиева", "Yordanka Cheshmedzhieva"), ("Ия", "Ia"),
            ("Марияна", "Mariyana"), ("Гьоте", "Gyote"), ("Република България", "Republika Bulgaria"),
            ("БЪЛГАРИЯ", "BULGARIA"),
        ])
    func bulgarian(source: String, expected: String) throws {
        #expect(try call("tr:to-latin1", source, "BG") == expected)
    }

    @Test("Latin-1 text passes unchanged; other Latin letters lose their marks or fold")
    func latin() throws {
        #expect(try call("tr:to-latin1", "Müller-Ñúñez Ærø") == "Müller-Ñúñez Ærø")
        #expect(try call("tr:to-latin1", "Dvořák Łukasz Œuvre") == "Dvorák Lukasz Oeuvre")
        #expect(try call("tr:to-latin1", "O’Brien – €5") == "O'Brien - EUR5")
        #expect(try call("tr:is-latin1", "Ærø") == "true")
        #expect(try call("tr:is-latin1", "Dvořák") == "false")
    }

    @Test("unmappable characters are refused in strict mode, replaced in lenient mode, and listed")
    func unmappable() throws {
        let error = try #require(failure("tr:to-latin1", "Ivan 李"))
        #expect(error.code == .schemaViolation && error.message.contains("U+674E"))
        #expect(try call("tr:to-latin1", "Ivan 李", "auto", "lenient") == "Ivan ?")
        #expect(try call("tr:unmappable", "李 and ☃") == "U+674E U+2603")
        #expect(try call("tr:unmappable", "Ελλάδα") == "")
        #expect(failure("tr:to-latin1", "x", "tlh")?.code == .configuration)
        #expect(try call("tr:scheme", "Ελλάδα").contains("ELOT 743"))
    }
}
