// PasswordHash: console passwords as Argon2id hashes (libargon2, the reference implementation Debian ships), in
// the PHC string format (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`), so the parameters travel with each hash.

import CArgon2
public import SedgateCore

/// Hashes and checks passwords with Argon2id.
public enum PasswordHash {
    /// Iterations, memory (KiB) and lanes: OWASP's first recommended Argon2id set (19 MiB, 2 passes, 1 lane).
    static let iterations: UInt32 = 2
    static let memoryKiB: UInt32 = 19_456
    static let lanes: UInt32 = 1
    static let hashLength = 32
    static let saltLength = 16

    /// The encoded hash of `password` with a fresh random salt.
    public static func hash(_ password: String) throws(SedgateError) -> String {
        var salt = [UInt8](repeating: 0, count: saltLength)
        var generator = SystemRandomNumberGenerator()
        for index in salt.indices { salt[index] = UInt8.random(in: 0...255, using: &generator) }
        let length = argon2_encodedlen(
            iterations, memoryKiB, lanes, UInt32(saltLength), UInt32(hashLength), Argon2_id)
        var encoded = [CChar](repeating: 0, count: length + 1)
        let bytes = Array(password.utf8)
        let status = bytes.withUnsafeBytes { pwd in
            argon2id_hash_encoded(
                iterations, memoryKiB, lanes, pwd.baseAddress, pwd.count, salt, salt.count, hashLength, &encoded,
                encoded.count)
        }
        guard status == ARGON2_OK.rawValue else {
            throw SedgateError(
                .storage, "the password could not be hashed: \(String(cString: argon2_error_message(status)))")
        }
        return String(decoding: encoded.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `password` matches `encoded` (false for a malformed hash).
    public static func verify(_ password: String, encoded: String) -> Bool {
        let bytes = Array(password.utf8)
        return bytes.withUnsafeBytes { pwd in
            argon2id_verify(encoded, pwd.baseAddress, pwd.count) == ARGON2_OK.rawValue
        }
    }

    /// A hash of a password nobody has, to spend the same time on an unknown user name as on a known one.
    static let decoy: String = (try? hash("decoy password nobody types")) ?? ""
}
