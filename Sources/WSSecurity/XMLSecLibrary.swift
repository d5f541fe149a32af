// XMLSecLibrary: one-time libxmlsec1 (OpenSSL) set-up, and xmlsec's error reports gathered per operation.
//
// xmlsec reports errors through one process-wide callback. sedgate installs it once and routes each report to the
// operation running on the current task or thread (a task-local collector), so messages end up in the thrown
// SedgateError and never on stderr.

import CXMLSec
import Foundation
import SedgateCore
import Synchronization

/// The xmlsec library state shared by signing and encryption.
enum XMLSecLibrary {
    /// The outcome of the one-time initialisation; Swift runs a static initialiser once, thread-safely.
    private static let initialised: SedgateError? = {
        guard xmlSecInit() >= 0 else {
            return SedgateError(.configuration, "libxmlsec1 failed to initialise; reinstall libxmlsec1")
        }
        let version = xmlSecCheckVersionExt(
            XMLSEC_VERSION_MAJOR, XMLSEC_VERSION_MINOR, XMLSEC_VERSION_SUBMINOR, xmlSecCheckVersionABICompatible)
        guard version == 1 else {
            return SedgateError(
                .configuration,
                "the installed libxmlsec1 is not ABI-compatible with the headers sedgate was built with "
                    + "(\(XMLSEC_VERSION_MAJOR).\(XMLSEC_VERSION_MINOR).\(XMLSEC_VERSION_SUBMINOR)); rebuild sedgate")
        }
        guard xmlSecOpenSSLAppInit(nil) >= 0, xmlSecOpenSSLInit() >= 0 else {
            return SedgateError(
                .configuration, "libxmlsec1's OpenSSL backend failed to initialise; install libxmlsec1-openssl")
        }
        // CipherValue and SignatureValue text on one line: MTOM/XOP reconstitution yields unbroken base64, and the
        // signed form must be the same. (xmlsec refuses line size 0 for X509Certificate; sedgate writes those.)
        xmlSecBase64SetDefaultLineSize(0)
        // Last: xmlsec's initialisation installs its default callback, which prints to stderr.
        xmlSecErrorsSetCallback { _, _, function, object, subject, reason, message in
            XMLSecLibrary.collector?.record(
                function: function.map { String(cString: $0) }, object: object.map { String(cString: $0) },
                subject: subject.map { String(cString: $0) }, reason: reason,
                message: message.map { String(cString: $0) })
        }
        return nil
    }()

    /// Makes sure xmlsec is set up; throws `.configuration` when the installed library is unusable.
    static func initialize() throws(SedgateError) {
        if let initialised { throw initialised }
    }

    /// Where xmlsec's reports go while an operation runs on this task or thread.
    @TaskLocal static var collector: XMLSecReports?

    /// Runs `body` with xmlsec initialised and its reports collected for `body`'s error messages.
    static func run<Value>(_ body: (XMLSecReports) throws(SedgateError) -> Value) throws(SedgateError) -> Value {
        try initialize()
        let reports = XMLSecReports()
        let outcome = $collector.withValue(reports) {
            Result { () throws(SedgateError) -> Value in try body(reports) }
        }
        return try outcome.get()
    }
}

/// The error reports xmlsec made during one operation, oldest first.
final class XMLSecReports: Sendable {
    private let lines = Mutex<[String]>([])

    /// Keeps one report (xmlsec calls this through the error callback).
    func record(function: String?, object: String?, subject: String?, reason: Int32, message: String?) {
        var text = function ?? "xmlsec"
        if let object, object != "unknown" { text += " (\(object))" }
        let message = message?.trimmingCharacters(in: .whitespaces) ?? ""
        if !message.isEmpty {
            text += ": " + message
        } else if let subject, subject != "unknown" {
            text += ": \(subject) failed"
        }
        lines.withLock { lines in
            if lines.count < 50 { lines.append(text) }
        }
    }

    /// Everything reported so far.
    var all: [String] { lines.withLock { $0 } }

    /// Whether any report contains `phrase` (case-insensitive).
    func mention(_ phrase: String) -> Bool {
        let phrase = phrase.lowercased()
        return all.contains { $0.lowercased().contains(phrase) }
    }

    /// The first reports (the root cause comes first), for an error message; empty when there were none.
    var summary: String {
        let all = self.all
        guard !all.isEmpty else { return "" }
        return " (xmlsec: " + all.prefix(3).joined(separator: "; ") + ")"
    }
}
