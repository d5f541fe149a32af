// Topology+Cluster: a topology whose coordination node is a cluster: several `sedgate cn` processes ("CN",
// "CN2", ...) on one PostgreSQL database, each with its own port and spool, and access points that list every
// process's URL (`[cn] url = [...]`) and fail over between them.

import Foundation
import Spool

extension Topology {
    /// Writes a topology like `init(directory:executable:...)` does, whose CN runs as `processes` processes sharing
    /// the database at `database` (URLs, the primary first). `coordinationNodeSettings` is appended to every CN
    /// process's file after its `[cluster]` table, `accessPointSettings` to each access point's; `leaseMilliseconds` is the
    /// cluster's `lease-ms`. Access points in `pullAccessPoints` poll the CN processes (pull mode).
    public static func cluster(
        directory: String, executable: String, database: [String], processes: Int = 2, leaseMilliseconds: Int = 2_000,
        accessPoints: [(id: String, country: String)] = [("AP-BE", "BE"), ("AP-DK", "DK")],
        coordinationNodeSettings: String = "", accessPointSettings: String = "", pullAccessPoints: Set<String> = [],
        orderWaitSeconds: Int? = nil
    ) throws -> Topology {
        let list = database.map { "\"\($0)\"" }.joined(separator: ", ")
        let base = try Topology(
            directory: directory, executable: executable, accessPoints: accessPoints,
            coordinationNodeSettings: """
                [cluster]
                database = [\(list)]
                lease-ms = \(leaseMilliseconds)
                \(coordinationNodeSettings)
                """, accessPointSettings: accessPointSettings, pullAccessPoints: pullAccessPoints,
            orderWaitSeconds: orderWaitSeconds)
        let first = base.node("CN")
        let text = try String(contentsOfFile: first.config, encoding: .utf8)
        var processNodes = [first]
        for index in 2...max(2, processes) where index <= processes {
            let port = try Topology.freePort()
            let spool = "\(directory)/spool/cn\(index)"
            let config = "\(directory)/cn\(index).toml"
            try Topology.write(
                text.replacingOccurrences(of: "port = \(first.port)\n", with: "port = \(port)\n")
                    .replacingOccurrences(of: "spool = \"\(first.spool.root)\"", with: "spool = \"\(spool)\""),
                to: config)
            processNodes.append(
                Node(id: "CN\(index)", role: "cn", config: config, spool: SpoolLayout(root: spool), port: port))
        }
        let urls = processNodes.map { "\"https://127.0.0.1:\($0.port)\"" }.joined(separator: ", ")
        for node in base.nodes where node.role == "ap" {
            let apText = try String(contentsOfFile: node.config, encoding: .utf8)
            try Topology.write(
                apText.replacingOccurrences(
                    of: "url = \"https://127.0.0.1:\(first.port)\"", with: "url = [\(urls)]"), to: node.config)
        }
        return Topology(
            directory: directory, executable: executable,
            nodes: processNodes + base.nodes.filter { $0.role == "ap" })
    }
}
