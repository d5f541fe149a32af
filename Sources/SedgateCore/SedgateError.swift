// SedgateError: the one error type sedgate throws across module boundaries.
//
// Modelled on swift-nio's FileSystemError: a code to switch on, a message that says what went wrong
// *and what to do next*, an optional location (file, line, record, field) and an optional cause.

/// An error with a stable code, a human sentence that says what to do next, and where it happened.
public struct SedgateError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; stable, machine-readable (it appears in `.error` files and reports).
    public var code: Code
    /// A sentence for a human: what went wrong and how to remedy it.
    public var message: String
    /// Where: file, line, column, record, field, as far as known.
    public var location: Location?
    /// The lower-level error that caused this one, if any.
    public var cause: (any Error & Sendable)?

    /// Makes an error.
    public init(_ code: Code, _ message: String, location: Location? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.location = location
        self.cause = cause
    }

    public var description: String {
        var text = "[\(code)] "
        if let location, !location.description.isEmpty { text += "\(location): " }
        text += message
        if let cause { text += " (cause: \(cause))" }
        return text
    }

    /// A stable error code. Compare with the static members; print for the wire name.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The wire name, as written in `.error` files, reports and SOAP faults.
        public let name: String
        private init(_ name: String) { self.name = name }
        /// Rebuilds a code from its wire name (for codes read back from files or faults).
        public init(wireName: String) { self.name = wireName }
        public var description: String { name }

        /// Whether retrying the same input can never succeed (the sender's fault): the item fails or is
        /// rejected at once instead of waiting in a retry queue.
        public var isPermanent: Bool {
            switch self {
            case .malformedXML, .hostileInput, .invalidEnvelope, .schemaViolation, .unsupportedInput,
                .protocolViolation, .unknownRoute, .unauthorized, .duplicate, .notFound, .expired, .signatureInvalid,
                .decryptionFailed, .refused, .unsupportedVersion, .timeout:
                return true
            default:
                return false
            }
        }

        /// The input is not well-formed XML.
        public static let malformedXML = Code("malformed-xml")
        /// The input is hostile or over a safety limit (entities, DTD, depth, size, path tricks).
        public static let hostileInput = Code("hostile-input")
        /// The envelope is missing, incomplete or has a field with an invalid value.
        public static let invalidEnvelope = Code("invalid-envelope")
        /// The document does not conform to its schema or rules.
        public static let schemaViolation = Code("schema-violation")
        /// The input is not a kind of file this node accepts here.
        public static let unsupportedInput = Code("unsupported-input")
        /// A file-system operation failed.
        public static let io = Code("io")
        /// The node's configuration is wrong.
        public static let configuration = Code("configuration")
        /// A peer sent something that breaks the protocol.
        public static let protocolViolation = Code("protocol-violation")
        /// No route is known for the receiver.
        public static let unknownRoute = Code("unknown-route")
        /// A peer could not be reached or answered with a failure; the item will be retried.
        public static let peerUnavailable = Code("peer-unavailable")
        /// The peer is over capacity and asked to retry later.
        public static let backPressure = Code("back-pressure")
        /// The peer is not who it claims to be, or not allowed to do this.
        public static let unauthorized = Code("unauthorized")
        /// The journal or queue storage failed.
        public static let storage = Code("storage")
        /// Something looked for does not exist.
        public static let notFound = Code("not-found")
        /// The SED id was already journalled: the same SED is never taken or delivered twice.
        public static let duplicate = Code("duplicate")
        /// The item expired before it could be delivered.
        public static let expired = Code("expired")
        /// An XML signature does not match what it signs: an element, the SignedInfo or the SignatureValue was
        /// altered after signing. Sending the same bytes again cannot succeed.
        public static let signatureInvalid = Code("signature-invalid")
        /// Encrypted data cannot be decrypted with this node's key: it was encrypted for another node, or the
        /// ciphertext was altered (authentication failed). Sending the same bytes again cannot succeed.
        public static let decryptionFailed = Code("decryption-failed")
        /// A peer refused the item for good without saying which code applies (a `failed` receipt from a node
        /// that sends no code); the reason says why.
        public static let refused = Code("refused")
        /// A reply to a synchronous request came after the request's deadline: it is refused, never delivered late.
        public static let timeout = Code("timeout")
        /// A peer speaks a major version of the protocol this node does not (the protocol article, P-VER-4).
        public static let unsupportedVersion = Code("unsupported-version")
    }

    /// Where an error happened, as precisely as known. Every part is optional.
    public struct Location: Sendable, Hashable, CustomStringConvertible, Codable {
        /// The file name (as the user knows it, e.g. `outbound/pay.xml`).
        public var file: String?
        /// 1-based line number.
        public var line: Int?
        /// 1-based column.
        public var column: Int?
        /// 1-based record number (flat files).
        public var record: Int?
        /// The field or element path.
        public var field: String?

        public init(file: String? = nil, line: Int? = nil, column: Int? = nil, record: Int? = nil, field: String? = nil)
        {
            self.file = file
            self.line = line
            self.column = column
            self.record = record
            self.field = field
        }

        public var description: String {
            var parts: [String] = []
            if let file { parts.append(file) }
            if let line { parts.append("line \(line)" + (column.map { ", column \($0)" } ?? "")) }
            if let record { parts.append("record \(record)") }
            if let field { parts.append("field \(field)") }
            return parts.joined(separator: " ")
        }
    }
}
