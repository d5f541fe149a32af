// FragmentTransform: runs a caller's per-fragment transform (encrypt, decrypt) and names the fragment when it
// fails, so errors from Fragmenter and Reassembler always say which fragment.

import Foundation
import SedgateCore

/// Applies caller transforms to fragments.
enum FragmentTransform {
    /// `transform(index, data)`; a failure becomes a SedgateError naming the fragment (SedgateErrors that
    /// already do pass unchanged).
    static func apply(
        _ transform: (Int, Data) throws -> Data, index: Int, data: Data, payloadID: String, purpose: String
    ) throws(SedgateError) -> Data {
        do {
            return try transform(index, data)
        } catch let error as SedgateError where error.message.contains("fragment \(index) of payload \(payloadID)") {
            throw error
        } catch let error as SedgateError {
            throw SedgateError(
                error.code, "fragment \(index) of payload \(payloadID): \(purpose) failed: \(error.message)",
                location: error.location, cause: error)
        } catch {
            throw SedgateError(
                .io, "fragment \(index) of payload \(payloadID): \(purpose) failed", cause: error)
        }
    }
}
