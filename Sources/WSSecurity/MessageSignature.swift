// MessageSignature: WS-Security XML Signature of SOAP 1.2 envelopes (signing here; verification in
// MessageSignature+Verify.swift).
//
// Reads an envelope's bytes, inserts a wsse:Security header with the signer's X.509 token and a ds:Signature over the
// elements whose wsu:Id the caller names, and returns the signed bytes. Algorithms: exclusive C14N, RSA-SHA256 (or
// ECDSA-SHA256 for an EC key, see SignatureAlgorithm), SHA-256 digests.

import CLibXML2
import CXMLSec
public import Foundation
public import SedgateCore

/// WS-Security 1.1 XML Signature of SOAP 1.2 envelopes with an X.509 BinarySecurityToken.
///
/// `sign` adds to `soap:Header` a `wsse:Security` header holding a `wsse:BinarySecurityToken` (the signer's DER
/// certificate) and a `ds:Signature` (exclusive C14N, RSA-SHA256, one SHA-256 reference per signed wsu:Id, KeyInfo
/// with a `wsse:SecurityTokenReference` to the token and, for verifiers without WS-Security support such as the
/// xmlsec1 command, a `ds:X509Data` copy of the certificate). `verify` checks such a signature against a
/// `TrustStore`.
public enum MessageSignature {
    /// Signs a SOAP 1.2 envelope (bytes) over the elements whose wsu:Id is in `ids` (e.g. the soap:Body and the
    /// header blocks); returns the signed document bytes (UTF-8, with an XML declaration).
    ///
    /// Creates soap:Header if missing, and adds to an existing wsse:Security header if there is one. Throws
    /// `.malformedXML` / `.hostileInput` for input the safe parser refuses, `.protocolViolation` when the document is
    /// not a SOAP 1.2 envelope, `ids` is empty, or an id is not the wsu:Id of exactly one element, and
    /// `.configuration` when xmlsec cannot sign with `key`.
    public static func sign(_ soap: Data, ids: [String], with key: NodeKey) throws(SedgateError) -> Data {
        try XMLSecLibrary.run { reports throws(SedgateError) in
            let document = try SecurityDocument(parsing: soap, source: "the SOAP envelope to sign")
            let envelope = try SOAPEnvelope(document.root, purpose: "sign")
            let ids = ids.reduce(into: [String]()) { unique, id in
                if !unique.contains(id) { unique.append(id) }
            }
            guard !ids.isEmpty else {
                throw SedgateError(
                    .protocolViolation, "nothing to sign: give the wsu:Id of the soap:Body and of each header block")
            }
            let census = IDCensus(of: document)
            for id in ids {
                guard XMLID.isPlain(id) else {
                    throw SedgateError(
                        .protocolViolation,
                        "\"\(id)\" cannot be referenced as \"#id\"; use wsu:Id values of letters, digits, \".\", \"_\" "
                            + "and \"-\"")
                }
                _ = try census.uniqueElement(
                    id, role: "the id to sign", missing: .protocolViolation, duplicated: .protocolViolation)
            }
            let security = try envelope.securityHeaderForSigning(in: document)
            var tokenID = "X509-" + RandomID.uuid()
            while census.count(tokenID) > 0 { tokenID = "X509-" + RandomID.uuid() }
            let token = security.addToken(certificateDER: key.certificateDER, id: tokenID)
            let signature = try makeSignatureTemplate(
                document, ids: ids, algorithm: key.signatureAlgorithm, after: token)

            guard let context = xmlSecDSigCtxCreate(nil) else {
                throw SedgateError(.io, "xmlsec could not allocate a signature context; the node is out of memory")
            }
            defer { xmlSecDSigCtxDestroy(context) }
            context.pointee.signKey = try key.makeXMLSecKey()
            guard xmlSecDSigCtxSign(context, signature) >= 0 else {
                throw SedgateError(
                    .configuration,
                    "xmlsec could not sign the envelope with the key of \(key.commonName)\(reports.summary); check "
                        + "that the key is an RSA or EC P-256 key")
            }
            // KeyInfo is not signed, so it is added afterwards, and xmlsec does not write certificates itself (it
            // breaks their base64 into lines).
            security.addKeyInfo(to: signature, tokenID: tokenID, certificateDER: key.certificateDER)
            return document.serialized()
        }
    }

    /// Builds the ds:Signature template right after `token` in `security`: exclusive C14N, `algorithm`
    /// (RSA-SHA256 or ECDSA-SHA256), one reference per id with an exclusive C14N transform and SHA-256.
    private static func makeSignatureTemplate(
        _ document: SecurityDocument, ids: [String], algorithm: SignatureAlgorithm, after token: xmlNodePtr
    ) throws(SedgateError) -> xmlNodePtr {
        guard
            let signature = xmlSecTmplSignatureCreateNsPref(
                document.document, xmlSecTransformExclC14NGetKlass(), algorithm.transform, nil, xmlChars("ds"))
        else {
            throw SedgateError(.io, "xmlsec could not create a signature template; the node is out of memory")
        }
        xmlAddNextSibling(token, signature)
        for id in ids {
            guard
                let reference = xmlSecTmplSignatureAddReference(
                    signature, xmlSecOpenSSLTransformSha256GetKlass(), nil, xmlChars("#" + id), nil),
                xmlSecTmplReferenceAddTransform(reference, xmlSecTransformExclC14NGetKlass()) != nil
            else {
                throw SedgateError(.io, "xmlsec could not add the reference #\(id); the node is out of memory")
            }
        }
        return signature
    }
}
