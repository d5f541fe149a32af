// AccessPointFileTests: an access point's file read in process: every key of a full file lands where it should,
// and a minimal file gets the documented defaults.

import AccessPoint
import Batches
import Conversion
import Documents
import NodeSetup
import SedgateCore
import Spool
import Testing
import Transport

@Suite("An access point's configuration file")
struct AccessPointFileTests {
    /// Every key an access point reads, none at its default.
    static let full = """
        [node]
        id = "AP-BE"
        role = "ap"
        spool = "/srv/sedgate/ap-be"
        [server]
        host = "0.0.0.0"
        port = 28444
        max-body-mb = 32
        max-buffered-mb = 128
        max-connections = 100
        max-connections-per-peer = 10
        handshake-timeout-s = 5
        idle-timeout-s = 30
        [tls]
        certificate = "/pki/AP-BE.crt"
        private-key = "/pki/AP-BE.key"
        ca = "/pki/ca.crt"
        [cn]
        id = "CN"
        url = ["https://cn1:8443", "https://cn2:8443"]
        mode = "pull"
        poll-ms = 2000
        [intake]
        settle-ms = 250
        rescan-s = 0
        max-document-bytes = 1048576
        [inbound]
        template = "{sender}_{sedId}.xml"
        order-wait-s = 0
        takeup-scan-s = 60
        default-route = "inbound/other"
        [validation]
        rules = "\(ConfigurationText.repository)/etc/validation"
        outbound = "flag"
        [profiles.ub]
        mapping = "\(ConfigurationText.repository)/mappings/ub-periods-1.yaml"
        format = "cff"
        validation = "off"
        inbound-types = "U002, U003"
        [conversions]
        directory = "\(ConfigurationText.repository)/conversions"
        [retry]
        initial-ms = 100
        maximum-ms = 5000
        lifetime-hours = 48
        [journal]
        keep-days = 3
        [limits]
        min-free-mb = 128
        retry-after-s = 10
        [pack]
        max-seds = 10
        max-kb = 1024
        wait-ms = 5
        fragment-above-kb = 4096
        fragment-kb = 1024
        [routes]
        "DK" = "AP-DK"
        [directory]
        certificates = "/pki/access-points"
        database = "/srv/sedgate/directory.sqlite"
        cn-certificate = "/pki/the-cn.crt"
        poll-wait-s = 30
        [sync]
        timeout-s = 20
        [batch]
        max-entries = 100
        max-total-mb = 10
        max-ratio = 50
        [inbound-batches.nightly]
        profile = "ub"
        max-count = 500
        period-s = 3600
        [inbound-routes.pensions]
        sector = "PENSION, FAMILY"
        sed-type = "P2000"
        to = "batch:nightly"
        [inbound-routes.unknown]
        receiver = "BE:9999"
        to = "manual"
        [npap.web]
        port = 28500
        tokens = "pensions:0123456789abcdef"
        lease-s = 60
        [npap.database]
        host = "db.example"
        user = "sedgate"
        database = "npap"
        poll-ms = 500
        [log]
        format = "json"

        """

    @Test("a full file sets every value it names")
    func fullFile() throws {
        let (configuration, directory) = try ConfigurationText.load(Self.full, expecting: "ap")
        guard case .accessPoint(let ap) = configuration else {
            Issue.record("not an access point: \(configuration)")
            return
        }
        #expect(ap.node.rawValue == "AP-BE" && configuration.node == ap.node)
        #expect(ap.spool.root == "/srv/sedgate/ap-be")
        #expect(ap.host == "0.0.0.0" && ap.port == 28444)
        #expect(ap.serverLimits.maximumBodyBytes == 32 << 20 && ap.serverLimits.maximumBufferedBytes == 128 << 20)
        #expect(ap.serverLimits.maximumConnections == 100 && ap.serverLimits.maximumConnectionsPerPeer == 10)
        #expect(ap.serverLimits.handshakeTimeout == .seconds(5) && ap.serverLimits.idleTimeout == .seconds(30))
        #expect(ap.tls.certificatePath == "/pki/AP-BE.crt" && ap.tls.privateKeyPath == "/pki/AP-BE.key")
        #expect(ap.tls.trustRootsPath == "/pki/ca.crt")
        #expect(ap.coordinationNode.rawValue == "CN")
        #expect(ap.coordinationNodeURL == "https://cn1:8443")
        #expect(ap.coordinationNodeURLs == ["https://cn1:8443", "https://cn2:8443"])
        #expect(ap.pullInterval == .milliseconds(2_000))
        #expect(ap.settle == .milliseconds(250) && ap.rescan == .zero && ap.maxDocumentBytes == 1 << 20)
        #expect(ap.inboundTemplate.description == "{sender}_{sedId}.xml")
        #expect(ap.orderWait == .zero && ap.takeUpScan == .seconds(60))
        #expect(ap.validator != nil && ap.outboundValidation == .flag)
        #expect(ap.profiles.keys.sorted() == ["ub"])
        #expect(ap.profiles["ub"]?.format == .cff && ap.profiles["ub"]?.validation == .off)
        #expect(ap.profiles["ub"]?.inboundTypes == ["U002", "U003"])
        #expect(ap.retryInitial == .milliseconds(100) && ap.retryMaximum == .milliseconds(5_000))
        #expect(ap.lifetime == .seconds(48 * 3_600) && ap.retention == .seconds(3 * 86_400))
        #expect(ap.capacity.minFreeBytes == 128 << 20 && ap.capacity.retryAfter == .seconds(10))
        #expect(ap.capacity.maxQueued == nil)
        #expect(ap.packing.maxSEDs == 10 && ap.packing.maxBytes == 1 << 20 && ap.packing.wait == .milliseconds(5))
        #expect(ap.packing.fragmentAbove == 4 << 20 && ap.packing.fragmentSize == 1 << 20)
        #expect(ap.routes.destination(for: Address("DK:UDK")!)?.rawValue == "AP-DK")
        #expect(ap.routes.destination(for: Address("FR:CNAV")!) == nil)
        #expect(ap.certificates == "/pki/access-points")
        #expect(ap.syncTimeout == .seconds(20))
        #expect(ap.archiveLimits.maxEntries == 100 && ap.archiveLimits.maxTotalBytes == 10 << 20)
        #expect(ap.archiveLimits.maxRatio == 50)
        #expect(ap.inboundBatches["nightly"]?.profile == "ub" && ap.inboundBatches["nightly"]?.maxCount == 500)
        #expect(ap.inboundBatches["nightly"]?.period == .seconds(3_600))
        let rules = ap.inboundRouting.rules.sorted { $0.name < $1.name }
        #expect(rules.map(\.name) == ["pensions", "unknown"])
        #expect(rules.first?.sectors == ["PENSION", "FAMILY"] && rules.first?.sedTypes == ["P2000"])
        #expect(rules.first?.channel == .batch("nightly"))
        #expect(rules.last?.receivers == ["BE:9999"] && rules.last?.channel == .manual)
        #expect(ap.inboundRouting.defaultChannel == .inbound(folder: "other"))
        #expect(ap.webQueue?.port == 28500 && ap.webQueue?.tokens == ["0123456789abcdef": "pensions"])
        #expect(ap.webQueue?.host == "127.0.0.1" && ap.webQueue?.lease == .seconds(60))
        #expect(ap.databaseQueue?.host == "db.example" && ap.databaseQueue?.port == 5432)
        #expect(ap.databaseQueue?.user == "sedgate" && ap.databaseQueue?.database == "npap")
        #expect(ap.databaseQueue?.password == nil && ap.databaseQueue?.poll == .milliseconds(500))
        #expect(directory.role == "ap" && directory.node.rawValue == "AP-BE")
        #expect(directory.database == "/srv/sedgate/directory.sqlite")
        #expect(directory.coordinationNodeCertificate == "/pki/the-cn.crt")
        #expect(directory.conversions == "\(ConfigurationText.repository)/conversions")
        #expect(directory.pollWait == .seconds(30))
        #expect(ap.directoryCertificates == directory.sealingCertificates)
        #expect(directory.sealingCertificates == "/srv/sedgate/ap-be/var/directory/certificates")
    }

