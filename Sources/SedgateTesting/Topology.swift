// Topology: a CN and access points as real `sedgate` processes on loopback, for end-to-end tests,
// `sedgate demo` and `sedgate bench`. Writes configurations, certificates and logs under one directory;
// starts, kills (SIGKILL) and restarts nodes.

import Foundation
import Glibc
import SedgateCore
public import Spool
import Synchronization

/// A running (or startable) set of sedgate nodes.
public final class Topology: @unchecked Sendable {
    /// One node of the topology.
    public struct Node: Sendable {
        public let id: String
        public let role: String
        public let config: String
        public let spool: SpoolLayout
        public let port: Int

        public init(id: String, role: String, config: String, spool: SpoolLayout, port: Int) {
            self.id = id
            self.role = role
            self.config = config
            self.spool = spool
            self.port = port
        }
    }

    public let directory: String
    public let executable: String
    public let nodes: [Node]
    private let lock = NSLock()
    private var processes: [String: SpawnedProcess] = [:]
    /// The relays between the CN and each relayed access point (both directions), for network cuts.
    private var relays: [String: [TCPRelay]] = [:]

    /// Uses existing configuration files (e.g. `etc/demo/*.toml`); `ports` and `spools` are read from them by the caller.
    public init(directory: String, executable: String, nodes: [Node]) {
        self.directory = directory
        self.executable = executable
        self.nodes = nodes
    }

    /// Writes a fresh topology under `directory`: a CN and one access point per entry of `accessPoints`
    /// (node id → the country it serves), certificates, configurations with free loopback ports.
    /// `coordinationNodeSettings` is TOML appended to the CN's file (e.g. a `[limits]` table), and
    /// `accessPointSettings` to each access point's. Access points in `pullAccessPoints` poll the CN (pull mode).
    /// Traffic between the CN and the access points in `relayedAccessPoints` passes through a `TCPRelay` each
    /// way, which `cut(_:)` and `restore(_:)` break and mend. `orderWaitSeconds` sets the access points'
    /// `[inbound] order-wait-s` (how long a SED waits for earlier ones of its conversation), `takeUpScanSeconds`
    /// their `[inbound] takeup-scan-s`, `rescanSeconds` their `[intake] rescan-s`. With `routes` false no node has a
    /// `[routes]` entry: they route by the directory alone.
    public convenience init(
        directory: String, executable: String,
        accessPoints: [(id: String, country: String)] = [("AP-BE", "BE"), ("AP-DK", "DK")],
        settleMilliseconds: Int = 200, inboundTemplate: String = "{receiver}_{sedType}_{sedId}.xml",
        coordinationNodeSettings: String = "", accessPointSettings: String = "",
        coordinationNodeLifetimeHours: Int = 720, pullAccessPoints: Set<String> = [],
        relayedAccessPoints: Set<String> = [], orderWaitSeconds: Int? = nil, takeUpScanSeconds: Int? = nil,
        rescanSeconds: Int? = nil, routes writeRoutes: Bool = true
    ) throws {
        var relays: [String: [TCPRelay]] = [:]
        let pki = directory + "/pki"
        try PKI.copyShared(into: pki, nodes: ["CN"] + accessPoints.map(\.id))
        let cnPort = try Topology.freePort()
        var nodes: [Node] = []
        var peers = ""
        var routes = ""
        // Access points seal each SED for the AP that serves its receiver: they know the same routes as the CN.
        let accessPointRoutes =
            writeRoutes ? accessPoints.map { "\"\($0.country)\" = \"\($0.id)\"" }.joined(separator: "\n") : ""
        for ap in accessPoints {
            let port = try Topology.freePort()
            var cnPortSeen = cnPort
            var portSeen = port
            if relayedAccessPoints.contains(ap.id) {
                let towardsCN = try TCPRelay(target: cnPort)
                let towardsAP = try TCPRelay(target: port)
                relays[ap.id] = [towardsCN, towardsAP]
                cnPortSeen = towardsCN.port
                portSeen = towardsAP.port
            }
            let spool = "\(directory)/spool/\(ap.id.lowercased())"
            let config = "\(directory)/\(ap.id.lowercased()).toml"
            try Topology.write(
                """
                [node]
                id = "\(ap.id)"
                role = "ap"
                spool = "\(spool)"

                [server]
                host = "127.0.0.1"
                port = \(port)

                [tls]
                certificate = "\(pki)/\(ap.id).crt"
                private-key = "\(pki)/\(ap.id).key"
                ca = "\(pki)/ca.crt"

                [cn]
                id = "CN"
                url = "https://127.0.0.1:\(cnPortSeen)"
                \(pullAccessPoints.contains(ap.id) ? "mode = \"pull\"\npoll-ms = 100" : "")

                [intake]
                settle-ms = \(settleMilliseconds)
                \(rescanSeconds.map { "rescan-s = \($0)" } ?? "")

                [inbound]
                template = "\(inboundTemplate)"
                \(orderWaitSeconds.map { "order-wait-s = \($0)" } ?? "")
                \(takeUpScanSeconds.map { "takeup-scan-s = \($0)" } ?? "")

                [retry]
                initial-ms = 100
                maximum-ms = 1000

                [routes]
                \(accessPointRoutes)

                \(accessPointSettings)
                """, to: config)
            nodes.append(Node(id: ap.id, role: "ap", config: config, spool: SpoolLayout(root: spool), port: port))
            let address = pullAccessPoints.contains(ap.id) ? "pull" : "https://127.0.0.1:\(portSeen)"
            peers += "\"\(ap.id)\" = \"\(address)\"\n"
            if writeRoutes { routes += "\"\(ap.country)\" = \"\(ap.id)\"\n" }
        }
        let cnSpool = "\(directory)/spool/cn"
        let cnConfig = "\(directory)/cn.toml"
        try Topology.write(
            """
            [node]
            id = "CN"
            role = "cn"
            spool = "\(cnSpool)"

            [server]
            host = "127.0.0.1"
            port = \(cnPort)

            [tls]
            certificate = "\(pki)/CN.crt"
            private-key = "\(pki)/CN.key"
            ca = "\(pki)/ca.crt"

            [retry]
            initial-ms = 100
            maximum-ms = 1000
            lifetime-hours = \(coordinationNodeLifetimeHours)

            [peers]
            \(peers)
            [routes]
            \(routes)
            \(coordinationNodeSettings)
            \(try Self.postgresSettings(besides: coordinationNodeSettings))
            """, to: cnConfig)
        nodes.insert(
            Node(id: "CN", role: "cn", config: cnConfig, spool: SpoolLayout(root: cnSpool), port: cnPort), at: 0)
        self.init(directory: directory, executable: executable, nodes: nodes)
        self.relays = relays
    }

