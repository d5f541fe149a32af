// AccessPointConfiguration: everything one access point needs to run, already validated.
// The executable builds it from `etc/<node>.toml`; tests build it directly.

public import Batches
public import Conversion
public import Documents
public import SedgateCore
public import Spool
public import Transport

/// The settings of one access point.
public struct AccessPointConfiguration: Sendable {
    /// This node's id (it must match the CN of its TLS certificate).
    public var node: NodeID
    /// The spool root, `spool/<node>`.
    public var spool: SpoolLayout
    /// Where the protocol server listens.
    public var host: String
    public var port: Int
    /// Certificate, key and CA for mutual TLS.
    public var tls: TLSFiles
    /// The coordination node: its id and base URL (`https://host:port`).
    public var coordinationNode: NodeID
    public var coordinationNodeURL: String
    /// Every address of the coordination node when it is a cluster of processes (the first is
    /// `coordinationNodeURL`): the access point fails over between them. Empty or one: a single CN.
    public var coordinationNodeURLs: [String] = []
    /// How long a closed-after-write file must stay unchanged before it is taken.
    public var settle: Duration
    /// Files larger than this are refused at intake.
    public var maxDocumentBytes: Int
    /// How inbound files are named, over envelope fields.
    public var inboundTemplate: FileNameTemplate
    /// Retry bounds towards the CN.
    public var retryInitial: Duration
    public var retryMaximum: Duration
    /// When to refuse deliveries from the CN and pause intake (free disk on the spool).
    public var capacity: Capacity
    /// Pull mode (FS-45): how often to ask the CN for SEDs when nothing waited; nil for push mode.
    public var pullInterval: Duration?
    /// Processing profiles, by the name of their `outbound/<profile>/` folder.
    public var profiles: [String: ConversionProfile]
    /// How long a SED may wait to be stored at the CN before it fails as expired.
    public var lifetime: Duration
    /// Content rules per SED type and version (XSD + Schematron); nil: the envelope schema only.
    public var validator: SEDValidator?
    /// What a rule violation does to an outbound SED. Inbound SEDs that break a rule are always refused.
    public var outboundValidation: ValidationPolicy

    /// Which access point serves each receiving institution: every SED is sealed for that AP's certificate.
    public var routes: any RouteLookup
    /// The folder of the other access points' certificates, `<AP-ID>.crt` (PEM, issued by the network's CA).
    public var certificates: String
    /// How the packer groups SEDs into one compound message.
    public var packing: PackingLimits
    /// How long a finished SED is remembered (and a duplicate of it recognised) before it is forgotten.
    public var retention: Duration
    /// How long a received SED waits for the SEDs before it in its conversation (lower `SeqNo`) before it lands
    /// without them; zero lands every SED as it arrives, in no particular order.
    public var orderWait: Duration
    /// How often every landed file is checked against the disk for take-up, besides the inotify hints: what a
    /// network-mounted `inbound/` or a take-up while the node was down needs.
    /// What peers' connections may hold of the protocol server (`[server]`).
    public var serverLimits = ServerLimits()
    public var takeUpScan: Duration
    /// How often `outbound/` is scanned in full besides inotify: files written there by another host over NFS or
    /// SMB raise no inotify event, so this is what takes them.
    public var rescan: Duration
    /// What an archive committed to `outbound/` may unpack to (`[batch]`).
    public var archiveLimits = ArchiveLimits()
    /// Which channel each received SED lands in (`[inbound-routes.*]`, `[inbound] default-route`).
    public var inboundRouting = InboundRouting()
    /// Inbound batches (`[inbound-batches.<name>]`): received SEDs routed to `batch:<name>`, collected into one
    /// flat file per count or period.
    public var inboundBatches: [String: InboundBatchProfile] = [:]
    /// The web-service queue for national applications (`[npap.web]`); nil: not served.
    public var webQueue: WebQueueSettings?
    /// The PostgreSQL queue for national applications (`[npap.database]`); nil: none.
    public var databaseQueue: DatabaseQueueSettings?
    /// Where the directory keeps the access points' current certificates (`<AP-ID>.crt`); asked before
    /// `certificates`. Nil: only `certificates`.
    public var directoryCertificates: String?
    /// Extra routes the protocol server answers besides messages (the directory's replication).
    public var protocolExtensions: [any ProtocolExtension] = []
    /// How long a synchronous request waits for its reply when it gives no `DueDate` (`[sync] timeout-s`).
    public var syncTimeout = SyncDeadline.defaultTimeout