    @Test("a minimal file gets the documented defaults")
    func defaults() throws {
        let (configuration, directory) = try ConfigurationText.load(ConfigurationText.accessPoint)
        guard case .accessPoint(let ap) = configuration else {
            Issue.record("not an access point: \(configuration)")
            return
        }
        #expect(ap.host == "127.0.0.1" && ap.port == 1)
        #expect(ap.serverLimits.maximumBodyBytes == ServerLimits().maximumBodyBytes)
        #expect(ap.serverLimits.maximumConnections == ServerLimits().maximumConnections)
        #expect(ap.serverLimits.handshakeTimeout == .seconds(10) && ap.serverLimits.idleTimeout == .seconds(60))
        #expect(ap.coordinationNodeURLs == ["https://127.0.0.1:2"] && ap.coordinationNodeURL == "https://127.0.0.1:2")
        #expect(ap.pullInterval == nil, "push is the default mode")
        #expect(ap.settle == .milliseconds(500) && ap.rescan == .seconds(30) && ap.maxDocumentBytes == 16 << 20)
        #expect(ap.inboundTemplate.description == "{receiver}_{sedType}_{sedId}.xml")
        #expect(ap.orderWait == .seconds(600) && ap.takeUpScan == .seconds(300))
        #expect(ap.validator == nil && ap.outboundValidation == .reject)
        #expect(ap.profiles.isEmpty && ap.inboundBatches.isEmpty && !ap.inboundRouting.isConfigured)
        #expect(ap.retryInitial == .milliseconds(250) && ap.retryMaximum == .milliseconds(30_000))
        #expect(ap.lifetime == .seconds(720 * 3_600) && ap.retention == .seconds(90 * 86_400))
        #expect(ap.capacity.minFreeBytes == 64 << 20 && ap.capacity.retryAfter == .seconds(30))
        #expect(ap.packing.maxSEDs == 50 && ap.packing.maxBytes == 8_192 << 10 && ap.packing.wait == .zero)
        #expect(ap.packing.fragmentAbove == 8_192 << 10 && ap.packing.fragmentSize == 2_048 << 10)
        #expect(ap.certificates == "/pki", "the folder of [tls] ca")
        #expect(ap.syncTimeout == SyncDeadline.defaultTimeout)
        #expect(ap.archiveLimits == ArchiveLimits())
        #expect(ap.webQueue == nil && ap.databaseQueue == nil)
        #expect(directory.database == "/nonexistent/never-created/var/directory.sqlite")
        #expect(directory.coordinationNodeCertificate == "/pki/CN.crt", "the CN's certificate beside the CA's")
        #expect(directory.pollWait == .seconds(20))
    }

    @Test("a profile's format defaults to MTF and its validation to the node's")
    func profileDefaults() throws {
        let ap = try ConfigurationText.accessPoint(
            ConfigurationText.accessPoint + """
                [conversions]
                directory = "\(ConfigurationText.repository)/conversions"
                [profiles.claims]
                mapping = "\(ConfigurationText.repository)/mappings/ae-claims-1.yaml"

                """)
        #expect(ap.profiles["claims"]?.format == .mtf)
        #expect(ap.profiles["claims"]?.validation == nil && ap.profiles["claims"]?.inboundTypes == [])
    }
}
