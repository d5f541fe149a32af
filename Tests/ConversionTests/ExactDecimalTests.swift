// ExactDecimalTests: parsing, canonical text, rounding, arithmetic and comparison of exact decimals.

import SedgateCore
import Testing

@Suite("ExactDecimal")
struct ExactDecimalTests {
    @Test("parses signed decimals exactly and prints them back with their scale")
    func parsesAndPrints() throws {
        #expect(ExactDecimal("-1234.50")?.description == "-1234.50")
        #expect(ExactDecimal("+0.5")?.description == "0.5")
        #expect(ExactDecimal(".5")?.description == "0.5")
        #expect(ExactDecimal("0017")?.description == "17")
        #expect(ExactDecimal("-0.00")?.description == "0.00")
        #expect(ExactDecimal("12345678901234567.89")?.description == "12345678901234567.89")
        let d = try #require(ExactDecimal("-1234.50"))
        #expect(d.units == -123450 && d.scale == 2)
    }

    @Test("rejects exponents, spaces, commas, empty text and more than 38 digits")
    func rejectsMalformed() {
        for text in ["", "-", ".", "1e5", " 1", "1 ", "1,5", "1.2.3", "--1", "1-", "0x10", "１"] {
            #expect(ExactDecimal(text) == nil, "\(text)")
        }
        #expect(ExactDecimal(String(repeating: "9", count: 38)) != nil)
        #expect(ExactDecimal(String(repeating: "9", count: 39)) == nil)
        #expect(ExactDecimal("0." + String(repeating: "1", count: 39)) == nil)
    }

    @Test("holds 38 significant digits without losing any")
    func thirtyEightDigits() throws {
        let text = "1234567890123456789.0123456789012345678"
        let d = try #require(ExactDecimal(text))
        #expect(d.description == text)
        #expect(d.negated.description == "-" + text)
    }

    @Test("rescales with half-up, half-even, down, and refuses to lose digits under exact")
    func rescaling() throws {
        let d = try #require(ExactDecimal("2.345"))
        #expect(try d.rescaled(to: 2, rounding: .halfUp).description == "2.35")
        #expect(try d.rescaled(to: 2, rounding: .halfEven).description == "2.34")
        #expect(try d.rescaled(to: 2, rounding: .down).description == "2.34")
        #expect(try d.negated.rescaled(to: 2, rounding: .halfUp).description == "-2.35")
        #expect(try ExactDecimal("2.355")!.rescaled(to: 2, rounding: .halfEven).description == "2.36")
        #expect(try ExactDecimal("-2.349")!.rescaled(to: 2, rounding: .down).description == "-2.34")
        #expect(try d.rescaled(to: 5).description == "2.34500")
        #expect(try ExactDecimal("2.300")!.rescaled(to: 1).description == "2.3")
        #expect(throws: SedgateError.self) { try d.rescaled(to: 2, rounding: .exact) }
        #expect(throws: SedgateError.self) { try ExactDecimal(String(repeating: "9", count: 37))!.rescaled(to: 2) }
    }

    @Test("adds, subtracts and multiplies exactly, and throws past 38 digits")
    func arithmetic() throws {
        let a = try #require(ExactDecimal("0.1"))
        let b = try #require(ExactDecimal("0.20"))
        #expect(try (a + b).description == "0.30")
        #expect(try (a - b).description == "-0.10")
        #expect(try (a * b).description == "0.020")
        let big = try #require(ExactDecimal("99999999999999999.99"))
        #expect(try (big + ExactDecimal("0.01")!).description == "100000000000000000.00")
        let max = try #require(ExactDecimal(String(repeating: "9", count: 38)))
        #expect(throws: SedgateError.self) { try max + ExactDecimal(1) }
        #expect(throws: SedgateError.self) { try max * ExactDecimal(10) }
        var c = ExactDecimal(5)
        c.negate()
        #expect(c.description == "-5")
    }

    @Test("divides to a chosen scale with rounding")
    func division() throws {
        let one = ExactDecimal(1)
        #expect(try one.divided(by: ExactDecimal(3), scale: 4, rounding: .halfUp).description == "0.3333")
        #expect(try ExactDecimal(2).divided(by: ExactDecimal(3), scale: 2, rounding: .halfUp).description == "0.67")
        #expect(
            try ExactDecimal("-1.00")!.divided(by: ExactDecimal(8), scale: 2, rounding: .halfEven).description
                == "-0.12")
        #expect(throws: SedgateError.self) { try one.divided(by: ExactDecimal(0), scale: 2, rounding: .down) }
        #expect(throws: SedgateError.self) { try one.divided(by: ExactDecimal(3), scale: 2, rounding: .exact) }
    }

    @Test("compares and hashes numerically across scales")
    func comparison() throws {
        let a = try #require(ExactDecimal("1.5"))
        let b = try #require(ExactDecimal("1.50"))
        #expect(a == b)
        #expect(Set([a, b]).count == 1)
        #expect(ExactDecimal("-2")! < ExactDecimal("-1.99")!)
        #expect(ExactDecimal("1.0000000000000000000000000000000000001")! > ExactDecimal(1))
        #expect(ExactDecimal("-0.5")! < ExactDecimal("0")!)
        #expect(
            [ExactDecimal("3")!, ExactDecimal("-1.25")!, ExactDecimal("0.001")!].sorted().map(\.description)
                == ["-1.25", "0.001", "3"])
    }
}
