// TypedBytes: `withUnsafeBytes` variants that keep a closure's typed `SedgateError` (the standard ones rethrow
// `any Error`), so the packaging code can use typed throws end to end.

import Foundation
import SedgateCore

extension Data {
    /// `withUnsafeBytes` for a closure that throws `SedgateError`.
    func withBytes<Value>(
        _ body: (UnsafeRawBufferPointer) throws(SedgateError) -> Value
    ) throws(SedgateError)
        -> Value
    {
        try withUnsafeBytes { bytes in Result { () throws(SedgateError) in try body(bytes) } }.get()
    }

    /// `withUnsafeMutableBytes` for a closure that throws `SedgateError`.
    mutating func withMutableBytes<Value>(
        _ body: (UnsafeMutableRawBufferPointer) throws(SedgateError) -> Value
    ) throws(SedgateError) -> Value {
        try withUnsafeMutableBytes { bytes in Result { () throws(SedgateError) in try body(bytes) } }.get()
    }
}

extension Array where Element == UInt8 {
    /// `withUnsafeBytes` for a closure that throws `SedgateError`.
    func withBytes<Value>(
        _ body: (UnsafeRawBufferPointer) throws(SedgateError) -> Value
    ) throws(SedgateError)
        -> Value
    {
        try withUnsafeBytes { bytes in Result { () throws(SedgateError) in try body(bytes) } }.get()
    }

    /// `withUnsafeMutableBytes` for a closure that throws `SedgateError`.
    mutating func withMutableBytes<Value>(
        _ body: (UnsafeMutableRawBufferPointer) throws(SedgateError) -> Value
    ) throws(SedgateError) -> Value {
        try withUnsafeMutableBytes { bytes in Result { () throws(SedgateError) in try body(bytes) } }.get()
    }
}
