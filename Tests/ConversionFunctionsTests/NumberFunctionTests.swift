// NumberFunctionTests: exact decimals of 17+ digits, rounding modes, division scale, pictures and signs.

import ConversionFunctions
import SedgateCore
import Testing

@Suite("num: functions")
struct NumberFunctionTests {
    @Test("17-digit amounts and sums of 0.10 stay exact")
    func exact() throws {
        #expect(try call("num:add", "999999999999999.99", "0.01") == "1000000000000000.00")
        #expect(try call("num:sum", String(repeating: "0.10|", count: 10)) == "1.00")
        #expect(try call("num:sum", "999999999999999.99", "999999999999999.99") == "1999999999999999.98")
        #expect(try call("num:sub", "0.3", "0.1") == "0.2")
        #expect(try call("num:mul", "12345678901234567.89", "10") == "123456789012345678.90")
        #expect(try call("num:sum") == "0")
        #expect(try call("num:sum", "1.5|", "|2") == "3.5")
    }

    @Test("rounding modes half-up, half-even, down and exact")
    func rounding() throws {
        #expect(try call("num:round", "2.345", "2") == "2.35")
        #expect(try call("num:round", "-2.345", "2", "half-up") == "-2.35")
        #expect(try call("num:round", "2.345", "2", "half-even") == "2.34")
        #expect(try call("num:round", "2.355", "2", "half-even") == "2.36")
        #expect(try call("num:round", "2.349", "2", "down") == "2.34")
        #expect(failure("num:round", "2.345", "2", "exact")?.code == .schemaViolation)
        #expect(failure("num:round", "2.345", "2", "up")?.code == .configuration)
    }

    @Test("division needs a scale; a non-terminating quotient needs a rounding mode")
    func division() throws {
        #expect(try call("num:div", "10", "4", "2") == "2.50")
        #expect(try call("num:div", "1", "3", "4", "half-up") == "0.3333")
        #expect(try call("num:div", "2", "3", "2", "half-up") == "0.67")
        #expect(try call("num:div", "2", "3", "2", "down") == "0.66")
        #expect(failure("num:div", "1", "3", "4")?.code == .schemaViolation)
        #expect(failure("num:div", "1", "0", "2")?.message.contains("zero") == true)
        #expect(try call("num:mul", "1.005", "3", "2", "half-even") == "3.02")
    }

    @Test("comparison is numeric across scales")
    func compare() throws {
        #expect(try call("num:cmp", "1.50", "1.5") == "0")
        #expect(try call("num:cmp", "-0.01", "0") == "-1")
        #expect(try call("num:cmp", "100000000000000000.01", "100000000000000000.001") == "1")
        #expect(try call("num:max", "3|-7|12.5") == "12.5")
        #expect(try call("num:min", "3|-7|12.5") == "-7")
    }

    @Test("COBOL pictures: implied decimals, overpunched and separate signs, overflow refused")
    func pictures() throws {
        #expect(try call("num:parse", "00012345", "9(6)V99") == "123.45")
        #expect(try call("num:parse", "0001234J", "S9(6)V99") == "-123.41")
        #expect(try call("num:parse", "0001234{", "S9(6)V99") == "123.40")
        #expect(try call("num:parse", "-00123.45", "S9(5).99", "leading-separate") == "-123.45")
        #expect(try call("num:format", "-123.41", "S9(6)V99") == "0001234J")
        #expect(try call("num:format", "123.4", "S9(6)V99", "trailing-separate") == "00012340+")
        #expect(try call("num:format", "999999999999999.99", "S9(15)V99", "leading-separate") == "+99999999999999999")
        #expect(try call("num:format", "12.5", "2") == "12.50")
        #expect(failure("num:format", "1000000", "9(6)V99")?.code == .schemaViolation)
        #expect(failure("num:format", "-1", "9(6)")?.message.contains("no sign") == true)
        #expect(failure("num:format", "1.005", "9(3)V99")?.code == .schemaViolation)
        #expect(try call("num:format", "1.005", "9(3)V99", "trailing", "half-up") == "00101")
    }

    @Test("a non-number is refused naming the function, argument and value")
    func notANumber() throws {
        let error = try #require(failure("num:add", "12,50", "1"))
        #expect(error.code == .schemaViolation)
        #expect(error.message.contains("num:add") && error.message.contains("argument 1"))
        #expect(error.message.contains("12,50"))
        #expect(failure("num:parse", "00012A45", "9(6)V99")?.code == .schemaViolation)
        #expect(failure("num:sum", "1|x|2")?.message.contains("'x'") == true)
        #expect(failure("num:add", "1e3", "1")?.code == .schemaViolation)
    }
}
