// CoordinationNodeFileTests: a coordination node's file read in process: peers, routes, limits and its `[cluster]`
// (the PostgreSQL database its processes share), and the defaults of a minimal file.

import ClusterStore
import CoordinationNode
import NodeSetup
import SedgateCore
import Spool
import Testing
import Transport

@Suite("A coordination node's configuration file")
struct CoordinationNodeFileTests {
    /// Every key a coordination node reads, none at its default.
    static let full = """
        [node]
        id = "CN"
        role = "cn"
        spool = "/srv/sedgate/cn"
        [server]
        host = "0.0.0.0"
        port = 28443
        max-connections = 2000
        [tls]
        certificate = "/pki/CN.crt"
        private-key = "/pki/CN.key"
        ca = "/pki/ca.crt"
        [peers]
        "AP-BE" = "https://127.0.0.1:28444"
        "AP-DK" = "https://127.0.0.1:28445"
        [routes]
        "BE" = "AP-BE"
        "DK:UDK" = "AP-DK"
        [limits]
        max-queued = 5000
        min-free-mb = 10
        retry-after-s = 5
        [retry]
        initial-ms = 500
        maximum-ms = 60000
        lifetime-hours = 24
        [journal]
        keep-days = 2
        [pack]
        max-seds = 20
        [directory]
        poll-wait-s = 10
        [cluster]
        database = ["postgres://sedgate:secret@db1/cn", "postgres://sedgate@db2:5433/cn"]
        lease-ms = 2000
        holder = "cn-a"
        connections = 8
        statement-timeout-ms = 5000
        connect-timeout-ms = 1500
        connection-wait-ms = 20000

        """

    @Test("a full file sets every value it names, its [cluster] included")
    func fullFile() throws {
        let (configuration, directory) = try ConfigurationText.load(Self.full, expecting: "cn")
        guard case .coordinationNode(let cn) = configuration else {
            Issue.record("not a coordination node: \(configuration)")
            return
        }
        #expect(cn.node.rawValue == "CN" && cn.spool.root == "/srv/sedgate/cn")
        #expect(cn.host == "0.0.0.0" && cn.port == 28443 && cn.serverLimits.maximumConnections == 2_000)
        #expect(cn.tls.certificatePath == "/pki/CN.crt" && configuration.tls.privateKeyPath == "/pki/CN.key")
        #expect(cn.peers == [NodeID("AP-BE")!: "https://127.0.0.1:28444", NodeID("AP-DK")!: "https://127.0.0.1:28445"])
        #expect(cn.routes.destination(for: Address("BE:INAMI")!)?.rawValue == "AP-BE")
        #expect(cn.routes.destination(for: Address("DK:UDK")!)?.rawValue == "AP-DK")
        #expect(cn.routes.destination(for: Address("DK:OTHER")!) == nil)
        #expect(cn.capacity.maxQueued == 5_000 && cn.capacity.minFreeBytes == 10 << 20)
        #expect(cn.capacity.retryAfter == .seconds(5))
        #expect(cn.retryInitial == .milliseconds(500) && cn.retryMaximum == .milliseconds(60_000))
        #expect(cn.lifetime == .seconds(24 * 3_600) && cn.retention == .seconds(2 * 86_400))
        #expect(cn.packing.maxSEDs == 20)
        let cluster = try #require(cn.cluster)
        #expect(
            cluster.endpoints.map(\.description) == [
                "postgres://sedgate@db1:5432/cn", "postgres://sedgate@db2:5433/cn",
            ])
        #expect(cluster.endpoints.first?.password == "secret")
        #expect(cluster.lease == .milliseconds(2_000) && cluster.holder == "cn-a" && cluster.connections == 8)
        #expect(cluster.statementTimeout == .seconds(5) && cluster.connectTimeout == .milliseconds(1_500))
        #expect(cluster.connectionWait == .seconds(20))
        #expect(directory.role == "cn" && directory.pollWait == .seconds(10))
        #expect(directory.coordinationNodeCertificate == "/pki/CN.crt", "the CN signs with its own certificate")
    }

    @Test("a minimal file gets the documented defaults, and no [cluster] keeps the journal in SQLite")
    func defaults() throws {
        let cn = try ConfigurationText.coordinationNode(ConfigurationText.coordinationNode)
        #expect(cn.cluster == nil)
        #expect(cn.capacity.maxQueued == 1_000_000 && cn.capacity.minFreeBytes == 64 << 20)
        #expect(cn.retryInitial == .milliseconds(250) && cn.retryMaximum == .milliseconds(30_000))
        #expect(cn.lifetime == .seconds(720 * 3_600) && cn.retention == .seconds(90 * 86_400))
        #expect(cn.serverLimits.maximumBodyBytes == ServerLimits().maximumBodyBytes)
        #expect(cn.routes.destination(for: Address("BE:INAMI")!) == nil)
    }

    @Test("a [cluster] with one database URL and no holder gets a holder of its own and the default lease")
    func clusterDefaults() throws {
        let cn = try ConfigurationText.coordinationNode(
            ConfigurationText.coordinationNode + "[cluster]\ndatabase = \"postgres://sedgate@db1/cn\"\n")
        let cluster = try #require(cn.cluster)
        #expect(cluster.endpoints.map(\.description) == ["postgres://sedgate@db1:5432/cn"])
        #expect(cluster.lease == .seconds(5) && cluster.connections == 4 && !cluster.holder.isEmpty)
        #expect(cluster.statementTimeout == .seconds(30) && cluster.connectTimeout == .seconds(3))
        #expect(cluster.connectionWait == .seconds(60))
    }
}
