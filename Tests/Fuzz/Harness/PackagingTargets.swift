// PackagingTargets: the framing of what arrives over the wire before any signature is checked: MTOM (MIME
// multipart/related with XOP references) and the manifest of a large payload's fragments.

import Foundation
import Packaging

/// The MTOM and fragment-manifest targets.
enum PackagingTargets {
    /// An MTOM message: the input's first line is the HTTP Content-Type, the rest the body.
    static let mtom = FuzzTarget(
        name: "mtom",
        summary: "MTOM framing: first line Content-Type, then the body; MTOMReader, each part, XOP.inline",
        prepare: {
            { bytes in
                let (contentType, body) = splitFirstLine(bytes)
                guard let message = try? MTOMReader().read(data: Data(body), contentType: contentType) else { return }
                for part in message.parts {
                    _ = try? message.bytes(of: part)
                }
                _ = try? XOP.inline(message)
            }
        })

    /// A fragment manifest document, and what a reader derives from each fragment it lists.
    static let manifest = FuzzTarget(
        name: "manifest",
        summary: "fragment manifest XML: FragmentManifest(xml:), fragment names and sizes",
        prepare: {
            { bytes in
                guard let manifest = try? FragmentManifest(xml: Data(bytes), source: "fuzz") else { return }
                for fragment in manifest.fragments.prefix(1_000) {
                    _ = manifest.fileName(ofFragment: fragment.index)
                    _ = manifest.originalSize(ofFragment: fragment.index)
                }
                _ = manifest.xml
            }
        })
}
