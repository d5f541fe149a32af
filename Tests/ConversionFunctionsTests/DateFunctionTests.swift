// DateFunctionTests: patterns, pivot years, Julian dates, leap years, arithmetic and invalid dates.

import ConversionFunctions
import SedgateCore
import Testing

@Suite("dt: functions")
struct DateFunctionTests {
    @Test("parse and format with yyyy, yy, MM, dd and literals")
    func parseFormat() throws {
        #expect(try call("dt:parse", "20240531", "yyyyMMdd") == "2024-05-31")
        #expect(try call("dt:parse", "31.05.2024", "dd.MM.yyyy") == "2024-05-31")
        #expect(try call("dt:format", "2024-05-31", "dd/MM/yyyy") == "31/05/2024")
        #expect(try call("dt:convert", "310524", "ddMMyy", "yyyy-MM-dd", "1950") == "2024-05-31")
        #expect(try call("dt:parse", "", "yyyyMMdd") == "")
    }

    @Test("two-digit years fall in the century window that starts at the pivot")
    func pivot() throws {
        #expect(try call("dt:parse", "250101", "yyMMdd", "1925") == "1925-01-01")
        #expect(try call("dt:parse", "240101", "yyMMdd", "1925") == "2024-01-01")
        #expect(try call("dt:parse", "991231", "yyMMdd", "2000") == "2099-12-31")
        #expect(try call("dt:parse", "000229", "yyMMdd", "1950") == "2000-02-29")
        #expect(failure("dt:parse", "240101", "yyMMdd")?.code == .configuration)
    }

    @Test("Julian (ordinal) dates both ways, including day 366 of a leap year")
    func julian() throws {
        #expect(try call("dt:from-julian", "2024366") == "2024-12-31")
        #expect(try call("dt:from-julian", "2023001") == "2023-01-01")
        #expect(try call("dt:from-julian", "24060", "1950") == "2024-02-29")
        #expect(try call("dt:to-julian", "2024-03-01") == "2024061")
        #expect(try call("dt:to-julian", "2023-03-01") == "2023060")
        #expect(try call("dt:parse", "2024-366", "yyyy-ddd") == "2024-12-31")
        #expect(failure("dt:from-julian", "2023366")?.code == .schemaViolation)
    }

    @Test("invalid dates are refused, naming function, argument, value and pattern")
    func invalid() throws {
        let error = try #require(failure("dt:parse", "20230229", "yyyyMMdd"))
        #expect(error.code == .schemaViolation)
        #expect(error.message.contains("dt:parse") && error.message.contains("20230229"))
        #expect(error.message.contains("yyyyMMdd"))
        #expect(failure("dt:parse", "2024053", "yyyyMMdd")?.code == .schemaViolation)
        #expect(failure("dt:parse", "00000000", "yyyyMMdd")?.code == .schemaViolation)
        #expect(failure("dt:parse", "2024-13-01", "yyyy-MM-dd")?.code == .schemaViolation)
        #expect(failure("dt:parse", "20240101", "yyyyMMMdd")?.code == .configuration)
        #expect(try call("dt:valid", "20240229", "yyyyMMdd") == "true")
        #expect(try call("dt:valid", "19000229", "yyyyMMdd") == "false")
        #expect(try call("dt:valid", "20000229", "yyyyMMdd") == "true")
        #expect(try call("dt:valid", "2024-02-30", "yyyy-MM-dd") == "false")
    }

    @Test("add days, months and years, clamping to the end of the month")
    func add() throws {
        #expect(try call("dt:add", "2024-01-31", "1", "months") == "2024-02-29")
        #expect(try call("dt:add", "2023-01-31", "1", "months") == "2023-02-28")
        #expect(try call("dt:add", "2024-02-29", "1", "years") == "2025-02-28")
        #expect(try call("dt:add", "2024-12-31", "1", "days") == "2025-01-01")
        #expect(try call("dt:add", "2024-03-01", "-1", "days") == "2024-02-29")
        #expect(try call("dt:add", "2024-01-15", "P1Y2M10D") == "2025-03-25")
        #expect(try call("dt:add", "2024-01-15", "-P15D") == "2023-12-31")
    }

    @Test("differences in days, whole months and whole years; age")
    func diff() throws {
        #expect(try call("dt:diff", "2024-01-01", "2025-01-01") == "366")
        #expect(try call("dt:diff", "2024-01-31", "2024-02-29", "months") == "0")
        #expect(try call("dt:diff", "2024-01-31", "2024-03-01", "months") == "1")
        #expect(try call("dt:diff", "2025-01-01", "2024-01-01", "days") == "-366")
        #expect(try call("dt:age", "1960-06-15", "2024-06-14") == "63")
        #expect(try call("dt:age", "1960-06-15", "2024-06-15") == "64")
        #expect(try call("dt:diff", "2020-02-29", "2021-02-28", "years") == "0")
    }
}
