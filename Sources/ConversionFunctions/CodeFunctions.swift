// CodeFunctions: `code:` look-ups in the admin-maintained code lists, both ways, plus ISO 3166 shortcuts.

import SedgateCore

/// The `code:` group.
enum CodeFunctions {
    static let all: [FunctionSpec] = [
        FunctionSpec("code:lookup", ["list", "value", "default?"]) { call throws(SedgateError) in
            try lookup(
                call, list: call[0], value: call[1], reverse: false, fallback: call.arguments.count > 2 ? call[2] : nil)
        },
        FunctionSpec("code:reverse", ["list", "value", "default?"]) { call throws(SedgateError) in
            try lookup(
                call, list: call[0], value: call[1], reverse: true, fallback: call.arguments.count > 2 ? call[2] : nil)
        },
        FunctionSpec("code:exists", ["list", "value"]) { call throws(SedgateError) in
            BooleanText.of(try list(call, call[0]).forward[call[1]] != nil)
        },
        FunctionSpec("code:list-version", ["list"]) { call throws(SedgateError) in try list(call, call[0]).version },
        FunctionSpec("code:iso3166-a2-a3", ["a2"]) { call throws(SedgateError) in
            try lookup(call, list: "iso3166-a2-a3", value: call[0], reverse: false, fallback: nil)
        },
        FunctionSpec("code:iso3166-a3-a2", ["a3"]) { call throws(SedgateError) in
            try lookup(call, list: "iso3166-a2-a3", value: call[0], reverse: true, fallback: nil)
        },
        FunctionSpec("code:iso3166-a2-num", ["a2"]) { call throws(SedgateError) in
            try lookup(call, list: "iso3166-a2-num", value: call[0], reverse: false, fallback: nil)
        },
        FunctionSpec("code:iso3166-num-a2", ["num"]) { call throws(SedgateError) in
            try lookup(call, list: "iso3166-a2-num", value: call[0], reverse: true, fallback: nil)
        },
        FunctionSpec("code:country-to-vehicle", ["a2"]) { call throws(SedgateError) in
            try lookup(call, list: "country-vehicle", value: call[0], reverse: false, fallback: nil)
        },
        FunctionSpec("code:vehicle-to-country", ["sign"]) { call throws(SedgateError) in
            try lookup(call, list: "country-vehicle", value: call[0], reverse: true, fallback: nil)
        },
    ]

    /// The list `id`, or a `.configuration` error listing the lists that exist.
    private static func list(_ call: FunctionCall, _ id: String) throws(SedgateError) -> CodeList {
        guard let list = call.library.codeLists[id] else {
            let known = call.library.codeLists.keys.sorted()
            throw SedgateError(
                .configuration,
                "\(call.name): no code list '\(id)'\(Suggestions.phrase(for: id, among: known)) in "
                    + "\(call.library.directory)/codelists (known: \(known.joined(separator: ", "))); add "
                    + "\(id).tsv there or correct the name")
        }
        return list
    }

    private static func lookup(
        _ call: FunctionCall, list id: String, value: String, reverse: Bool, fallback: String?
    ) throws(SedgateError) -> String {
        let list = try list(call, id)
        if reverse && !list.invertible {
            throw SedgateError(
                .configuration,
                "\(call.name): code list '\(id)' (\(list.path)) is not invertible; set '# invertible: yes' "
                    + "once its values are unique, or use a separate list for the other direction")
        }
        if let found = (reverse ? list.reverse : list.forward)[value] { return found }
        if let fallback { return fallback }
        throw call.failure(
            "'\(value)' is not \(reverse ? "a value" : "a code") in code list '\(id)' version \(list.version); "
                + "correct the data, add the code to \(list.path), or pass a default")
    }
}
