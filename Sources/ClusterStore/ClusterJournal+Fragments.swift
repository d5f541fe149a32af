// ClusterJournal+Fragments: the fragments of large payloads in `cn_fragment`, one row per fragment, kept when a
// fragment arrives (before the CN acknowledges it) and dropped with the SED's bytes once it is forwarded or failed:
// any process can then check, take and forward a large SED whose fragments another process received.

import Foundation
import NIOCore
import PostgresNIO
public import SedgateCore

extension ClusterJournal: SharedFragments {
    public func keepFragment(_ sedId: SEDID, index: Int, data: [UInt8]) async throws(SedgateError) {
        let bytes = ByteBuffer(bytes: data)
        let now = Timestamp.now()
        try await transaction("keep fragment \(index) of \(sedId)") { connection in
            try await connection.query(
                """
                INSERT INTO cn_fragment (sed_id, index, bytes, at) VALUES (\(sedId.rawValue), \(index), \(bytes), \(now))
                ON CONFLICT (sed_id, index) DO UPDATE SET bytes = excluded.bytes, at = excluded.at
                """, logger: self.logger)
        }
    }

    public func restoreFragments(
        _ sedId: SEDID, _ write: (_ index: Int, _ data: [UInt8]) throws(SedgateError) -> Void
    ) async throws(SedgateError) {
        let indexes = try await read("list the fragments of \(sedId)") { connection in
            let rows = try await connection.query(
                "SELECT index FROM cn_fragment WHERE sed_id = \(sedId.rawValue) ORDER BY index", logger: self.logger)
            var indexes: [Int] = []
            for try await index in rows.decode(Int.self) { indexes.append(index) }
            return indexes
        }
        // One at a time: a large payload's fragments together can be gigabytes.
        for index in indexes {
            let data = try await read("read fragment \(index) of \(sedId)") { connection in
                let rows = try await connection.query(
                    "SELECT bytes FROM cn_fragment WHERE sed_id = \(sedId.rawValue) AND index = \(index)",
                    logger: self.logger)
                var data: [UInt8] = []
                for try await bytes in rows.decode(ByteBuffer.self) { data = Array(buffer: bytes) }
                return data
            }
            try write(index, data)
        }
    }

    /// Writes the fragments of `record` kept in the database into var/store/'s fragment folder where they are
    /// missing (the layout of `FragmentInbox`: `frag-<sedId>/<sedId>.<index>.frag`).
    func cacheFragments(of record: MessageRecord) async throws(SedgateError) {
        let id = record.sedId.rawValue
        let folder = spoolRoot + "/" + (record.payloadPath as NSString).deletingLastPathComponent + "/frag-\(id)"
        try await restoreFragments(record.sedId) { (index, data) throws(SedgateError) in
            let path = folder + "/\(id).\(index).frag"
            if FileManager.default.fileExists(atPath: path) { return }
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            let temporary = path + ".cache"
            guard FileManager.default.createFile(atPath: temporary, contents: Data(data)), rename(temporary, path) == 0
            else {
                throw SedgateError(.storage, "cannot write \(path) from the cluster database; check the spool")
            }
        }
    }
}
