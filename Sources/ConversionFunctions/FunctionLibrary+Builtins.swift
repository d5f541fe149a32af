// FunctionLibrary+Builtins: the registry of every built-in function, gathered from the group files.

extension FunctionLibrary {
    /// Every built-in function by qualified name.
    static func builtins() -> [String: FunctionSpec] {
        let groups: [[FunctionSpec]] = [
            TextFunctions.all, DateFunctions.all, NumberFunctions.all, CodeFunctions.all, RegexFunctions.all,
            TransliterationFunctions.all,
        ]
        var registry: [String: FunctionSpec] = [:]
        for spec in groups.joined() { registry[spec.name] = spec }
        return registry
    }

    /// The XPath namespace of each prefix, for XSLT stylesheets (`urn:eessi:sedgate:fn:dt`).
    public static let namespaces: [String: String] = [
        "dt": "urn:eessi:sedgate:fn:dt", "num": "urn:eessi:sedgate:fn:num", "code": "urn:eessi:sedgate:fn:code",
        "re": "urn:eessi:sedgate:fn:re", "str": "urn:eessi:sedgate:fn:str", "tr": "urn:eessi:sedgate:fn:tr",
    ]
}
