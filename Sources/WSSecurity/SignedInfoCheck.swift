// SignedInfoCheck: checks a received ds:SignedInfo before xmlsec runs: only the algorithms sedgate uses, and only
// same-document "#id" references to ids carried by exactly one element.

import SedgateCore

/// Checks on a received ds:Signature's SignedInfo.
enum SignedInfoCheck {
    /// The most references a signature may have: a compound message signs its Body and a few header blocks.
    static let maxReferences = 256

    /// The ids the signature's references point to, in order. Throws `.protocolViolation` for a missing SignedInfo,
    /// an unsupported algorithm or a reference that is not "#id"; `.hostileInput` when an id is carried by more than
    /// one element; `.signatureInvalid` when no element carries it.
    static func references(
        of signature: Element, census: IDCensus,
        accepting algorithms: Set<SignatureAlgorithm> = SignatureAlgorithm.standard
    ) throws(SedgateError) -> (ids: [String], algorithm: SignatureAlgorithm) {
        guard let signedInfo = signature.child("SignedInfo", Namespace.ds) else {
            throw SedgateError(.protocolViolation, "the ds:Signature has no ds:SignedInfo")
        }
        try expect(
            signedInfo.child("CanonicalizationMethod", Namespace.ds), SecurityURI.exclusiveC14N,
            what: "canonicalization method")
        let method = signedInfo.child("SignatureMethod", Namespace.ds)?.attribute("Algorithm")
        guard let algorithm = method.flatMap(SignatureAlgorithm.init(rawValue:)), algorithms.contains(algorithm) else {
            let accepted = SignatureAlgorithm.allCases.filter(algorithms.contains).map(\.rawValue)
            throw SedgateError(
                .protocolViolation,
                "the signature's signature method is \(method.map { "\"\($0)\"" } ?? "missing"); sedgate accepts only "
                    + accepted.joined(separator: " or "))
        }
        let references = signedInfo.children("Reference", Namespace.ds)
        guard !references.isEmpty else {
            throw SedgateError(.protocolViolation, "the ds:SignedInfo has no ds:Reference; nothing is signed")
        }
        guard references.count <= maxReferences else {
            throw SedgateError(
                .hostileInput,
                "the ds:SignedInfo has \(references.count) references; at most \(maxReferences) are accepted")
        }
        var ids: [String] = []
        for reference in references {
            let uri = reference.attribute("URI") ?? "(none)"
            let id = String(uri.dropFirst())
            guard uri.hasPrefix("#"), XMLID.isPlain(id) else {
                throw SedgateError(
                    .protocolViolation,
                    "the signature's reference URI \"\(uri)\" is not a same-document reference \"#id\"; sedgate "
                        + "accepts only references to elements by their wsu:Id")
            }
            _ = try census.uniqueElement(
                id, role: "the signature's reference", missing: .signatureInvalid, duplicated: .hostileInput)
            for transform in reference.child("Transforms", Namespace.ds)?.children("Transform", Namespace.ds) ?? [] {
                try expect(transform, SecurityURI.exclusiveC14N, what: "transform of reference \(uri)")
            }
            try expect(
                reference.child("DigestMethod", Namespace.ds), SecurityURI.sha256,
                what: "digest method of reference \(uri)")
            ids.append(id)
        }
        return (ids, algorithm)
    }

    /// Throws `.protocolViolation` unless `element` exists and its Algorithm is `algorithm`.
    private static func expect(_ element: Element?, _ algorithm: String, what: String) throws(SedgateError) {
        let found = element?.attribute("Algorithm")
        guard found == algorithm else {
            throw SedgateError(
                .protocolViolation,
                "the signature's \(what) is \(found.map { "\"\($0)\"" } ?? "missing"); sedgate accepts only "
                    + "\(algorithm)")
        }
    }
}
