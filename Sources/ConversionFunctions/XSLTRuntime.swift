// XSLTRuntime: one-time libxslt set-up: EXSLT, the safe document loader, security preferences, and the single
// C trampoline through which every library function is callable from XPath.

import CLibXML2
import CLibXSLT
import Foundation
import SedgateCore
import Synchronization

/// Process-wide libxslt state, set up once before the first stylesheet is compiled.
enum XSLTRuntime {
    /// The prefixes of the library's XPath namespaces, by namespace URI.
    static let prefixes: [String: String] = Dictionary(
        uniqueKeysWithValues: FunctionLibrary.namespaces.map { ($0.value, $0.key) })

    /// Directories stylesheets may read from (their own folder, for xsl:import and document()).
    static let readableRoots = Mutex<Set<String>>([])

    /// Serialises compilation: libxslt reports compile errors through one global handler.
    static let compileLock = NSLock()

    /// The security preferences every compile and transform uses: no writing, no directories, no network,
    /// reading only below a registered stylesheet folder. Immutable after set-up.
    nonisolated(unsafe) static var preferences: xsltSecurityPrefsPtr?

    /// Runs the set-up once (Swift runs a static initialiser exactly once, thread-safely).
    static let ready: Bool = {
        xmlInitParser()
        exsltRegisterAll()
        xsltSetLoaderFunc { uri, dict, options, context, type in
            sedgate_xslt_safe_loader(uri, dict, options, context, type)
        }
        let prefs = xsltNewSecurityPrefs()
        xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_FILE, xsltSecurityForbid)
        xsltSetSecurityPrefs(prefs, XSLT_SECPREF_CREATE_DIRECTORY, xsltSecurityForbid)
        xsltSetSecurityPrefs(prefs, XSLT_SECPREF_READ_NETWORK, xsltSecurityForbid)
        xsltSetSecurityPrefs(prefs, XSLT_SECPREF_WRITE_NETWORK, xsltSecurityForbid)
        xsltSetSecurityPrefs(prefs, XSLT_SECPREF_READ_FILE) { _, _, value in
            guard let value else { return 0 }
            return XSLTRuntime.mayRead(String(cString: value)) ? 1 : 0
        }
        xsltSetDefaultSecurityPrefs(prefs)
        preferences = prefs
        // Globally, libxslt prints errors to stderr; route them nowhere until a compile installs a collector.
        sedgate_xslt_set_generic_errors(nil)
        for name in FunctionLibrary.builtins().keys {
            let parts = name.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let uri = FunctionLibrary.namespaces[parts[0]] else { continue }
            xsltRegisterExtModuleFunction(parts[1], uri) { parser, count in
                guard let parser else { return }
                XSLTRuntime.dispatch(parser, count: Int(count))
            }
        }
        return true
    }()

    /// Whether a stylesheet may read `location` (a path or file: URL): only below a registered folder.
    static func mayRead(_ location: String) -> Bool {
        var path = location
        if path.hasPrefix("file://") { path = String(path.dropFirst(7)) }
        guard !path.contains("://") else { return false }
        let resolved = URL(fileURLWithPath: path).standardizedFileURL.path
        return readableRoots.withLock { roots in roots.contains { resolved.hasPrefix($0 + "/") } }
    }

    /// The body of every extension function: reads the called name from the XPath context, converts the
    /// arguments to strings, calls the library, and pushes the result (or records the error and stops).
    static func dispatch(_ parser: xmlXPathParserContextPtr, count: Int) {
        var objects: [xmlXPathObjectPtr?] = []
        for _ in 0..<count { objects.append(sedgate_xpath_pop(parser)) }
        objects.reverse()
        defer { objects.forEach { xmlXPathFreeObject($0) } }

        guard let context = parser.pointee.context, let functionName = context.pointee.function,
            let transform = xsltXPathGetTransformContext(parser), let box = transform.pointee._private
        else {
            sedgate_xpath_set_error(parser, Int32(XPATH_EXPR_ERROR.rawValue))
            return
        }
        let run = Unmanaged<TransformRun>.fromOpaque(box).takeUnretainedValue()
        let uri = context.pointee.functionURI.map { String(cString: $0) } ?? ""
        let name = (prefixes[uri] ?? uri) + ":" + String(cString: functionName)
        let spec = run.library.registry[name]
        // Node-sets fill a repeated (`...`) parameter one node per argument; elsewhere XPath's string() applies.
        let repeatedFrom = spec.flatMap { $0.parameters.last?.hasSuffix("...") == true ? $0.parameters.count - 1 : nil }
        var arguments: [String] = []
        for (index, object) in objects.enumerated() {
            guard let object else { continue }
            let isNodeSet = object.pointee.type == XPATH_NODESET || object.pointee.type == XPATH_XSLT_TREE
            if isNodeSet, let from = repeatedFrom, index >= from, let nodes = object.pointee.nodesetval {
                for position in 0..<Int(nodes.pointee.nodeNr) {
                    arguments.append(LibXSLTText.take(xmlXPathCastNodeToString(nodes.pointee.nodeTab[position])))
                }
            } else {
                arguments.append(LibXSLTText.take(xmlXPathCastToString(object)))
            }
        }
        do {
            let result = try run.library.call(name, arguments)
            if run.library.returnsBoolean(name) {
                sedgate_xpath_return_boolean(parser, result == "true" ? 1 : 0)
            } else {
                sedgate_xpath_return_string(parser, result)
            }
        } catch {
            run.record(error)
            sedgate_xpath_return_string(parser, "")
            sedgate_xpath_set_error(parser, Int32(XPATH_EXPR_ERROR.rawValue))
            transform.pointee.state = XSLT_STATE_STOPPED
        }
    }
}

/// Per-transformation state the trampoline reaches through the transform context's `_private` pointer.
final class TransformRun {
    let library: FunctionLibrary
    /// The first extension-function error, which becomes the transformation's error.
    private(set) var error: SedgateError?
    /// libxslt's messages for this run, in order.
    private(set) var messages: [String] = []

    init(library: FunctionLibrary) { self.library = library }

    func record(_ error: SedgateError) {
        if self.error == nil { self.error = error }
    }

    func append(_ text: String) {
        if messages.count < 50 { messages.append(text) }
    }

    /// The messages as one line.
    var text: String {
        messages.joined().split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }.joined(separator: "; ")
    }
}

/// Collects libxslt's formatted messages into a TransformRun through the C error handler.
final class MessageCollector {
    let run: TransformRun
    var target: sedgate_error_target

    init(run: TransformRun) {
        self.run = run
        self.target = sedgate_error_target(sink: nil, user: nil)
    }

    /// Calls `body` with a C target that appends to `run` while it runs.
    func withTarget<T>(
        _ body: (UnsafeMutablePointer<sedgate_error_target>) throws(SedgateError) -> T
    )
        throws(SedgateError) -> T
    {
        target.user = Unmanaged.passUnretained(run).toOpaque()
        target.sink = { user, text in
            guard let user, let text else { return }
            Unmanaged<TransformRun>.fromOpaque(user).takeUnretainedValue().append(String(cString: text))
        }
        return try withUnsafeMutablePointer(to: &target) { pointer throws(SedgateError) in try body(pointer) }
    }
}

/// Strings libxml2 allocated for the caller.
enum LibXSLTText {
    /// The Swift string, freeing the C one; empty for nil.
    static func take(_ pointer: UnsafeMutablePointer<xmlChar>?) -> String {
        guard let pointer else { return "" }
        defer { sedgate_xml_free(pointer) }
        return String(cString: pointer)
    }
}
