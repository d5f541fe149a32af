// DirectoryBench: `sedgate bench directory`: a generated file of N institutions (names in several languages, Greek
// and Cyrillic among them) imported into a fresh master; routing look-ups, searches, and replication to an empty
// replica and of one change, over real mutual TLS on loopback. A measurement, not a test.

import ArgumentParser
import CommandSupport
import ConversionFunctions
import Directory
import Foundation
import Logging
import SedgateCore
import SedgateTesting
import ServiceLifecycle
import Transport

/// `sedgate bench directory [--institutions N]`.
struct DirectoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "directory",
        abstract: "Directory: import time, routing look-up and search percentiles, replication times.")
    @Option(help: "How many institutions to generate.")
    var institutions = 100_000
    @Option(help: "How many single changes to replicate for the latency figure.")
    var changes = 20
    @Option(help: "The conversions folder (schema, synonyms, transliteration).")
    var conversions: String?

    func run() async throws {
        let folder = NSTemporaryDirectory() + "sedgate-bench-directory-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let conversionsFolder = try exitOnError { () throws(SedgateError) in
            try ConversionsDirectory.find(configured: conversions)
        }
        let schema = try exitOnError { () throws(SedgateError) in
            try DirectorySchema.load(conversionsFolder + "/directory/schema.json")
        }
        let text = try exitOnError { () throws(SedgateError) in try SearchText(conversions: conversionsFolder) }
        func open(_ name: String) throws -> DirectoryStore {
            try exitOnError { () throws(SedgateError) in
                try DirectoryStore(path: "\(folder)/\(name).sqlite", schema: schema, text: text)
            }
        }
        let pki = folder + "/pki"
        try exitOnError { () throws(SedgateError) in try PKI.generate(in: pki, nodes: ["CN", "AP-BENCH"]) }

        // The file.
        let file = folder + "/institutions.csv"
        var generator = DirectoryBenchData(seed: 42)
        let (csv, addresses) = generator.file(institutions: institutions)
        try csv.write(toFile: file, atomically: true, encoding: .utf8)
        let megabytes = Double(csv.utf8.count) / 1_048_576

        // Import: read, check every line, apply in one transaction.
        let master = try open("master")
        var started = ContinuousClock.now
        let contents = DirectoryFile.read(Array(csv.utf8), format: .csv, source: file)
        let proposals = contents.entries.map { DirectoryProposal.set($0.entry) }
        let problems = try exitOnError { () throws(SedgateError) in try master.problems(proposals) }
        guard contents.problems.isEmpty && problems.isEmpty else {
            printError(
                "sedgate: the generated file has problems: \(contents.problems.first ?? (0, "")) \(problems.first ?? (0, ""))"
            )
            throw ExitCode(1)
        }
        _ = try exitOnError { () throws(SedgateError) in
            try master.apply(proposals, who: "bench", why: "bench import")
        }
        let importSeconds = seconds(ContinuousClock.now - started)

        // Routing look-ups.
        let routes = DirectoryRoutes()
        routes.load(try exitOnError { () throws(SedgateError) in try master.routes() })
        var lookups: [Duration] = []
        for index in 0..<100_000 {
            let address = Address(addresses[(index &* 7_919) % addresses.count] + ":OFFICE\(index % 10)")!
            let begin = ContinuousClock.now
            let found = routes.destination(for: address)
            lookups.append(ContinuousClock.now - begin)
            if found == nil { throw ValidationError("no route for \(address)") }
        }

        // Searches: names in Latin form, partial words, synonyms, attributes.
        let queries = generator.queries(count: 1_000)
        var searches: [Duration] = []
        var hits = 0
        for (index, words) in queries.enumerated() {
            let query = DirectoryQuery(
                text: words, country: index % 4 == 0 ? "DE" : nil, attributes: index % 5 == 0 ? ["sector": "S"] : [:])
            let begin = ContinuousClock.now
            let results = try exitOnError { () throws(SedgateError) in try master.search(query) }
            searches.append(ContinuousClock.now - begin)
            if !results.isEmpty { hits += 1 }
        }

        // Replication over mutual TLS on loopback.
        let logger = Logger(label: "bench")
        let key = try Data(contentsOf: URL(fileURLWithPath: pki + "/CN.key"))
        let tls = { (node: String) in
            TLSFiles(
                certificatePath: "\(pki)/\(node).crt", privateKeyPath: "\(pki)/\(node).key",
                trustRootsPath: "\(pki)/ca.crt")
        }
        let server = try exitOnError { () throws(SedgateError) in
            try ProtocolServer(
                host: "127.0.0.1", port: 0, tls: tls("CN"), handler: BenchNoMessages(), logger: logger,
                extensions: [DirectoryMaster(store: master, node: NodeID("CN")!, keyPEM: key, logger: logger)])
        }
        let client = try exitOnError { () throws(SedgateError) in
            try ProtocolClient(tls: tls("AP-BENCH"), logger: logger)
        }
        var fullSeconds = 0.0
        var latencies: [Duration] = []
        let replicaStore = try open("replica")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run() }
            guard let port = await server.listeningPort() else { throw ExitCode(1) }
            let replica = DirectoryReplica(
                store: replicaStore, client: client, coordinationNodeURL: "https://127.0.0.1:\(port)",
                signerCertificate: pki + "/CN.crt", wait: .seconds(20), logger: logger)
            started = ContinuousClock.now
            do {
                try await replica.synchronise()
            } catch {
                printError("sedgate: replication failed: \(error)")
                throw ExitCode(1)
            }
            fullSeconds = seconds(ContinuousClock.now - started)
            // One change at a time, the replica long-polling as an AP does.
            group.addTask { try await replica.runPolling() }
            for index in 0..<changes {
                var entry = try exitOnError { () throws(SedgateError) in try master.entry(addresses[index]) }!
                entry.fields["phone"] = ["+49 \(index)"]
                let begin = ContinuousClock.now
                let serial = try exitOnError { () throws(SedgateError) in
                    try master.apply([.set(entry)], who: "bench", why: "one change")
                }
                while (try exitOnError { () throws(SedgateError) in try replicaStore.serial() }) < serial {
                    try await Task.sleep(for: .milliseconds(1))
                }
                latencies.append(ContinuousClock.now - begin)
            }
            group.cancelAll()
        }
        await client.shutdown()

        print(
            "sedgate bench directory: \(institutions) institutions (\(String(format: "%.1f", megabytes)) MB CSV; names in"
        )
        print("  German, French, Greek, Bulgarian, Polish, ...; Greek and Cyrillic ones transliterated for search)")
        print(
            String(
                format: "import (read, check, apply, index):    %.1f s  (%.0f entries/s)", importSeconds,
                Double(institutions) / importSeconds))
        print(
            "routing look-up, 100000 at \(routes.count) institutions: p50 \(micro(lookups, 0.5))  p99 \(micro(lookups, 0.99))"
        )
        print(
            "search, \(queries.count) queries (\(hits) with hits):     p50 \(milli(searches, 0.5))  p99 \(milli(searches, 0.99))"
        )
        print(String(format: "full replication to an empty AP:        %.1f s", fullSeconds))
        print(
            "one change's replication, \(changes) changes:   p50 \(milli(latencies, 0.5))  max \(milli(latencies, 1.0))"
        )
    }

    private func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    private func percentile(_ values: [Duration], _ fraction: Double) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        return seconds(sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction))])
    }

    private func micro(_ values: [Duration], _ fraction: Double) -> String {
        String(format: "%.1f µs", percentile(values, fraction) * 1e6)
    }

    private func milli(_ values: [Duration], _ fraction: Double) -> String {
        String(format: "%.2f ms", percentile(values, fraction) * 1e3)
    }
}

