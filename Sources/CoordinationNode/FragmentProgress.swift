// FragmentProgress: how many fragments of a large payload a destination has acknowledged, kept beside the
// fragments (`acknowledged-<peer>`), so forwarding (push) or handing out (pull) resumes after a restart.

import Foundation
import Packaging
import SedgateCore

/// The count of leading fragments `peer` has acknowledged. Not fsynced: after a crash a fragment may be sent
/// again, which the destination takes in its stride.
struct FragmentProgress {
    let inbox: FragmentInbox
    let manifest: FragmentManifest
    let peer: NodeID

    private var path: String { inbox.directory(for: manifest.payloadID) + "/acknowledged-\(peer)" }

    /// How many fragments, from the first, the peer has acknowledged.
    var acknowledged: Int {
        (try? String(contentsOfFile: path, encoding: .utf8)).flatMap { Int($0) } ?? 0
    }

    /// Records the peer's receipt for fragment `index`; only the next fragment in order moves the count.
    func acknowledge(_ index: Int) {
        guard index == acknowledged else { return }
        try? Data(String(index + 1).utf8).write(to: URL(fileURLWithPath: path))
    }
}
