// FragmentUpload: sends a large payload's fragments to the next node, those it has not acknowledged yet, one at a
// time, each acknowledged before the next; the count acknowledged is kept beside the fragments, so a restart of
// either side resumes where it stopped. Used by the sending AP (to the CN) and the CN (to the destination, pushed
// or pulled). Reads the fragment files; writes the progress file.

public import Foundation
import Metrics
public import Packaging
public import SedgateCore

/// How many leading fragments of a payload one peer has acknowledged, in a small file beside the fragments. Not
/// fsynced: after a crash a fragment may be sent again, which the receiver takes in its stride.
public struct FragmentProgress: Sendable {
    /// The fragments' manifest.
    public let manifest: FragmentManifest
    /// The folder holding the fragments (and this progress file).
    public let folder: String
    /// The peer the count is for.
    public let peer: NodeID
    /// Makes fragment `index` when it is sent (a sender that keeps only the payload); nil: read from `folder`.
    public var source: (@Sendable (_ index: Int) throws(SedgateError) -> Data)?

    /// Progress of `peer` over the fragments of `manifest` kept in `inbox`.
    public init(
        inbox: FragmentInbox, manifest: FragmentManifest, peer: NodeID,
        source: (@Sendable (_ index: Int) throws(SedgateError) -> Data)? = nil
    ) {
        self.manifest = manifest
        self.folder = inbox.directory(for: manifest.payloadID)
        self.peer = peer
        self.source = source
    }

    private var path: String { folder + "/acknowledged-\(peer)" }

    /// How many fragments, from the first, the peer has acknowledged.
    public var acknowledged: Int {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0) } ?? 0
    }

    /// Records the peer's receipt for fragment `index`; only the next fragment in order moves the count.
    public func acknowledge(_ index: Int) {
        guard index == acknowledged else { return }
        try? Data(String(index + 1).utf8).write(to: URL(fileURLWithPath: path))
    }

    /// The fragment `index` as a message from `from`.
    public func message(_ index: Int, of sedId: SEDID, from: NodeID) throws(SedgateError) -> FragmentMessage {
        let data: Data
        if let source {
            data = try source(index)
        } else {
            let path = folder + "/" + manifest.fileName(ofFragment: index)
            guard let stored = FileManager.default.contents(atPath: path) else {
                throw SedgateError(.io, "fragment \(index) of SED \(sedId) is missing from \(folder)")
            }
            data = stored
        }
        // Its digest is the signed manifest's: a fragment made again was just checked against it, and a stored one
        // was checked before its SED was taken (P-FRAG-8); a file altered since is refused by the peer (P-FRAG-4).
        return FragmentMessage(
            from: from, to: peer, sedId: sedId, index: index, count: manifest.fragmentCount, data: data,
            sha256: manifest.fragments[index].sha256)
    }

    /// Sends the fragments the peer has not acknowledged, in order, through `client` to `url`. Throws at the first
    /// fragment that is not acknowledged: an error with a permanent code when the peer refused it for good (a sender
    /// fault: give the SED up), else a passing one (`.peerUnavailable`, back-pressure...: send it again later).
    ///
    /// Each fragment is made (read, and with a `source` encrypted and checked against the manifest) on the blocking
    /// pool while the one before it is on its way: P-FRAG-7 has a fragment wait for the receipt before it is sent,
    /// not before it is made. Memory: two fragments.
    public func upload(_ sedId: SEDID, from: NodeID, client: ProtocolClient, url: String) async throws(SedgateError) {
        let first = acknowledged
        guard first < manifest.fragmentCount else { return }
        var made = make(first, of: sedId, from: from)
        for index in first..<manifest.fragmentCount {
            let fragment = try await made.value.get()
            if index + 1 < manifest.fragmentCount { made = make(index + 1, of: sedId, from: from) }
            let reply = try await client.send(
                ProtocolMessage(
                    messageID: fragment.messageID, action: .fragment, from: from, to: peer, fragment: fragment),
                to: url, timeout: .seconds(120))
            // A sender fault (other than back-pressure) is final: the fragment is never sent again (P-FRAG-9).
            if let fault = reply.fault {
                let error = fault.error(from: peer)
                throw SedgateError(error.code, "fragment \(index) of SED \(sedId): \(error.message)")
            }
            guard reply.receipts.contains(where: { $0.sedId == sedId && $0.fragment == index }) else {
                throw SedgateError(.peerUnavailable, "\(peer) did not acknowledge fragment \(index) of SED \(sedId)")
            }
            acknowledge(index)
            Counter(label: "sedgate_fragment_bytes_total", dimensions: [("direction", "sent")])
                .increment(by: fragment.data.count)
        }
    }

    /// Fragment `index` as a message, made on the blocking pool (reading and encrypting 2 MiB takes milliseconds).
    private func make(
        _ index: Int, of sedId: SEDID, from: NodeID
    ) -> Task<Result<FragmentMessage, SedgateError>, Never> {
        Task {
            do throws(SedgateError) {
                return .success(
                    try await Blocking.run { () throws(SedgateError) in try message(index, of: sedId, from: from) })
            } catch {
                return .failure(error)
            }
        }
    }
}