/// The bench server answers no SEDs.
struct BenchNoMessages: MessageHandler {
    func handle(_ message: ProtocolMessage, peer: PeerIdentity) async -> ProtocolMessage {
        message.replying(with: Fault(code: .refused, reason: "directory bench", isSenderFault: true))
    }
}

extension DirectoryReplica {
    /// Polls until cancelled, ignoring failures (the bench's replica).
    func runPolling() async throws {
        while !Task.isCancelled {
            try? await synchronise(wait: .seconds(20))
        }
    }
}

/// Generated institutions: deterministic, several languages and scripts.
struct DirectoryBenchData {
    var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next(_ bound: Int) -> Int {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Int((state >> 33) % UInt64(bound))
    }

    static let languages: [(country: String, language: String, words: [String], cities: [String])] = [
        (
            "DE", "de",
            [
                "Krankenkasse", "Allgemeine", "Ortskrankenkasse", "Rentenversicherung", "Bund", "Betriebskrankenkasse",
                "Unfallkasse", "Familienkasse",
            ], ["München", "Köln", "Düsseldorf", "Berlin"]
        ),
        (
            "FR", "fr",
            ["Caisse", "primaire", "d'assurance", "maladie", "allocations", "familiales", "régionale", "retraite"],
            ["Paris", "Lyon", "Nîmes", "Créteil"]
        ),
        (
            "EL", "el",
            ["Ταμείο", "Ασφάλισης", "Εθνικός", "Οργανισμός", "Υγείας", "Συντάξεων", "Περιφερειακό", "Γραφείο"],
            ["Αθήνα", "Θεσσαλονίκη", "Πάτρα", "Ηράκλειο"]
        ),
        (
            "BG", "bg",
            ["Национален", "осигурителен", "институт", "здравноосигурителна", "каса", "Районна", "служба", "пенсии"],
            ["София", "Пловдив", "Варна", "Бургас"]
        ),
        (
            "PL", "pl",
            ["Zakład", "Ubezpieczeń", "Społecznych", "Narodowy", "Fundusz", "Zdrowia", "Oddział", "Wojewódzki"],
            ["Łódź", "Kraków", "Gdańsk", "Wrocław"]
        ),
        (
            "ES", "es",
            ["Instituto", "Nacional", "Seguridad", "Social", "Tesorería", "General", "Dirección", "Provincial"],
            ["Madrid", "Cádiz", "Málaga", "León"]
        ),
        (
            "CZ", "cs",
            ["Česká", "správa", "sociálního", "zabezpečení", "Všeobecná", "zdravotní", "pojišťovna", "Okresní"],
            ["Praha", "Brno", "Plzeň", "Ústí"]
        ),
        (
            "SE", "sv",
            [
                "Försäkringskassan", "Pensionsmyndigheten", "Regionala", "kontoret", "Arbetsförmedlingen",
                "Skatteverket", "Län", "Centrala",
            ], ["Göteborg", "Malmö", "Umeå", "Västerås"]
        ),
    ]

