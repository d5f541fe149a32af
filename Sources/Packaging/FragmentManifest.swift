// FragmentManifest: what a payload sent in fragments consists of: sizes, and the SHA-256 of each fragment as
// transmitted and of the whole original payload. Checked for consistency whenever one is made or parsed.

public import SedgateCore

/// The description of a large payload sent as numbered fragments (0-based), stored and forwarded one by one and
/// reassembled and verified only at the destination.
///
/// Every fragment but the last carries `fragmentSize` bytes of the original payload; each is transformed before
/// sending (encrypted, typically), and `fragments[i]` gives the size and SHA-256 of fragment i *as sent*.
/// `sha256` is the digest of the whole original payload. A manifest that does not add up is refused with
/// `.protocolViolation`; a payload id that could escape a folder is `.hostileInput`.
public struct FragmentManifest: Sendable, Hashable {
    /// One fragment as transmitted.
    public struct Fragment: Sendable, Hashable {
        /// The fragment's number, from 0.
        public let index: Int
        /// Its size in bytes as transmitted (after the transform).
        public let size: Int64
        /// The SHA-256 of the transmitted bytes, 64 lowercase hex digits.
        public let sha256: String

        /// Describes a fragment; checked when the manifest is made.
        public init(index: Int, size: Int64, sha256: String) {
            self.index = index
            self.size = size
            self.sha256 = sha256.lowercased()
        }
    }

    /// The XML namespace of the manifest element.
    public static let namespace = "urn:sedgate:fragments:1"
    /// The largest fragment size accepted (one fragment is held in memory at a time).
    public static let maxFragmentSize = 64 << 20
    /// How many bytes the transform may add to a fragment (AES-GCM adds 16).
    public static let maxTransformOverhead: Int64 = 64 << 10
    /// The most fragments one payload may have.
    public static let maxFragmentCount = 1_000_000

    /// The payload's id: 1-128 letters, digits, `.`, `_` or `-`, not starting with `.` (it names files).
    public let payloadID: String
    /// The original payload's size in bytes.
    public let totalSize: Int64
    /// The size of every original fragment but the last, in bytes.
    public let fragmentSize: Int
    /// The fragments in order; `fragments[i].index == i`.
    public let fragments: [Fragment]
    /// The SHA-256 of the whole original payload, lowercase hex.
    public let sha256: String
    /// The payload's media type.
    public let contentType: String
    /// The payload's original file name, if it had one (a single path component).
    public let fileName: String?

    /// How many fragments the payload has.
    public var fragmentCount: Int { fragments.count }

    /// Makes a manifest, refusing one whose parts do not add up.
    public init(
        payloadID: String, totalSize: Int64, fragmentSize: Int, fragments: [Fragment], sha256: String,
        contentType: String = "application/octet-stream", fileName: String? = nil
    ) throws(SedgateError) {
        self.payloadID = payloadID
        self.totalSize = totalSize
        self.fragmentSize = fragmentSize
        self.fragments = fragments
        self.sha256 = sha256.lowercased()
        self.contentType = contentType
        self.fileName = fileName
        try check()
    }

    /// The number of original payload bytes fragment `index` carries.
    public func originalSize(ofFragment index: Int) -> Int {
        Int(min(Int64(fragmentSize), totalSize - Int64(index) * Int64(fragmentSize)))
    }

    /// The name fragment `index` is stored under: `<payloadID>.<index>.frag`.
    public func fileName(ofFragment index: Int) -> String {
        Self.fileName(payloadID: payloadID, index: index)
    }

    /// `<payloadID>.<index>.frag`.
    static func fileName(payloadID: String, index: Int) -> String {
        "\(payloadID).\(index).frag"
    }

    /// The fragment count a payload of `totalSize` bytes cut at `fragmentSize` has.
    static func fragmentCount(totalSize: Int64, fragmentSize: Int) -> Int64 {
        // Rounds up without adding first: `totalSize + fragmentSize - 1` overflows for a received total near Int64.max.
        let size = Int64(fragmentSize)
        return totalSize / size + (totalSize % size == 0 ? 0 : 1)
    }
}
