// QueueOperations+Node: the operator actions on the queue of the node a configuration file describes, for the
// `sedgate queue` verbs and the console's buttons alike.

import NodeSetup
import Operations
import Store

extension QueueOperations {
    /// The operator actions on the queue of the node `configuration` describes, through its journal.
    init(configuration: NodeConfiguration, journal: Journal) {
        let role: Role =
            switch configuration {
            case .accessPoint: .accessPoint
            case .coordinationNode: .coordinationNode
            }
        self.init(role: role, node: configuration.node, spool: configuration.spool, journal: journal)
    }
}
