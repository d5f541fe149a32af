// swift-tools-version:6.2
// sedgate: an EESSI gateway. One executable, two roles (access point, coordination node).

import PackageDescription

/// Settings every sedgate target shares: Swift 6 mode, the upcoming features STYLE.md asks for, no warnings.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "sedgate",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sedgate", targets: ["sedgate"]),
        // Benchmarks, the demo and its test PKI, run by `sedgate bench|demo|pki`; it links SedgateTesting, sedgate not.
        .executable(name: "sedgate-lab", targets: ["sedgate-lab"]),
        // The power-loss model of the tests, loaded with LD_PRELOAD (see PowerCut in SedgateTesting).
        .library(name: "SedgatePowerCut", type: .dynamic, targets: ["CPowerCut"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/LebJe/TOMLKit.git", from: "0.6.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // Already in the graph through Hummingbird; named so Transport may import HTTPTypes as it does.
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // C libraries, through pkg-config.
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        .systemLibrary(
            name: "CXMLSec",
            pkgConfig: "xmlsec1-openssl",
            providers: [.apt(["libxmlsec1-dev", "libxmlsec1-openssl"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        .systemLibrary(
            name: "CLibArchive",
            pkgConfig: "libarchive",
            providers: [.apt(["libarchive-dev"])]
        ),
        .systemLibrary(
            name: "CArgon2",
            pkgConfig: "libargon2",
            providers: [.apt(["libargon2-dev"])]
        ),
        .systemLibrary(
            name: "CLibXSLT",
            pkgConfig: "libexslt",
            providers: [.apt(["libxslt1-dev"])]
        ),

        // The few glibc calls Swift's Glibc module does not export (malloc tuning).
        .target(name: "CMalloc"),
        // An LD_PRELOAD interposer logging how to undo every unsynced file change, for power-cut tests. It replaces
        // libc's file calls, so no target may depend on it: it is only the SedgatePowerCut product.
        .target(name: "CPowerCut", linkerSettings: [.linkedLibrary("dl")]),

        // Value types and protocols. No I/O but the one durable write (DurableFile, Syscall) every file writer shares.
        .target(
            name: "SedgateCore",
            dependencies: [.product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // Spool directories: atomic enter, move, scan, inotify hints, file-name templates.
        .target(
            name: "Spool",
            dependencies: [
                "SedgateCore",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Safe XML (libxml2), SED documents and their envelopes, XSD validation.
        .target(
            name: "Documents",
            dependencies: ["SedgateCore", "CLibXML2"],
            resources: [.copy("Schemas")],
            swiftSettings: strict
        ),
        // The conversion function library: dates, exact decimals, code lists, regex, transliteration, and
        // XSLT (libxslt) with those functions registered, for XML ⇄ XML version migration.
        .target(
            name: "ConversionFunctions",
            dependencies: ["SedgateCore", "Documents", "CLibXML2", "CLibXSLT"],
            swiftSettings: strict
        ),
        // The mapping language: MTF / flat-file layouts and their binding to SED XML, both ways, streaming.
        .target(
            name: "Conversion",
            dependencies: [
                "SedgateCore", "Documents", "ConversionFunctions", "CLibXML2",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        // Compound SOAP 1.2 / MTOM files (streaming MIME writer and reader, XOP), gzip parts, fragments of
        // large payloads with their manifest.
        .target(
            name: "Packaging",
            dependencies: [
                "SedgateCore", "Documents", "CLibXML2", "CZlib",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // XML Signature and XML Encryption (libxmlsec1 with OpenSSL): WS-Security signing and verification,
        // end-to-end encryption of bodies for the destination's certificate.
        .target(
            name: "WSSecurity",
            dependencies: [
                "SedgateCore", "Documents", "CLibXML2", "CXMLSec",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The journal: SED ids, states, history, seen-set, queues (SQLite through GRDB).
        .target(
            name: "Store",
            dependencies: [
                "SedgateCore",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // A coordination node's journal, receipts and sealed SEDs in PostgreSQL (postgres-nio), shared by several CN
        // processes that take each destination in turn under an expiring lease; failover between database hosts.
        .target(
            name: "ClusterStore",
            dependencies: [
                "SedgateCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The AP ⇄ CN ⇄ AP protocol: SOAP 1.2 + WS-Addressing messages, HTTPS client and server, retries.
        .target(
            name: "Transport",
            dependencies: [
                "SedgateCore", "Documents", "Packaging", "WSSecurity",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Outbound batches: manifests, archives read as streams under limits (libarchive), batch ledgers and reports.
        .target(
            name: "Batches",
            dependencies: [
                "SedgateCore", "Spool", "CLibArchive",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // The EESSI directory: access points and institutions with their history, FTS5 search, bulk files, routing
        // from it, and its replication CN → APs over the protocol's mutual TLS (SQLite through GRDB).
        .target(
            name: "Directory",
            dependencies: [
                "SedgateCore", "Documents", "ConversionFunctions", "WSSecurity", "Transport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The access point: spool intake, journal, sender, receiver, inbound writer.
        .target(
            name: "AccessPoint",
            dependencies: [
                "SedgateCore", "Spool", "Documents", "Store", "Transport", "Conversion", "WSSecurity", "Packaging",
                "Batches",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The coordination node: store and forward, routing table, receipts relayed back.
        .target(
            name: "CoordinationNode",
            dependencies: [
                "SedgateCore", "Documents", "Store", "Transport", "Packaging", "Spool", "ClusterStore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // `sedgate conformance`: drives a node of any make through the protocol article's cases, rule by rule.
        .target(
            name: "Conformance",
            dependencies: [
                "SedgateCore", "Packaging", "WSSecurity", "Transport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // A node's TOML configuration file (TOMLKit): typed look-ups whose errors name the file, table and key.
        .target(
            name: "ConfigurationFile",
            dependencies: ["SedgateCore", .product(name: "TOMLKit", package: "TOMLKit")],
            swiftSettings: strict
        ),
        // Operating a node: Prometheus metrics and /health on the operator port, the log formats (human, JSON),
        // statistics that outlive the journal, alert rules with their command, webhook and e-mail delivery, and the
        // operator's actions on a queue (hold, release, expire, retry now).
        .target(
            name: "Operations",
            dependencies: [
                "SedgateCore", "Store", "Spool", "ConfigurationFile",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The operator console: its own port (`[console] listen`), server-rendered HTML, users and roles with
        // Argon2id passwords, sessions, CSRF tokens and an audit trail (SQLite through GRDB).
        .target(
            name: "Console",
            dependencies: [
                "SedgateCore", "Store", "Spool", "Operations", "Directory", "ConfigurationFile", "CArgon2",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The public directory site (FS-10, FS-11, FS-22): server-rendered, multilingual, read-only HTML over the
        // public copy of the directory (Hummingbird), its message catalogues in conversions/site/.
        .target(
            name: "PublicSite",
            dependencies: [
                "SedgateCore", "Directory", "ConfigurationFile", "Transport",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // A node's `etc/<node>.toml` read and checked into its role's configuration (access point or coordination
        // node), with its directory, cluster and sync settings; every error names the file, the table and the key.
        .target(
            name: "NodeSetup",
            dependencies: [
                "SedgateCore", "Spool", "Documents", "Transport", "AccessPoint", "CoordinationNode", "Conversion",
                "ConversionFunctions", "ConfigurationFile", "Batches", "Directory", "Operations", "Console",
                "PublicSite", "ClusterStore",
            ],
            swiftSettings: strict
        ),
        // What both executables share: errors as clean exits, standard error, columns, loading a mapping.
        .target(
            name: "CommandSupport",
            dependencies: [
                "SedgateCore", "Conversion", "ConversionFunctions",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict
        ),
        // The executable: argument parsing, configuration, the service group. It must not link SedgateTesting.
        .executableTarget(
            name: "sedgate",
            dependencies: [
                "SedgateCore", "Spool", "Documents", "Store", "Transport", "AccessPoint", "CoordinationNode",
                "Conversion", "ConversionFunctions", "WSSecurity", "Packaging", "CMalloc",
                "Conformance", "ConfigurationFile", "Batches", "Directory", "Operations", "Console", "PublicSite",
                "ClusterStore", "NodeSetup", "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The laboratory: `sedgate bench ...` (throughput, latency, packing, sealing, conversion, capacity, failover),
        // `sedgate demo` and `sedgate pki`, on SedgateTesting's topology launcher, sample SEDs and demo certificates.
        .executableTarget(
            name: "sedgate-lab",
            dependencies: [
                "SedgateCore", "Spool", "Documents", "Store", "Transport", "AccessPoint", "CoordinationNode",
                "SedgateTesting", "Conversion", "ConversionFunctions", "WSSecurity", "Packaging", "Directory",
                "NodeSetup", "CommandSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        // Test and demo support: temporary spools, demo certificates, a topology launcher, sample SEDs.
        .target(
            name: "SedgateTesting",
            dependencies: [
                "SedgateCore", "Spool", "CLibArchive",
                // The browser harness speaks WebDriver (JSON over HTTP) to chromedriver.
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "SedgateCoreTests", dependencies: ["SedgateCore"], swiftSettings: strict),
        .testTarget(
            name: "SpoolTests",
            dependencies: ["Spool", "SedgateTesting", "SedgateCore", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict),
        .testTarget(name: "DocumentsTests", dependencies: ["Documents", "SedgateCore"], swiftSettings: strict),
        .testTarget(name: "StoreTests", dependencies: ["Store", "SedgateCore"], swiftSettings: strict),
        .testTarget(
            name: "BatchesTests", dependencies: ["Batches", "CLibArchive", "SedgateTesting", "SedgateCore"],
            swiftSettings: strict),
        .testTarget(
            name: "DirectoryTests", dependencies: ["Directory", "SedgateCore", "SedgateTesting", "Transport"],
            swiftSettings: strict),
        // Fixtures are read through #filePath, not bundled.
        .testTarget(
            name: "ConversionFunctionsTests", dependencies: ["ConversionFunctions", "Documents", "SedgateCore"],
            exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "ConversionTests", dependencies: ["Conversion", "ConversionFunctions", "Documents", "SedgateCore"],
            exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "PackagingTests", dependencies: ["Packaging", "SedgateTesting", "Documents", "SedgateCore"],
            swiftSettings: strict),
        .testTarget(
            name: "WSSecurityTests", dependencies: ["WSSecurity", "SedgateTesting", "Documents", "SedgateCore"],
            swiftSettings: strict),
        .testTarget(
            name: "TransportTests",
            dependencies: [
                "Transport", "WSSecurity", "Packaging", "SedgateTesting", "Documents", "Store", "SedgateCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "AccessPointTests",
            dependencies: [
                "AccessPoint", "SedgateCore", "SedgateTesting", "Spool", "Store", "Transport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "CoordinationNodeTests",
            dependencies: [
                "CoordinationNode", "SedgateCore", "SedgateTesting", "Spool", "Store", "Transport", "Documents",
                "WSSecurity", .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        .testTarget(name: "ConformanceTests", dependencies: ["Conformance", "SedgateCore"], swiftSettings: strict),
        .testTarget(
            name: "OperationsTests", dependencies: ["Operations", "Store", "Spool", "SedgateTesting", "SedgateCore"],
            swiftSettings: strict),
        .testTarget(
            name: "NodeSetupTests",
            dependencies: [
                "NodeSetup", "AccessPoint", "CoordinationNode", "ClusterStore", "Spool", "Transport", "Batches",
                "Conversion", "Documents", "SedgateTesting", "SedgateCore",
            ],
            swiftSettings: strict),
        // Real headless Chromium (Debian's chromium-driver) through SedgateTesting's browser harness.
        // Fixtures are read through #filePath, not bundled.
        .testTarget(
            name: "BrowserTests",
            dependencies: [
                "SedgateTesting", "SedgateCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            exclude: ["Fixtures"], swiftSettings: strict),
        .testTarget(
            name: "PublicSiteTests", dependencies: ["PublicSite", "Directory", "SedgateCore", "SedgateTesting"],
            swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "SedgateCore", "SedgateTesting", "Spool", "Store", "Packaging", "Transport", "Conformance",
                "CLibArchive", "Operations", "ClusterStore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ],
            swiftSettings: strict
        ),
    ]
)

// The fuzz harness (`make fuzz`, Tests/Fuzz): a libFuzzer executable with one entry point per parser that takes
// outside bytes. Only in the graph when SEDGATE_FUZZ is set, built apart (`--scratch-path .build/fuzz`) with
// `-sanitize=fuzzer,address`: libFuzzer supplies its `main`, so a normal build must never see it.
if Context.environment["SEDGATE_FUZZ"] != nil {
    package.targets.append(
        .executableTarget(
            name: "SedgateFuzz",
            dependencies: [
                "SedgateCore", "Documents", "Packaging", "WSSecurity", "Transport", "Conversion", "ConversionFunctions",
                "SedgateTesting", "ConfigurationFile", "Batches",
            ],
            path: "Tests/Fuzz/Harness",
            swiftSettings: strict
        )
    )
}
