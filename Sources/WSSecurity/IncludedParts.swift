// IncludedParts: the xop:Include elements of a received envelope's soap:Body, each standing for an MTOM attachment,
// so that the envelope's signature is checked as over its inline (XOP-reconstituted) form without building or
// parsing that form.
//
// While the signature is checked, each Include is swapped for a text node holding a marker (random for each
// envelope, so no sender can write it), and a reference digest over an element holding markers is taken over
// libxml2's canonical form of it with each marker replaced by the base64 of its part: the bytes the canonical form of
// the inline document has there, since canonical text of base64 is the base64 itself. Takes only the layout MTOM
// writers produce (a UTF-8 document; an Include with an href alone and no content, the only node of its parent, inside
// the soap:Body); for any other layout it swaps nothing and the caller verifies the inline form instead.

import CLibXML2
import CXMLSec
import Crypto
import Foundation
import Glibc
import SedgateCore

/// The xop:Include elements of one document, swapped for markers while its signature is checked.
final class IncludedParts {
    /// The XOP namespace of `xop:Include`.
    static let namespace = "http://www.w3.org/2004/08/xop/include"

    /// One Include taken out of the document and the marker standing in its place.
    private struct Swap {
        let include: xmlNodePtr
        let marker: xmlNodePtr
        /// The part's bytes (the inline form has their base64).
        let part: Data
    }

    /// The document the swaps are made in, kept alive until they are undone.
    private let document: SecurityDocument
    private var swaps: [Swap] = []
    /// The marker's text, the same in every swap.
    let marker: [UInt8]

    /// Swaps every xop:Include of `document` for a marker, with the bytes `resolve` gives for its href (resolve
    /// throws for an href naming no part); nil, nothing swapped and nothing resolved, when an Include lies outside
    /// `body` or is laid out otherwise than this type takes.
    init?(
        in document: SecurityDocument, body: Element, resolve: (_ href: String) throws(SedgateError) -> Data
    ) throws(SedgateError) {
        self.document = document
        var random = SystemRandomNumberGenerator()
        let token = (0..<4).map { _ in String(random.next() as UInt64, radix: 16) }.joined(separator: "-")
        marker = Array("sedgate-xop-\(token)".utf8)
        // The inline form is spliced in UTF-8 (XOP.inline): a document in another encoding is left to it.
        if let encoding = document.document.pointee.encoding, String(cString: encoding).uppercased() != "UTF-8" {
            return nil
        }
        var includes: [(node: xmlNodePtr, href: String)] = []
        for element in document.root.descendantsAndSelf where element.isNamed("Include", Self.namespace) {
            guard let href = Self.plainHref(element), Self.isInside(element.node, body.node) else { return nil }
            includes.append((element.node, href))
        }
        var parts: [Data] = []
        for include in includes { parts.append(try resolve(include.href)) }
        for (include, part) in zip(includes, parts) {
            let text = marker + [0]
            guard let node = xmlNewDocText(document.document, text) else {
                restore()
                throw SedgateError(.io, "libxml2 could not allocate a text node; the node is out of memory")
            }
            xmlReplaceNode(include.node, node)
            swaps.append(Swap(include: include.node, marker: node, part: part))
        }
    }

    /// Puts every Include back where it was (the document reads as received again).
    func restore() {
        for swap in swaps.reversed() {
            xmlReplaceNode(swap.marker, swap.include)
            xmlFreeNode(swap.marker)
        }
        swaps = []
    }

    /// The parts whose markers lie in the subtree at `element`, in document order.
    func parts(below element: Element) -> [Data] {
        swaps.filter { Self.isInside($0.marker, element.node) }.map(\.part)
    }

    /// The SHA-256 of `canonical` with the n-th marker replaced by the base64 of `parts[n]` (RFC 4648, padded, no line
    /// breaks: what `XOP.inline` writes); nil when `canonical` does not hold exactly `parts.count` markers.
    func digest(ofCanonical canonical: UnsafeBufferPointer<UInt8>, parts: [Data]) -> [UInt8]? {
        var hash = SHA256()
        var rest = UnsafeRawBufferPointer(canonical)
        for part in parts {
            guard let found = find(in: rest) else { return nil }
            hash.update(bufferPointer: UnsafeRawBufferPointer(rebasing: rest[..<found]))
            Self.updateBase64(&hash, with: part)
            rest = UnsafeRawBufferPointer(rebasing: rest[(found + marker.count)...])
        }
        guard find(in: rest) == nil else { return nil }
        hash.update(bufferPointer: rest)
        return Array(hash.finalize())
    }

    /// Adds the base64 of `part` to `hash`, encoded by OpenSSL a slice at a time into one buffer (a slice is a
    /// multiple of 3 bytes, so only the last one is padded): no copy of the whole base64 is made.
    private static func updateBase64(_ hash: inout SHA256, with part: Data) {
        let slice = 3 * 16_384
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: slice / 3 * 4 + 1) { text in
            part.withUnsafeBytes { bytes in
                var offset = 0
                while offset < bytes.count {
                    let count = min(slice, bytes.count - offset)
                    let written = EVP_EncodeBlock(
                        text.baseAddress!, bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + offset, Int32(count)
                    )
                    hash.update(
                        bufferPointer: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(text)[..<Int(written)]))
                    offset += count
                }
            }
        }
    }

    /// The offset of the first marker in `bytes`, or nil.
    private func find(in bytes: UnsafeRawBufferPointer) -> Int? {
        guard let base = bytes.baseAddress else { return nil }
        return marker.withUnsafeBytes { marker -> Int? in
            var offset = 0
            // The marker's first byte ("s") is rare in canonical XML: memchr finds the candidates, memcmp checks them.
            while bytes.count - offset >= marker.count {
                guard let candidate = memchr(base + offset, Int32(marker[0]), bytes.count - offset - marker.count + 1)
                else { return nil }
                let at = base.distance(to: UnsafeRawPointer(candidate))
                if memcmp(candidate, marker.baseAddress!, marker.count) == 0 { return at }
                offset = at + 1
            }
            return nil
        }
    }

    /// The href of an Include that has it as its only attribute, no content, and no sibling node; else nil.
    private static func plainHref(_ include: Element) -> String? {
        let node = include.node.pointee
        guard node.children == nil, node.prev == nil, node.next == nil, let attribute = node.properties,
            attribute.pointee.next == nil, attribute.pointee.ns == nil,
            String(cString: attribute.pointee.name) == "href"
        else { return nil }
        return include.attribute("href")
    }

    /// Whether `node` lies strictly inside the subtree at `apex`.
    private static func isInside(_ node: xmlNodePtr, _ apex: xmlNodePtr) -> Bool {
        var cursor = node.pointee.parent
        while let current = cursor {
            if current == apex { return true }
            cursor = current.pointee.parent
        }
        return false
    }
}