    /// Cuts the network between the CN and access point `id` (which must be relayed): connections break, new
    /// ones are refused, both nodes keep running.
    public func cut(_ id: String) {
        for relay in lock.withLock({ relays[id] ?? [] }) { relay.cut() }
    }

    /// Mends the cut made by `cut(_:)`.
    public func restore(_ id: String) {
        for relay in lock.withLock({ relays[id] ?? [] }) { relay.restore() }
    }

    /// The node named `id`.
    public func node(_ id: String) -> Node {
        guard let node = nodes.first(where: { $0.id == id }) else {
            preconditionFailure("no node \(id) in this topology")
        }
        return node
    }

    /// A Unix user to run a node as (through setpriv, which needs root), with the capabilities it keeps.
    public struct User: Sendable {
        public var name: String
        public var group: String
        /// Capability names without `CAP_`, lower case (e.g. `lease`), kept across the switch as ambient ones.
        public var capabilities: [String]

        public init(_ name: String, group: String, capabilities: [String] = []) {
            self.name = name
            self.group = group
            self.capabilities = capabilities
        }
    }

    /// Starts a node (its output is appended to `<directory>/<id>.log`) and waits until it listens. `environment`,
    /// when given, replaces the inherited one (e.g. `PowerCut.environment(log:root:library:)`); `user` runs it as
    /// another Unix user (the caller makes its files that user's).
    public func start(
        _ id: String, environment: [String: String]? = nil, as user: User? = nil, timeout: Duration = .seconds(30)
    ) async throws {
        let node = node(id)
        let executableURL: String
        let arguments: [String]
        if let user {
            // setpriv execs the node: the process (and its pid, for kill) is the node's.
            var switching = ["--reuid=\(user.name)", "--regid=\(user.group)", "--clear-groups"]
            if !user.capabilities.isEmpty {
                let capabilities = user.capabilities.map { "+\($0)" }.joined(separator: ",")
                switching += ["--inh-caps=\(capabilities)", "--ambient-caps=\(capabilities)"]
            }
            executableURL = "/usr/bin/setpriv"
            arguments = switching + ["--", executable, node.role, "--config", node.config]
        } else {
            executableURL = executable
            arguments = [node.role, "--config", node.config]
        }
        let logPath = "\(directory)/\(id.lowercased()).log"
        // Not Foundation's Process: see SpawnedProcess.
        let process = try SpawnedProcess(
            executable: executableURL, arguments: arguments, environment: environment, logPath: logPath)
        lock.withLock { processes[id] = process }
        try await Wait.until("\(id) to listen on port \(node.port) (see \(logPath))", timeout: timeout) {
            guard process.isRunning else {
                throw SedgateError(.io, "\(id) exited with status \(process.terminationStatus); see \(logPath)")
            }
            return Topology.isListening(port: node.port)
        }
    }

