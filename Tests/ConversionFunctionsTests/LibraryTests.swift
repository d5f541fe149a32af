// LibraryTests: name look-up, arity checks and suggestions.

import ConversionFunctions
import SedgateCore
import Testing

@Suite("Function library")
struct LibraryTests {
    @Test("every group of functions is registered")
    func groups() {
        for prefix in ["dt:", "num:", "code:", "re:", "str:", "tr:"] {
            #expect(library.names.contains { $0.hasPrefix(prefix) }, "no \(prefix) functions")
        }
        #expect(library.has("dt:convert"))
        #expect(!library.has("dt:nonsense"))
    }

    @Test("an unknown function is a configuration error naming the closest known names")
    func unknownFunction() {
        let error = failure("dt:prase", "20240101", "yyyyMMdd")
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("dt:parse") == true)
    }

    @Test("a wrong argument count is a configuration error with the signature")
    func arity() {
        let error = failure("num:add", "1")
        #expect(error?.code == .configuration)
        #expect(error?.message.contains("num:add(a, b)") == true)
    }
}
