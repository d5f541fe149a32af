// Envelope+Stored: the envelope as a journal keeps it (JSON), read back with a memory of the texts already decoded.

import Foundation
import Synchronization

extension Envelope {
    /// The envelope a journal stored as JSON (`Journal` and `ClusterJournal` write it with sorted keys).
    ///
    /// Decoded envelopes are remembered by their text, at most 4,096 (all forgotten when full): a SED's row is read
    /// several times over its life on a node (the queue, the seen-set, the receipts), its envelope text never changes,
    /// and decoding it was most of the cost of reading a row.
    public static func decodingStored(_ text: String) throws -> Envelope {
        if let known = stored.withLock({ $0[text] }) { return known }
        let envelope = try JSONDecoder().decode(Envelope.self, from: Data(text.utf8))
        stored.withLock { known in
            if known.count >= 4_096 { known.removeAll(keepingCapacity: true) }
            known[text] = envelope
        }
        return envelope
    }

    private static let stored = Mutex<[String: Envelope]>([:])
}
