// ProtocolVersion: the version of the protocol this node speaks, how it is written on the wire (`sg:Protocol`) and
// how a received message's version is judged (the protocol article, Transport.docc/Protocol.md, P-VER-1 to P-VER-4).

import Documents
import SedgateCore

/// The protocol version: `major.minor`. A minor version only adds what an older reader may ignore (optional
/// attributes, elements, fault codes), so a receiver takes every minor version of its major one; another major
/// version is refused with `sg:unsupported-version`.
public enum ProtocolVersion {
    /// The major version: the `version` attribute of `sg:Protocol`. A version-1 reader compares it exactly.
    public static let major = 1
    /// The minor version this node writes: the `minor` attribute of `sg:Protocol`, which version 1.0 readers ignore.
    public static let minor = 1
    /// `1.1`.
    public static var text: String { "\(major).\(minor)" }

    /// The header block every message starts with (after `wsse:Security`).
    static var headerBlock: String { "<sg:Protocol version=\"\(major)\" minor=\"\(minor)\"/>" }

    /// The version a received message speaks, from its `env:Header`: `(1, 0)` when it has no `sg:Protocol` or no
    /// `version` (P-VER-2). Throws `.unsupportedVersion` for another major version (P-VER-4) and
    /// `.protocolViolation` for a version that is not a number.
    static func check(_ header: XMLNode, source: String) throws(SedgateError) -> (major: Int, minor: Int) {
        guard let element = header.firstChild("Protocol", namespace: SOAPNamespace.protocol_),
            let text = element.attribute("version")
        else { return (1, 0) }
        let location = SedgateError.Location(file: source, line: element.line, field: element.path)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count),
            parts.allSatisfy({ !$0.isEmpty && $0.count <= 9 && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            let major = Int(parts[0])
        else {
            throw SedgateError(
                .protocolViolation,
                "sg:Protocol version '\(text)' is not a version number; write version=\"\(Self.major)\"",
                location: location)
        }
        guard major == Self.major else {
            throw SedgateError(
                .unsupportedVersion,
                "the message speaks sedgate protocol version \(text); this node speaks major version \(Self.major) "
                    + "only (\(Self.text)); send it as version \(Self.major)",
                location: location)
        }
        let minor = parts.count == 2 ? Int(parts[1]) : element.attribute("minor").flatMap { Int($0) }
        return (major, max(minor ?? 0, 0))
    }
}