    /// Starts every node, the CN first.
    public func startAll() async throws {
        for node in nodes { try await start(node.id) }
    }

    /// Kills a node with SIGKILL (no chance to clean up), and waits for it to exit.
    public func kill(_ id: String) async {
        await kill(id, signal: SIGKILL)
    }

    /// Sends `signal` to a node and waits for it to exit (without blocking a thread; see `ChildProcess`).
    /// A node that has not exited 30 s after a gentler signal is killed.
    public func kill(_ id: String, signal: Int32) async {
        guard let process = lock.withLock({ processes.removeValue(forKey: id) }) else { return }
        if process.isRunning { Glibc.kill(process.processIdentifier, signal) }
        let deadline = ContinuousClock.now + .seconds(30)
        while process.isRunning {
            if ContinuousClock.now > deadline { Glibc.kill(process.processIdentifier, SIGKILL) }
            try? await Task.sleep(for: .milliseconds(5))
        }
    }

    /// Stops every node gracefully (SIGTERM), the CN last, and waits until they have exited.
    public func stopAll() async {
        for node in nodes.reversed() { await kill(node.id, signal: SIGTERM) }
    }

    /// Kills every node still running with SIGKILL and returns at once: the clean-up for a `defer`, where
    /// nothing can be awaited. A test that reads a node's files afterwards calls `stopAll()` first.
    public func abandon() {
        let running = lock.withLock {
            let all = Array(processes.values)
            processes.removeAll()
            return all
        }
        for process in running where process.isRunning { Glibc.kill(process.processIdentifier, SIGKILL) }
    }

    /// The process id of a running node.
    public func pid(_ id: String) -> Int32? {
        lock.withLock { processes[id]?.processIdentifier }
    }

    deinit {
        for relay in relays.values.joined() { relay.stop() }
        for process in processes.values where process.isRunning {
            Glibc.kill(process.processIdentifier, SIGKILL)
        }
    }

    // MARK: - Helpers

    /// A free TCP port on 127.0.0.1 for a server a test starts (or restarts after a kill). Taken below the kernel's
    /// ephemeral range, so no outgoing connection of any test can hold it as its source port in the moment a node
    /// is (re)started; never the same twice in one test process, so two topologies starting at once never share
    /// one; and free when handed out (a bind succeeds).
    public static func freePort() throws -> Int {
        let range = lowPortRange()
        for _ in 0..<range.count {
            let port = portCursor.withLock { cursor in
                defer { cursor = cursor + 1 < range.upperBound ? cursor + 1 : range.lowerBound }
                return cursor
            }
            if canBind(port) { return port }
        }
        throw SedgateError(.io, "no free port on 127.0.0.1 in \(range)")
    }

    /// 20000 up to the start of the ephemeral range (`net.ipv4.ip_local_port_range`), where only listeners live.
    static func lowPortRange() -> Range<Int> {
        let text = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8)) ?? ""
        let ephemeral = text.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } ?? 32_768
        return ephemeral > 21_000 ? 20_000..<ephemeral : 40_000..<60_000
    }

    /// Where the next port is looked for: a random start, so test processes running side by side (other
    /// checkouts) seldom meet.
    private static let portCursor = Mutex(Int.random(in: lowPortRange()))

    private static func canBind(_ port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }

    /// Whether something accepts TCP connections on 127.0.0.1:`port`.
    public static func isListening(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        return result == 0
    }

    static func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
