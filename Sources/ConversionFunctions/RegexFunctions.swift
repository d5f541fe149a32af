// RegexFunctions: `re:` test, match and replace with EXSLT regexp signatures, on Swift Regex.

import SedgateCore

/// The `re:` group. Flags: `i` ignore case, `m` `^`/`$` at line ends, `s` dot matches newline, `g` every match
/// (replace) or all matches joined (match). Patterns are the usual Perl-like syntax.
enum RegexFunctions {
    static let all: [FunctionSpec] = [
        FunctionSpec("re:test", ["s", "regex", "flags?"]) { call throws(SedgateError) in
            let regex = try compile(call, pattern: call[1], flags: call.optional(2, ""))
            return BooleanText.of(call[0].firstMatch(of: regex) != nil)
        },
        FunctionSpec("re:match", ["s", "regex", "flags?", "group?"]) { call throws(SedgateError) in
            let flags = call.optional(2, "")
            let regex = try compile(call, pattern: call[1], flags: flags)
            var group = 0
            if call.has(3) {
                guard let number = Int(call[3]), number >= 0 else {
                    throw call.badOption(3, expected: "a group number")
                }
                group = number
            }
            let matches =
                flags.contains("g")
                ? Array(call[0].matches(of: regex)) : call[0].firstMatch(of: regex).map { [$0] } ?? []
            var found: [String] = []
            for match in matches {
                guard group < match.output.count else {
                    throw call.badOption(3, expected: "a group number up to \(match.output.count - 1)")
                }
                found.append(match.output[group].substring.map(String.init) ?? "")
            }
            return found.joined(separator: " ")
        },
        FunctionSpec("re:replace", ["s", "regex", "flags", "replacement"]) { call throws(SedgateError) in
            let regex = try compile(call, pattern: call[1], flags: call[2])
            let template = call[3]
            let expand = { (match: Regex<AnyRegexOutput>.Match) -> String in expanded(template, match) }
            if call[2].contains("g") { return call[0].replacing(regex, with: expand) }
            return call[0].replacing(regex, maxReplacements: 1, with: expand)
        },
    ]

    private static func compile(
        _ call: FunctionCall, pattern: String, flags: String
    ) throws(SedgateError)
        -> Regex<AnyRegexOutput>
    {
        // Compiled per call: Regex<AnyRegexOutput> is not Sendable, so it cannot sit in a shared cache.
        guard flags.allSatisfy({ "gims".contains($0) }) else {
            throw SedgateError(.configuration, "\(call.name): flags '\(flags)' may hold only g, i, m and s")
        }
        var regex: Regex<AnyRegexOutput>
        do {
            regex = try Regex(pattern)
        } catch {
            throw SedgateError(
                .configuration, "\(call.name): '\(pattern)' is not a valid regular expression (\(error)); correct it")
        }
        if flags.contains("i") { regex = regex.ignoresCase() }
        if flags.contains("m") { regex = regex.anchorsMatchLineEndings() }
        if flags.contains("s") { regex = regex.dotMatchesNewlines() }
        return regex
    }

    /// The replacement text: `$0`–`$9` (or `\0`–`\9`) insert a group, `$$` a dollar sign.
    private static func expanded(_ template: String, _ match: Regex<AnyRegexOutput>.Match) -> String {
        var output = ""
        var characters = template.makeIterator()
        while let character = characters.next() {
            guard character == "$" || character == "\\" else {
                output.append(character)
                continue
            }
            guard let next = characters.next() else {
                output.append(character)
                break
            }
            if let digit = next.wholeNumberValue, next.isASCII {
                if digit < match.output.count, let text = match.output[digit].substring { output += text }
            } else if next == character {
                output.append(character)
            } else {
                output.append(character)
                output.append(next)
            }
        }
        return output
    }
}
