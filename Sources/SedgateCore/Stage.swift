// Stage: one typed step of a pipeline (STYLE.md rule 3). Stages never move spool files; the queue manager does.

public import Logging

/// What a stage may know about the run it is part of.
public struct StageContext: Sendable {
    /// The node running the stage.
    public var node: NodeID
    /// Where the input came from, as the user names it (e.g. `outbound/claim.xml`).
    public var source: String
    /// A logger carrying the item's metadata.
    public var logger: Logger

    public init(node: NodeID, source: String, logger: Logger) {
        self.node = node
        self.source = source
        self.logger = logger
    }
}

/// One step of a pipeline: takes an `Input`, returns an `Output`, or throws a reasoned `SedgateError`.
public protocol Stage<Input, Output>: Sendable {
    associatedtype Input
    associatedtype Output
    func process(_ input: Input, context: StageContext) async throws(SedgateError) -> Output
}
