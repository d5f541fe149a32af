// FunctionLibrary: the conversion functions mappings and XSLT call (dt:, num:, code:, re:, str:, tr:).
//
// Reads code lists (`<directory>/codelists/*.tsv`) and transliteration tables (`<directory>/transliteration/*.tsv`)
// once at start-up; after that it is immutable and shared between threads. Every function takes strings and returns
// a string, so the same library serves the mapping engine and libxslt (see XSLTStylesheet).

public import SedgateCore

/// The conversion function library: dates, exact decimals, code lists, regular expressions, text and
/// transliteration, all string in / string out, looked up by namespaced name such as `dt:convert`.
///
/// Loads its data files from a `conversions/` directory that administrators extend without rebuilding.
/// Unknown names and wrong argument counts throw `.configuration`; data that does not fit (an invalid date,
/// a non-number, an unknown code) throws `.schemaViolation` naming the function, the argument and the value.
public final class FunctionLibrary: Sendable {
    /// The directory the data files were read from.
    public let directory: String
    /// Code lists by id (the `id:` of each file in `codelists/`).
    let codeLists: [String: CodeList]
    /// Transliteration tables by language (`el`, `bg`, ...).
    let transliterations: [String: TransliterationTable]
    /// Every function, by qualified name (`dt:parse`).
    let registry: [String: FunctionSpec]

    /// Loads the library from `directory` (normally `conversions/`): its code lists and transliteration tables.
    public init(directory: String) throws(SedgateError) {
        self.directory = directory
        self.codeLists = try CodeList.loadAll(directory: directory + "/codelists")
        self.transliterations = try TransliterationTable.loadAll(directory: directory + "/transliteration")
        self.registry = FunctionLibrary.builtins()
    }

    /// The library from the `conversions/` folder found at run time (see `ConversionsDirectory`): a configured
    /// path, else beside the binary, else beside the configuration file, else the working directory.
    public static func standard(
        configured: String? = nil, configurationFile: String? = nil
    ) throws(SedgateError) -> FunctionLibrary {
        try FunctionLibrary(
            directory: ConversionsDirectory.find(configured: configured, configurationFile: configurationFile))
    }

    /// Calls the function `name` (e.g. `num:add`) with `arguments`, returning its string result.
    public func call(_ name: String, _ arguments: [String]) throws(SedgateError) -> String {
        guard let spec = registry[name] else {
            throw SedgateError(
                .configuration,
                "unknown conversion function '\(name)'\(Suggestions.phrase(for: name, among: names)); "
                    + "run `sedgate mapping check` to list the functions this gateway knows")
        }
        guard spec.arity.contains(arguments.count) else {
            throw SedgateError(
                .configuration,
                "\(name) takes \(spec.arityText) argument(s) (\(spec.signature)) but was given \(arguments.count); "
                    + "correct the call in the mapping or stylesheet")
        }
        return try spec.body(FunctionCall(library: self, name: name, arguments: arguments))
    }

    /// What is wrong with calling `name` with `arguments` (nil for a value only known at run time, a text for a
    /// literal written in the mapping), or nil when the call can work: the function exists, takes that many
    /// arguments, and a literal code list argument names a list that exists (and is invertible, for a reverse
    /// look-up). For `mapping check`, which must find such mistakes before the first file does.
    public func problem(calling name: String, with arguments: [String?]) -> String? {
        guard let spec = registry[name] else {
            return "the function '\(name)' is not in the function library (\(directory))"
                + Suggestions.phrase(for: name, among: names)
        }
        guard spec.arity.contains(arguments.count) else {
            return "\(name) takes \(spec.arityText) argument(s) (\(spec.signature)) but is given \(arguments.count)"
        }
        for (index, parameter) in spec.parameters.enumerated() where parameter == "list" && index < arguments.count {
            guard let id = arguments[index] else { continue }
            if let problem = codeListProblem(id, reverse: name == "code:reverse") { return "\(name): " + problem }
        }
        return nil
    }

    /// What is wrong with using the code list `id` (forwards, or `reverse`), or nil when it can be used.
    public func codeListProblem(_ id: String, reverse: Bool) -> String? {
        guard let list = codeLists[id] else {
            let known = codeLists.keys.sorted()
            return
                "there is no code list '\(id)'\(Suggestions.phrase(for: id, among: known)) in \(directory)/codelists "
                + "(known: \(known.joined(separator: ", "))); add \(id).tsv there or correct the name"
        }
        if reverse && !list.invertible {
            return "the code list '\(id)' (\(list.path)) is not invertible, so it cannot be looked up backwards when "
                + "writing flat files; set '# invertible: yes' once its values are unique, or use read:/write: with "
                + "separate lists"
        }
        return nil
    }

    /// Whether a function called `name` (qualified, e.g. `code:lookup`) exists.
    public func has(_ name: String) -> Bool { registry[name] != nil }

    /// Every function's qualified name, sorted.
    public var names: [String] { registry.keys.sorted() }

    /// Whether `name` answers a yes/no question (`re:test`, `code:exists`): it returns `true` or `false`, and
    /// XSLT receives an XPath boolean (the string "false" would count as true in `xsl:if`).
    public func returnsBoolean(_ name: String) -> Bool { FunctionLibrary.booleanFunctions.contains(name) }

    /// The functions that return `true` / `false`.
    static let booleanFunctions: Set<String> = ["dt:valid", "num:valid", "code:exists", "re:test", "tr:is-latin1"]

    /// The signature of `name` for documentation (`dt:parse(s, pattern, pivot?)`), or nil if unknown.
    public func signature(of name: String) -> String? { registry[name]?.signature }
}
