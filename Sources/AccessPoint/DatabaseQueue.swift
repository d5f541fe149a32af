// DatabaseQueue: the national side as PostgreSQL tables (`[npap.database]`): rows the national application
// inserts into `sedgate_outbound` are sent, their state and report kept in the row; SEDs routed to `database`
// become rows of `sedgate_inbound`, and a row the application marks `taken` is `routed`. LISTEN/NOTIFY wakes
// each side; a poll (`poll-ms`) is the truth. Reads and writes the two tables, outbound/, var/db/, the journal.
//
// The spool stays the source of truth: an outbound row is written into outbound/ by rename (`db-<sedId>.xml`),
// so it gets the same checks, reports and exactly-once by SED id as a file; every step is repeated harmlessly
// after a kill (a row already `submitted`, a SED already journalled, a row already inserted, one already routed).

import Documents
import Foundation
import Glibc
import Logging
import NIOCore
import PostgresNIO
import SedgateCore
import ServiceLifecycle
import Spool
import Synchronization

/// The `[npap.database]` settings.
public struct DatabaseQueueSettings: Sendable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var poll: Duration

    public init(
        host: String, port: Int = 5432, user: String, password: String?, database: String,
        poll: Duration = .seconds(1)
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.poll = poll
    }
}

/// Moves SEDs between the two tables and the spool, woken by NOTIFY or the poll.
struct DatabaseQueue: Service {
    let configuration: AccessPointConfiguration
    let journal: any MessageStore
    let sender: Doorbell
    let settings: DatabaseQueueSettings
    let logger: Logger

    /// The tables, their notifications, created when missing.
    static let schema = [
        """
        CREATE TABLE IF NOT EXISTS sedgate_outbound (sed_id uuid PRIMARY KEY, document bytea NOT NULL,
            state text NOT NULL DEFAULT 'new', report text, inserted_at timestamptz NOT NULL DEFAULT now(),
            updated_at timestamptz NOT NULL DEFAULT now())
        """,
        """
        CREATE TABLE IF NOT EXISTS sedgate_inbound (sed_id uuid PRIMARY KEY, sender text NOT NULL,
            receiver text NOT NULL, sed_type text NOT NULL, sector text NOT NULL, buc_type text NOT NULL,
            case_id text NOT NULL, document bytea NOT NULL, state text NOT NULL DEFAULT 'waiting',
            landed_at timestamptz NOT NULL DEFAULT now(), routed_at timestamptz)
        """,
        """
        CREATE OR REPLACE FUNCTION sedgate_notify() RETURNS trigger LANGUAGE plpgsql AS
            $$ BEGIN PERFORM pg_notify(TG_ARGV[0], NEW.sed_id::text); RETURN NEW; END $$
        """,
        """
        CREATE OR REPLACE TRIGGER sedgate_outbound_new AFTER INSERT ON sedgate_outbound
            FOR EACH ROW EXECUTE FUNCTION sedgate_notify('sedgate_outbound')
        """,
        """
        CREATE OR REPLACE TRIGGER sedgate_inbound_new AFTER INSERT ON sedgate_inbound
            FOR EACH ROW EXECUTE FUNCTION sedgate_notify('sedgate_inbound')
        """,
        """
        CREATE OR REPLACE TRIGGER sedgate_inbound_taken AFTER UPDATE OF state ON sedgate_inbound
            FOR EACH ROW WHEN (NEW.state = 'taken') EXECUTE FUNCTION sedgate_notify('sedgate_inbound_taken')
        """,
    ]

