// SOAPNamespace: the namespace URIs and fixed names of the protocol's SOAP messages.

/// Namespace URIs used on the wire (the protocol article, Transport.docc/Protocol.md).
enum SOAPNamespace {
    /// SOAP 1.2 envelope, prefix `env`.
    static let envelope = "http://www.w3.org/2003/05/soap-envelope"
    /// SOAP 1.1 envelope: recognised only to say clearly that it is not accepted.
    static let soap11Envelope = "http://schemas.xmlsoap.org/soap/envelope/"
    /// WS-Addressing 1.0, prefix `wsa`.
    static let addressing = "http://www.w3.org/2005/08/addressing"
    /// sedgate protocol elements, prefix `sg`.
    static let protocol_ = "urn:eessi:sedgate:protocol:1"
    /// WS-Security utility (`wsu:Id` on signed elements), prefix `wsu`.
    static let utility = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
    /// The HTTP content type of compound messages (the boundary parameter is added per message).
    static let multipartPrefix = "multipart/related"
    /// The SED envelope, prefix `sed`.
    static let sed = "urn:eessi:sedgate:sed:1"
    /// The prefix of node addresses in `wsa:From` and `wsa:To`.
    static let nodeURIPrefix = "urn:eessi:node:"
    /// The HTTP content type of protocol messages.
    static let contentType = "application/soap+xml; charset=utf-8"
    /// The path messages are posted to.
    static let messagesPath = "/sedgate/v1/messages"
    /// The path that answers "ok" while the server runs.
    static let healthPath = "/sedgate/v1/health"
}
