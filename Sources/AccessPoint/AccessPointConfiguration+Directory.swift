// AccessPointConfiguration+Directory: what intake and the sender ask of the routes and certificates, whether they
// come from the directory or from the configuration file.

import Foundation
public import SedgateCore

extension AccessPointConfiguration {
    /// Refuses at intake a SED whose receiver no access point serves, naming the address: it could never leave.
    public func checkRoute(_ receiver: Address, source: String) throws(SedgateError) {
        guard routes.destination(for: receiver) == nil else { return }
        throw SedgateError(
            .unknownRoute,
            "no access point serves \(receiver): the directory has no institution at that address or above it, and "
                + "[routes] names none; check the receiver, or ask the CN operator to add the institution",
            location: .init(file: source, field: "Envelope/Receiver"))
    }

    /// The certificate file to seal SEDs for `destination` with: the directory's current one when it lists the
    /// access point, else `<certificates>/<AP-ID>.crt`.
    public func certificateFile(for destination: NodeID) -> String {
        if let directoryCertificates {
            let path = "\(directoryCertificates)/\(destination).crt"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        return "\(certificates)/\(destination).crt"
    }
}
