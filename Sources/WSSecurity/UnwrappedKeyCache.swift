// UnwrappedKeyCache: the receiving side of content-key reuse. Remembers, for a node's private key, the content keys
// it has itself decrypted from RSA-OAEP EncryptedKey cipher values, by the SHA-256 of the cipher value, so the SEDs
// of one sender's window (see ContentKeyWindows) cost one RSA-OAEP decryption between them. In memory, bounded.

import Crypto
import Foundation
import Synchronization

/// Content keys this node has unwrapped with its own private key, by the SHA-256 of their RSA-OAEP cipher value
/// (at most `capacity`, the oldest forgotten first). Held by a `NodeKey`, so an entry only ever stands for that
/// key's own decryption.
///
/// Why it is safe: an entry is added only after the private key decrypted that exact cipher value, and RSA-OAEP
/// decryption is a function of the cipher value, so a hit returns what decrypting again would return; the cache
/// memoises, it never decides. A cipher value that fails to decrypt is never remembered (every try runs RSA-OAEP
/// again, as before), so it offers no new oracle. No one can plant an entry: a sender can only put a cipher value in
/// the cache by having this node decrypt it, which yields the key that cipher value really holds; a cipher value
/// copied from another sender's SED yields that sender's key, which opens nothing the copier could have encrypted
/// (AES-GCM authenticates every payload, and the signature binds each body to its sender). Lookups by SHA-256 rely
/// on its collision resistance only.
public final class UnwrappedKeyCache: Sendable {
    /// The most keys remembered.
    public let capacity: Int
    /// The keys, and the digests in the order they were added (the oldest first, to forget).
    private let state: Mutex<(keys: [SHA256Digest: ContentKey], order: [SHA256Digest], next: Int)>
    /// How many cipher values were decrypted with the private key through this cache (misses that decrypted).
    private let decryptions = Atomic<Int>(0)

    /// A cache of at most `capacity` keys (at least 1); 256 holds the open windows of a few hundred senders.
    public init(capacity: Int = 256) {
        self.capacity = max(1, capacity)
        state = Mutex(([:], [], 0))
    }

    /// How many cipher values were decrypted with the private key through this cache since it was made (the
    /// lookups it could not answer and that decrypted), for tests and benches.
    public var keysUnwrapped: Int { decryptions.load(ordering: .relaxed) }

    /// The key of `cipher`: remembered, or `unwrap(cipher)` (the private-key decryption) remembered when it
    /// succeeds. Nil when `unwrap` fails; nothing is remembered then.
    func key(for cipher: [UInt8], unwrap: ([UInt8]) -> [UInt8]?) -> [UInt8]? {
        let digest = SHA256.hash(data: cipher)
        if let known = state.withLock({ $0.keys[digest] }) {
            return known.symmetric.withUnsafeBytes { Array($0) }
        }
        guard let key = unwrap(cipher) else { return nil }
        decryptions.add(1, ordering: .relaxed)
        state.withLock { state in
            guard state.keys[digest] == nil else { return }
            if state.order.count < capacity {
                state.order.append(digest)
            } else {
                state.keys[state.order[state.next]] = nil
                state.order[state.next] = digest
                state.next = (state.next + 1) % capacity
            }
            state.keys[digest] = ContentKey(SymmetricKey(data: key))
        }
        return key
    }
}
