// MessageHandler: what a ProtocolServer calls for each authenticated, decoded message.

/// Handles one protocol message the server received and decoded, from a peer already checked to be
/// the message's `from` node. Returns the reply: a receipt, or a fault message.
///
/// The handler must not throw: every failure is a fault the peer can act on (`Fault.code` says how).
public protocol MessageHandler: Sendable {
    /// Answers `message`, sent by `peer`, with a receipt or a fault message.
    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage
}
