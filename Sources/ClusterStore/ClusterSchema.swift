// ClusterSchema: the tables a CN cluster shares in PostgreSQL, created once by whichever process comes first
// (under an advisory lock, so two processes starting together do not race). They mirror the SQLite journal's,
// plus the sealed SEDs' bytes (`cn_payload`), large payloads' fragments (`cn_fragment`) and the destinations' leases (`cn_lease`).

enum ClusterSchema {
    /// The advisory lock key that serialises schema creation.
    static let lockKey = 0x5ED6_A7E0

    static let statements = [
        """
        CREATE TABLE IF NOT EXISTS cn_intake (
            ticket text PRIMARY KEY, name text NOT NULL, taken_at text NOT NULL)
        """,
        """
        CREATE TABLE IF NOT EXISTS cn_message (
            seq bigserial PRIMARY KEY, sed_id text NOT NULL, direction text NOT NULL, state text NOT NULL,
            file text, ticket text, peer text NOT NULL, origin text NOT NULL, envelope text NOT NULL,
            payload_path text NOT NULL, size bigint NOT NULL, attempts integer NOT NULL DEFAULT 0, last_error text,
            created_at text NOT NULL, updated_at text NOT NULL, conversation text, seq_no integer,
            UNIQUE (sed_id, direction))
        """,
        "CREATE INDEX IF NOT EXISTS cn_message_queue ON cn_message (direction, state, peer, seq)",
        "CREATE INDEX IF NOT EXISTS cn_message_ticket ON cn_message (ticket)",
        "CREATE INDEX IF NOT EXISTS cn_message_conversation ON cn_message (direction, conversation, state, seq_no)",
        "CREATE INDEX IF NOT EXISTS cn_message_file ON cn_message (direction, state, file)",
        """
        CREATE TABLE IF NOT EXISTS cn_event (
            id bigserial PRIMARY KEY, sed_id text NOT NULL, direction text NOT NULL, state text NOT NULL,
            at text NOT NULL, detail text)
        """,
        "CREATE INDEX IF NOT EXISTS cn_event_sed ON cn_event (sed_id, id)",
        """
        CREATE TABLE IF NOT EXISTS cn_signal (
            id bigserial PRIMARY KEY, peer text NOT NULL, sed_id text NOT NULL, kind text NOT NULL,
            node text NOT NULL, at text NOT NULL, done boolean NOT NULL DEFAULT false, reason text, code text,
            UNIQUE (peer, sed_id, kind))
        """,
        "CREATE INDEX IF NOT EXISTS cn_signal_pending ON cn_signal (done, peer, id)",
        """
        CREATE TABLE IF NOT EXISTS cn_conversation (
            direction text NOT NULL, key text NOT NULL, last integer NOT NULL, updated_at text NOT NULL,
            PRIMARY KEY (direction, key))
        """,
        """
        CREATE TABLE IF NOT EXISTS cn_payload (
            sed_id text NOT NULL, part integer NOT NULL, bytes bytea NOT NULL, PRIMARY KEY (sed_id, part))
        """,
        """
        CREATE TABLE IF NOT EXISTS cn_fragment (
            sed_id text NOT NULL, index integer NOT NULL, bytes bytea NOT NULL, at text NOT NULL,
            PRIMARY KEY (sed_id, index))
        """,
        """
        CREATE TABLE IF NOT EXISTS cn_lease (
            peer text PRIMARY KEY, holder text NOT NULL, until timestamptz NOT NULL)
        """,
    ]
}
