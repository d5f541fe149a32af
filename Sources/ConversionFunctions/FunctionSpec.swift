// FunctionSpec: one library function's declared signature and its body, plus the call helpers bodies use.

import SedgateCore

/// A function's signature (for arity checks and documentation) and its body.
struct FunctionSpec: Sendable {
    /// The qualified name, e.g. `dt:parse`.
    let name: String
    /// Parameter names; a trailing `?` marks an optional one, a trailing `...` a repeated one.
    let parameters: [String]
    /// The body: string arguments in, string out.
    let body: @Sendable (FunctionCall) throws(SedgateError) -> String

    init(
        _ name: String, _ parameters: [String],
        _ body: @escaping @Sendable (FunctionCall) throws(SedgateError) -> String
    ) {
        self.name = name
        self.parameters = parameters
        self.body = body
    }

    /// How many arguments the function accepts.
    var arity: ClosedRange<Int> {
        let required = parameters.filter { !$0.hasSuffix("?") && !$0.hasSuffix("...") }.count
        if parameters.last?.hasSuffix("...") == true { return required...Int.max }
        return required...parameters.count
    }

    /// `2`, `2 to 3` or `1 or more`, for error messages.
    var arityText: String {
        let range = arity
        if range.upperBound == Int.max { return "\(range.lowerBound) or more" }
        return range.lowerBound == range.upperBound
            ? "\(range.lowerBound)" : "\(range.lowerBound) to \(range.upperBound)"
    }

    /// `dt:parse(s, pattern, pivot?)`.
    var signature: String { "\(name)(\(parameters.joined(separator: ", ")))" }
}

/// One call in progress: the arguments and helpers that turn bad values into clear errors.
struct FunctionCall: Sendable {
    /// The library, for code lists and tables.
    let library: FunctionLibrary
    /// The qualified function name, for messages.
    let name: String
    /// The string arguments, as passed.
    let arguments: [String]

    /// Argument `index` (0-based); the arity check guarantees required ones exist.
    subscript(index: Int) -> String { arguments[index] }

    /// Argument `index`, or `fallback` when it was not passed or is empty.
    func optional(_ index: Int, _ fallback: String) -> String {
        index < arguments.count && !arguments[index].isEmpty ? arguments[index] : fallback
    }

    /// Whether argument `index` was passed and is not empty.
    func has(_ index: Int) -> Bool { index < arguments.count && !arguments[index].isEmpty }

    /// A `.schemaViolation` saying which argument held what, and what was expected.
    func bad(_ index: Int, expected: String) -> SedgateError {
        let value = index < arguments.count ? arguments[index] : ""
        return SedgateError(
            .schemaViolation,
            "\(name): argument \(index + 1) is '\(value)', expected \(expected); correct the input or the mapping")
    }

    /// A `.schemaViolation` with a message of the function's own.
    func failure(_ message: String) -> SedgateError {
        SedgateError(.schemaViolation, "\(name): \(message)")
    }

    /// A `.configuration` error: the mapping or stylesheet passed an option the function does not know.
    func badOption(_ index: Int, expected: String) -> SedgateError {
        let value = index < arguments.count ? arguments[index] : ""
        return SedgateError(
            .configuration, "\(name): argument \(index + 1) is '\(value)', expected \(expected); correct the mapping")
    }
}

/// XPath-style booleans: functions that test something return these strings.
enum BooleanText {
    /// `true` or `false`.
    static func of(_ value: Bool) -> String { value ? "true" : "false" }
}
