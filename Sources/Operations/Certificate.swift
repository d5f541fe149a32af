// Certificate: the expiry date of a PEM certificate, read from its DER (TBSCertificate → validity → notAfter):
// the one field the operator metrics and the certificate alert need, without a certificate library.

public import Foundation

/// Reads an X.509 certificate's `notAfter`.
public enum Certificate {
    /// The `notAfter` of the first certificate in the PEM file at `pemFile`, or nil if it cannot be read.
    public static func notAfter(pemFile: String) -> Date? {
        guard let text = try? String(contentsOfFile: pemFile, encoding: .utf8),
            let begin = text.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = text.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<text.endIndex),
            let der = Data(
                base64Encoded: String(text[begin.upperBound..<end.lowerBound]), options: .ignoreUnknownCharacters)
        else { return nil }
        return notAfter(der: [UInt8](der))
    }

    /// The `notAfter` of a DER certificate.
    static func notAfter(der: [UInt8]) -> Date? {
        // Certificate SEQUENCE { tbsCertificate SEQUENCE { [0] version?, serial, signature, issuer, validity ...
        guard let certificate = element(der, at: 0), certificate.tag == 0x30,
            let tbs = element(der, at: certificate.content), tbs.tag == 0x30
        else { return nil }
        var offset = tbs.content
        guard var field = element(der, at: offset) else { return nil }
        if field.tag == 0xA0 {
            offset = field.end
            guard let next = element(der, at: offset) else { return nil }
            field = next
        }
        // serial, signature algorithm, issuer, then validity.
        for _ in 0..<3 {
            offset = field.end
            guard let next = element(der, at: offset) else { return nil }
            field = next
        }
        guard field.tag == 0x30, let notBefore = element(der, at: field.content),
            let notAfter = element(der, at: notBefore.end)
        else { return nil }
        let text = String(decoding: der[notAfter.content..<notAfter.end], as: UTF8.self)
        let full: String
        switch notAfter.tag {
        case 0x17:  // UTCTime YYMMDDHHMMSSZ: 50-99 are 19xx.
            guard let year = Int(text.prefix(2)) else { return nil }
            full = (year >= 50 ? "19" : "20") + text
        case 0x18: full = text
        default: return nil
        }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMddHHmmss'Z'"
        return formatter.date(from: full)
    }

    /// The DER element at `offset`: its tag, where its content starts and where it ends.
    private static func element(_ der: [UInt8], at offset: Int) -> (tag: UInt8, content: Int, end: Int)? {
        guard offset + 2 <= der.count else { return nil }
        let tag = der[offset]
        var length = Int(der[offset + 1])
        var content = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard count >= 1, count <= 4, content + count <= der.count else { return nil }
            length = der[content..<content + count].reduce(0) { $0 << 8 | Int($1) }
            content += count
        }
        guard content + length <= der.count else { return nil }
        return (tag, content, content + length)
    }
}
