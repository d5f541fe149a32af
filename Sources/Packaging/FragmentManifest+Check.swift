// FragmentManifest+Check: the consistency rules of a manifest (sizes add up, digests are SHA-256 hex,
// names cannot escape a folder).

import SedgateCore

extension FragmentManifest {
    /// Throws the first rule the manifest breaks.
    func check() throws(SedgateError) {
        try Self.check(payloadID: payloadID)
        let subject = "the manifest of payload \(payloadID)"
        guard (1...Self.maxFragmentSize).contains(fragmentSize) else {
            throw Self.inconsistent(
                "\(subject) has fragment size \(fragmentSize); 1 to \(Self.maxFragmentSize) is accepted")
        }
        guard totalSize >= 0 else { throw Self.inconsistent("\(subject) has a negative total size \(totalSize)") }
        let expected = Self.fragmentCount(totalSize: totalSize, fragmentSize: fragmentSize)
        guard expected <= Int64(Self.maxFragmentCount) else {
            throw Self.inconsistent(
                "\(subject) needs \(expected) fragments; at most \(Self.maxFragmentCount) are accepted")
        }
        guard fragments.count == expected else {
            throw Self.inconsistent(
                "\(subject) lists \(fragments.count) fragments, but \(totalSize) bytes in fragments of "
                    + "\(fragmentSize) make \(expected)")
        }
        guard Self.isDigest(sha256) else {
            throw Self.inconsistent("\(subject): the payload SHA-256 '\(sha256.prefix(80))' is not 64 hex digits")
        }
        for (position, fragment) in fragments.enumerated() {
            guard fragment.index == position else {
                throw Self.inconsistent(
                    "\(subject) lists fragment \(fragment.index) in position \(position); fragments must be "
                        + "numbered 0, 1, 2... in order")
            }
            let limit = Int64(originalSize(ofFragment: position)) + Self.maxTransformOverhead
            guard (0...limit).contains(fragment.size) else {
                throw Self.inconsistent(
                    "\(subject): fragment \(position) has size \(fragment.size); 0 to \(limit) is possible")
            }
            guard Self.isDigest(fragment.sha256) else {
                throw Self.inconsistent(
                    "\(subject): the SHA-256 of fragment \(position), '\(fragment.sha256.prefix(80))', is not 64 "
                        + "hex digits")
            }
        }
        guard !contentType.isEmpty, contentType.utf8.count <= 200,
            contentType.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F })
        else {
            throw Self.inconsistent("\(subject) has an empty or unprintable content type")
        }
        if let fileName {
            guard !fileName.isEmpty, fileName.utf8.count <= 255, fileName != ".", fileName != "..",
                !fileName.unicodeScalars.contains(where: { $0 == "/" || $0 == "\\" || $0.value < 0x20 })
            else {
                throw SedgateError(
                    .hostileInput,
                    "\(subject) has file name '\(fileName.prefix(80))', which is not a single file name; refused")
            }
        }
    }

    /// Checks a payload id: 1-128 of `A-Z a-z 0-9 . _ -`, not starting with `.`.
    static func check(payloadID: String) throws(SedgateError) {
        let bytes = Array(payloadID.utf8)
        let valid =
            (1...128).contains(bytes.count) && bytes[0] != 0x2E
            && bytes.allSatisfy { byte in
                (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
                    || byte == 0x2E || byte == 0x5F || byte == 0x2D
            }
        guard valid else {
            throw SedgateError(
                .hostileInput,
                "the payload id '\(payloadID.prefix(80))' is not 1 to 128 letters, digits, '.', '_' or '-' (not "
                    + "starting with '.'); it names files, so it is refused")
        }
    }

    /// Whether `text` is 64 hex digits.
    static func isDigest(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func inconsistent(_ message: String) -> SedgateError {
        SedgateError(.protocolViolation, message + "; the manifest is inconsistent, ask the sender for it again")
    }
}
