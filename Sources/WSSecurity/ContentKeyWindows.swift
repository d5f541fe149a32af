// ContentKeyWindows: the sending side of content-key reuse. Per recipient certificate, one AES-256 content key and
// its RSA-OAEP EncryptedKey serve a bounded window of payloads (a count and an age, whichever ends first), so a node
// runs RSA-OAEP once per window instead of once per SED. Reads a clock; writes nothing. Keys live in memory only.

import Crypto
import Foundation
import SedgateCore
import Synchronization

/// Content keys reused over bounded windows, one window per recipient certificate (a sending node keeps one value
/// for all its peers, e.g. in its `CompoundCodec`).
///
/// Every payload encrypted in a window still gets its own random 96-bit AES-GCM nonce and carries a complete,
/// standard `xenc:EncryptedKey` (the same bytes across the window): any XML Encryption receiver opens each one on its
/// own. What reuse changes, and what it does not:
/// - Nonce safety holds: random 96-bit nonces under one key are safe far beyond a window (NIST SP 800-38D allows
///   2^32 messages per key with random nonces; a window is at most `Policy.uses`, 4,096 by default).
/// - Forward secrecy is unchanged: there was none before either (RSA key transport), and whoever holds the
///   recipient's private key opens every payload, windowed or not.
/// - One leaked content key (e.g. from this process's memory) exposes the payloads of its window (at most `uses`
///   payloads, at most `age` old) instead of one. A key is held in memory for at most `age`, and only here.
/// - Integrity is unchanged: AES-GCM authenticates each payload under its key, and a payload is bound to its SED by
///   the sender's signature over the body, not by the key; a body moved to another SED of the same window fails that
///   signature. Receivers also check the SedId inside an XML SED.
/// - The receiver learns nothing new: that several payloads share a key is visible to anyone who sees the
///   EncryptedKey bytes repeat (the CN does), which says only that they came from one sender within minutes.
public final class ContentKeyWindows: Sendable {
    /// How long one content key serves: at most `uses` payloads and at most `age`, whichever ends first.
    public struct Policy: Sendable, Equatable {
        /// The most payloads one content key encrypts.
        public var uses: Int
        /// The longest one content key serves, from its first use.
        public var age: Duration

        /// A policy (`uses` at least 1).
        public init(uses: Int = 4_096, age: Duration = .seconds(300)) {
            self.uses = max(1, uses)
            self.age = age
        }

        /// 4,096 payloads or 5 minutes.
        public static let standard = Policy()
    }

    /// A content key and its EncryptedKey for one recipient, serving one window.
    struct Window: Sendable {
        /// The AES-256 content key.
        let key: ContentKey
        /// The text of the `xenc:EncryptedKey` (no Id, namespaces declared by the EncryptedData around it).
        let encryptedKey: String
        /// When the window opened.
        let opened: ContinuousClock.Instant
        /// How many payloads the window has encrypted (this one included).
        fileprivate(set) var uses: Int
    }

    /// The most recipients kept at once: a network has a few hundred nodes; past this the oldest window ends.
    static let capacity = 1_024

    /// The policy every window follows.
    public let policy: Policy
    /// The clock ages are measured on.
    private let now: @Sendable () -> ContinuousClock.Instant
    /// The open windows, by recipient certificate (DER).
    private let windows = Mutex<[Data: Window]>([:])
    /// How many windows were opened (RSA-OAEP operations run), for tests and benches.
    private let opened = Atomic<Int>(0)

    /// Windows following `policy`, aged on `now` (a test's `ManualClock.instant`; the continuous clock by default).
    public init(
        policy: Policy = .standard, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.policy = policy
        self.now = now
    }

    /// How many content keys were made (each one RSA-OAEP encryption) since this value was made.
    public var keysMade: Int { opened.load(ordering: .relaxed) }

    /// The window to encrypt one more payload for `recipient` in: the open one while it has uses and age left,
    /// otherwise a new one with a fresh random key wrapped for the recipient. Throws what key transport throws.
    func window(for recipient: PeerCertificate) throws(SedgateError) -> Window {
        let instant = now()
        let found: Window? = windows.withLock { windows in
            guard var window = windows[recipient.certificateDER], window.uses < policy.uses,
                window.opened.duration(to: instant) < policy.age
            else { return nil }
            window.uses += 1
            windows[recipient.certificateDER] = window
            return window
        }
        if let found { return found }
        // A new window, made outside the lock (one RSA public-key operation). Two threads that both find the old
        // window spent each make one; the later replaces the earlier, whose payloads stay as valid as any.
        let window = try Self.single(for: recipient, at: instant)
        opened.add(1, ordering: .relaxed)
        windows.withLock { windows in
            if windows[recipient.certificateDER] == nil, windows.count >= Self.capacity,
                let oldest = windows.min(by: { $0.value.opened < $1.value.opened })?.key
            {
                windows[oldest] = nil
            }
            windows[recipient.certificateDER] = window
        }
        return window
    }

    /// Ends every window: the next payload for any recipient gets a new content key (e.g. to drop the keys from
    /// memory). A recipient whose certificate is replaced gets a new window anyway: windows go by certificate.
    public func endAll() {
        windows.withLock { $0.removeAll() }
    }

    /// A window for one payload alone: a fresh random key, wrapped for `recipient` (what encryption without
    /// windows uses).
    static func single(
        for recipient: PeerCertificate, at instant: ContinuousClock.Instant = .now
    ) throws(SedgateError) -> Window {
        let key = SymmetricKey(size: .bits256)
        let cipherValue = try KeyTransport.encrypt(key.withUnsafeBytes { Data($0) }, for: recipient)
        return Window(
            key: ContentKey(key),
            encryptedKey: KeyTransport.element(
                id: nil, for: recipient, cipherValue: cipherValue, declaringNamespaces: false),
            opened: instant, uses: 1)
    }
}

/// An AES content key that threads share: swift-crypto's `SymmetricKey` is immutable once made (its bytes are
/// zeroed when the last copy goes), it only does not declare itself `Sendable`.
struct ContentKey: @unchecked Sendable {
    let symmetric: SymmetricKey
    init(_ symmetric: SymmetricKey) { self.symmetric = symmetric }
}