    func run() async throws {
        let client = PostgresClient(
            configuration: .init(
                host: settings.host, port: settings.port, username: settings.user, password: settings.password,
                database: settings.database, tls: .disable),
            backgroundLogger: logger)
        let wake = Wakeup()
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await client.run() }
            for channel in ["sedgate_outbound", "sedgate_inbound_taken"] {
                group.addTask { await listen(client, channel, wake) }
            }
            var ready = false
            while !Task.isCancelled && !Task.isShuttingDownGracefully {
                do {
                    if !ready {
                        for statement in Self.schema { try await client.query(PostgresQuery(unsafeSQL: statement)) }
                        ready = true
                        logger.info("database queue ready", metadata: ["database": "\(settings.database)"])
                    }
                    try await sweep(client)
                } catch {
                    logger.warning(
                        "database queue: will try again", metadata: ["error": "\(String(reflecting: error))"])
                }
                // A notification, or the poll, whichever comes first (a notification is seen within 20 ms).
                var waited = Duration.zero
                while waited < settings.poll, !wake.take(), !Task.isCancelled {
                    try? await Task.sleep(for: .milliseconds(20))
                    waited += .milliseconds(20)
                }
            }
            group.cancelAll()
        }
    }

    /// Rings `wake` on every notification of `channel`, reconnecting after a failure.
    private func listen(_ client: PostgresClient, _ channel: String, _ wake: Wakeup) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        for try await _ in notifications { wake.ring() }
                    }
                }
            } catch {
                try? await Task.sleep(for: .seconds(1))
            }
        }
    }

    /// One pass: new outbound rows, outbound states, inbound SEDs, taken inbound rows.
    func sweep(_ client: PostgresClient) async throws {
        try await submitNew(client)
        try await updateStates(client)
        try await publishInbound(client)
        try await routeTaken(client)
    }

    private func submitNew(_ client: PostgresClient) async throws {
        let rows = try await client.query(
            "SELECT sed_id, document FROM sedgate_outbound WHERE state = 'new' ORDER BY inserted_at LIMIT 500")
        var fresh: [(UUID, ByteBuffer)] = []
        for try await row in rows.decode((UUID, ByteBuffer).self) { fresh.append(row) }
        for (uuid, document) in fresh {
            let bytes = Array(buffer: document)
            guard let id = SEDID(uuid.uuidString) else { continue }
            var refusal: String?
            do throws(SedgateError) {
                let read = try SEDReader.read(bytes, source: "sedgate_outbound row \(id)")
                if read.envelope.sedId != id { refusal = "the row's sed_id differs from the SED's SedId" }
            } catch {
                refusal = error.description
            }
            if let refusal {
                try await client.query(
                    "UPDATE sedgate_outbound SET state = 'rejected', report = \(refusal), updated_at = now() WHERE sed_id = \(uuid)"
                )
                continue
            }
            let name = "db-\(id.rawValue).xml"
            let final = configuration.spool.outbound + "/" + name
            if try await journal.record(id, .outbound) == nil, !FileManager.default.fileExists(atPath: final) {
                try SpoolFile.writeAtomically(bytes, to: configuration.spool.outbound + "/." + name)
                try SpoolFile.move(configuration.spool.outbound + "/." + name, to: final)
            }
            try await client.query(
                "UPDATE sedgate_outbound SET state = 'submitted', updated_at = now() WHERE sed_id = \(uuid) AND state = 'new'"
            )
        }
    }

    private func updateStates(_ client: PostgresClient) async throws {
        let rows = try await client.query(
            "SELECT sed_id, state FROM sedgate_outbound WHERE state NOT IN ('new', 'routed', 'rejected', 'failed') LIMIT 5000"
        )
        var open: [(UUID, String)] = []
        for try await row in rows.decode((UUID, String).self) { open.append(row) }
        for (uuid, current) in open {
            guard let id = SEDID(uuid.uuidString) else { continue }
            var state: String?
            var report: String?
            if let record = try await journal.record(id, .outbound) {
                state = record.state.rawValue
                report = "\(record.state.rawValue) at \(record.updatedAt)" + (record.lastError.map { ": \($0)" } ?? "")
            } else if let rejected = rejectedReport(id) {
                state = "rejected"
                report = rejected
            }
            guard let state, state != current else { continue }
            try await client.query(
                "UPDATE sedgate_outbound SET state = \(state), report = \(report), updated_at = now() WHERE sed_id = \(uuid)"
            )
        }
    }

    /// The reason of intake's refusal of `db-<id>.xml`, if it refused it.
    private func rejectedReport(_ id: SEDID) -> String? {
        let prefix = "db-\(id.rawValue).xml."
        let names = (try? FileManager.default.contentsOfDirectory(atPath: configuration.spool.reports)) ?? []
        guard let name = names.first(where: { $0.hasPrefix(prefix) && $0.hasSuffix(".rejected.json") }),
            let data = FileManager.default.contents(atPath: configuration.spool.reports + "/" + name),
            let report = try? JSONDecoder().decode(Report.self, from: data)
        else { return nil }
        return "\(report.code ?? "rejected"): \(report.reason ?? "see rejected/")"
    }

    private func publishInbound(_ client: PostgresClient) async throws {
        var after: Int64 = 0
        let prefix = InboundChannel.database.folder + "/"
        while true {
            let page = try await journal.landedFiles(after: after, limit: 1_000)
            guard let last = page.last else { break }
            after = last.seq
            for landed in page where landed.file.hasPrefix(prefix) {
                guard let record = try await journal.record(landed.sedId, .inbound),
                    let uuid = UUID(uuidString: record.sedId.rawValue),
                    let bytes = try? SpoolFile.read(configuration.spool.root + "/" + landed.file, maxBytes: Int.max)
                else { continue }
                let envelope = record.envelope
                let document = ByteBuffer(bytes: bytes)
                try await client.query(
                    """
                    INSERT INTO sedgate_inbound (sed_id, sender, receiver, sed_type, sector, buc_type, case_id, document)
                    VALUES (\(uuid), \("\(envelope.sender)"), \("\(envelope.receiver)"), \(envelope.sedType),
                        \(envelope.sector), \(envelope.bucType), \(envelope.caseId), \(document))
                    ON CONFLICT (sed_id) DO NOTHING
                    """)
            }
        }
    }

    private func routeTaken(_ client: PostgresClient) async throws {
        let rows = try await client.query(
            "SELECT sed_id FROM sedgate_inbound WHERE state = 'taken' AND routed_at IS NULL LIMIT 5000")
        var taken: [UUID] = []
        for try await uuid in rows.decode(UUID.self) { taken.append(uuid) }
        for uuid in taken {
            guard let id = SEDID(uuid.uuidString) else { continue }
            let record = try await journal.record(id, .inbound)
            // The journal first, then the row: a kill in between repeats the row's update, never the receipt.
            if let record, record.state == .landed, let file = record.file,
                try await journal.transition(
                    id, .inbound, to: .routed, onlyFrom: [.landed], file: nil,
                    detail: "taken from the sedgate_inbound table by the national side")
            {
                try await journal.enqueueSignal(
                    SignalRecord(
                        peer: configuration.coordinationNode, sedId: id, kind: "routed", node: configuration.node,
                        at: Timestamp.now()))
                sender.ring()
                unlink(configuration.spool.root + "/" + file)
            }
            try await client.query("UPDATE sedgate_inbound SET routed_at = now() WHERE sed_id = \(uuid)")
        }
    }
}

/// A flag the LISTEN tasks raise and the sweep loop takes.
final class Wakeup: Sendable {
    private let raised = Atomic<Bool>(false)
    func ring() { raised.store(true, ordering: .relaxed) }
    /// Whether it was raised since the last call; lowers it.
    func take() -> Bool { raised.exchange(false, ordering: .relaxed) }
}