    public init(
        node: NodeID, spool: SpoolLayout, host: String, port: Int, tls: TLSFiles, coordinationNode: NodeID,
        coordinationNodeURL: String, settle: Duration = .milliseconds(500), maxDocumentBytes: Int = 16 << 20,
        inboundTemplate: FileNameTemplate, retryInitial: Duration = .milliseconds(250),
        retryMaximum: Duration = .seconds(30), capacity: Capacity = Capacity(), validator: SEDValidator? = nil,
        outboundValidation: ValidationPolicy = .reject, lifetime: Duration = .seconds(30 * 86_400),
        profiles: [String: ConversionProfile] = [:], pullInterval: Duration? = nil, routes: any RouteLookup,
        certificates: String, packing: PackingLimits = PackingLimits(), retention: Duration = .seconds(90 * 86_400),
        orderWait: Duration = .seconds(600), takeUpScan: Duration = .seconds(300), rescan: Duration = .seconds(30)
    ) {
        self.rescan = rescan
        self.takeUpScan = takeUpScan
        self.retention = retention
        self.orderWait = orderWait
        self.routes = routes
        self.certificates = certificates
        self.packing = packing
        self.node = node
        self.spool = spool
        self.host = host
        self.port = port
        self.tls = tls
        self.coordinationNode = coordinationNode
        self.coordinationNodeURL = coordinationNodeURL
        self.settle = settle
        self.maxDocumentBytes = maxDocumentBytes
        self.inboundTemplate = inboundTemplate
        self.retryInitial = retryInitial
        self.retryMaximum = retryMaximum
        self.capacity = capacity
        self.validator = validator
        self.outboundValidation = outboundValidation
        self.lifetime = lifetime
        self.profiles = profiles
        self.pullInterval = pullInterval
    }
}

/// A processing profile: files committed to `outbound/<name>/` are flat files converted with `mapping`.
/// With `inboundTypes`, inbound SEDs of those types are written back as flat files with the same mapping.
public struct ConversionProfile: Sendable {
    public var mapping: Mapping
    public var format: FlatProfile
    /// SED types (e.g. `U017`) that land in `inbound/` as flat files of this profile instead of XML.
    public var inboundTypes: Set<String>
    /// What a content-rule violation does to this profile's SEDs; nil: the node's `outboundValidation`.
    public var validation: ValidationPolicy?

    public init(
        mapping: Mapping, format: FlatProfile, inboundTypes: Set<String> = [], validation: ValidationPolicy? = nil
    ) {
        self.mapping = mapping
        self.format = format
        self.inboundTypes = inboundTypes
        self.validation = validation
    }
}

extension AccessPointConfiguration {
    /// The profile that writes inbound SEDs of `sedType` back as flat files, if one asks to.
    public func inboundProfile(for sedType: String) -> ConversionProfile? {
        profiles.values.first { $0.inboundTypes.contains(sedType) }
    }

    /// The profile that writes this received SED back as a flat file: the one its route names (`profile:<name>`),
    /// or, when it lands in `inbound/` itself, the one whose `inbound-types` list its type.
    public func inboundProfile(for envelope: Envelope) -> ConversionProfile? {
        switch inboundRouting.route(envelope).channel {
        case .profile(let name): profiles[name]
        case .inbound(folder: nil): inboundProfile(for: envelope.sedType)
        default: nil
        }
    }
}