    /// The CSV of `institutions` entries (and one AP per country), and their addresses.
    mutating func file(institutions: Int) -> (String, [String]) {
        var lines = ["kind,id,url,mode,country,name.local,ap,city.local,sector,function,benefit,ehic-issuer"]
        lines[0] =
            "kind,id,url,mode,country,ap,sector,function,benefit,ehic-issuer,name.en"
            + Set(Self.languages.map(\.language)).sorted().map { ",name.\($0),city.\($0)" }.joined()
        let languageColumns = Set(Self.languages.map(\.language)).sorted()
        for language in Self.languages {
            lines.append(
                "ap,AP-\(language.country),https://ap.\(language.country.lowercased()).example:443,push,\(language.country),,,,,,"
                    + String(repeating: ",,", count: languageColumns.count))
        }
        var addresses: [String] = []
        let sectors = ["S", "PN", "FB", "UB", "AW", "LA"]
        let benefits = ["SICK-CASH", "SICK-KIND", "OLD-AGE", "FAMILY", "UNEMPLOYMENT", "INVALIDITY"]
        for index in 0..<institutions {
            let language = Self.languages[index % Self.languages.count]
            let address = "\(language.country):I\(String(index, radix: 36).uppercased())"
            addresses.append(address)
            var name: [String] = []
            for _ in 0..<3 { name.append(language.words[next(language.words.count)]) }
            name.append("\(index)")
            let city = language.cities[next(language.cities.count)]
            var row =
                "ci,\(address),,,,AP-\(language.country),\(sectors[next(sectors.count)]),CI,"
                + "\(benefits[next(benefits.count)]),\(next(10) == 0 ? "true" : "false"),Institution \(index)"
            for column in languageColumns {
                row += column == language.language ? ",\"\(name.joined(separator: " "))\",\(city)" : ",,"
            }
            lines.append(row)
        }
        return (lines.joined(separator: "\n") + "\n", addresses)
    }

    /// Queries as clerks type them: Latin forms of Greek and Bulgarian words, partial words, synonyms.
    mutating func queries(count: Int) -> [String] {
        let pool = [
            "tameio asfalisis", "ethnikos organismos", "natsionalen osiguritelen", "zdravnoosiguritelna kasa",
            "krankenk", "ortskranken münchen", "caisse primaire", "assurance maladie", "sickness", "Krankheit",
            "pension", "zaklad ubezp", "narodowy fundusz", "seguridad social", "cadiz", "försäkrings",
            "institution 4711", "athina", "sofia", "plovdiv", "thessaloniki", "Germany", "Allemagne", "retraite",
        ]
        return (0..<count).map { _ in pool[next(pool.count)] }
    }
}
