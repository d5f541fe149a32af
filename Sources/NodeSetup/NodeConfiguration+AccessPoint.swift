// NodeConfiguration+AccessPoint: an access point's own tables: its CN and mode, intake, inbound landing and
// ordering, validation, flat-file profiles with their mappings, local routes, and the national-side queues.

import AccessPoint
import Batches
import ConfigurationFile
import Documents
import Foundation
import SedgateCore
import Spool
import Transport

extension NodeConfiguration {
    /// The access point `file` configures, on top of the settings both roles share.
    static func accessPoint(
        _ file: ConfigFile, path: String, _ common: CommonSettings
    ) throws(SedgateError) -> AccessPointConfiguration {
        let template: FileNameTemplate
        do {
            template = try FileNameTemplate(
                try file.string("inbound", "template", default: "{receiver}_{sedType}_{sedId}.xml"))
        } catch {
            throw file.fail("inbound", "template", error.message)
        }
        let rules = try file.string("validation", "rules", default: "")
        let policyText = try file.string("validation", "outbound", default: "reject")
        guard let policy = ValidationPolicy(rawValue: policyText) else {
            throw file.fail(
                "validation", "outbound", "is '\(policyText)'; it must be \"reject\", \"flag\" or \"off\"")
        }
        let validator: SEDValidator?
        do {
            validator = rules.isEmpty ? nil : try SEDValidator(rulesDirectory: rules)
        } catch {
            throw file.fail("validation", "rules", error.message)
        }
        let mode = try file.string("cn", "mode", default: "push")
        guard ["push", "pull"].contains(mode) else {
            throw file.fail(
                "cn", "mode", "is '\(mode)'; it must be \"push\" (the CN delivers) or \"pull\" (this AP polls)")
        }
        let pollInterval = try file.milliseconds("cn", "poll-ms", default: 1_000)
        let pullInterval: Duration? = mode == "pull" ? pollInterval : nil
        let profiles = try Self.profiles(file, path: path)
        var apRoutes: [String: NodeID] = [:]
        for (key, value) in try file.stringTable("routes") {
            guard let id = NodeID(value) else { throw file.fail("routes", key, "names '\(value)', not a node id") }
            apRoutes[key] = id
        }
        let routeTable: RoutingTable
        do { routeTable = try RoutingTable(apRoutes) } catch { throw file.fail("routes", nil, error.message) }
        let orderWaitSeconds = try file.int("inbound", "order-wait-s", default: 600)
        guard orderWaitSeconds >= 0 else {
            throw file.fail("inbound", "order-wait-s", "is \(orderWaitSeconds); it must be 0 (no ordering) or more")
        }
        let orderWait = Duration.seconds(orderWaitSeconds)
        let rescanSeconds = try file.int("intake", "rescan-s", default: 30)
        guard rescanSeconds >= 0 else {
            throw file.fail("intake", "rescan-s", "is \(rescanSeconds); it must be 0 (no rescan) or more")
        }
        let takeUpScanSeconds = try file.int("inbound", "takeup-scan-s", default: 300)
        guard takeUpScanSeconds >= 1 else {
            throw file.fail("inbound", "takeup-scan-s", "is \(takeUpScanSeconds); it must be 1 or more")
        }
        let certificates = try file.string(
            "directory", "certificates",
            default: (common.tls.trustRootsPath as NSString).deletingLastPathComponent)
        var accessPoint =
            AccessPointConfiguration(
                node: common.node, spool: common.spool, host: common.host, port: common.port, tls: common.tls,
                coordinationNode: try file.node("cn", "id"),
                coordinationNodeURL: try Self.coordinationNodeURLs(file)[0],
                settle: try file.milliseconds("intake", "settle-ms", default: 500),
                maxDocumentBytes: try file.int("intake", "max-document-bytes", default: 16 << 20),
                inboundTemplate: template, retryInitial: common.retryInitial, retryMaximum: common.retryMaximum,
                capacity: common.capacity, validator: validator, outboundValidation: policy, lifetime: common.lifetime,
                profiles: profiles, pullInterval: pullInterval, routes: routeTable, certificates: certificates,
                packing: common.packing, retention: common.retention, orderWait: orderWait,
                takeUpScan: .seconds(takeUpScanSeconds), rescan: .seconds(rescanSeconds))
        accessPoint.coordinationNodeURLs = try Self.coordinationNodeURLs(file)
        accessPoint.archiveLimits = try Self.archiveLimits(file)
        accessPoint.inboundBatches = try Self.inboundBatches(file, profiles: Set(profiles.keys))
        accessPoint.webQueue = try Self.webQueue(file)
        accessPoint.databaseQueue = try Self.databaseQueue(file)
        accessPoint.syncTimeout = try SyncSettings.timeout(file)
        accessPoint.inboundRouting = try Self.inboundRouting(
            file, profiles: Set(profiles.keys), batches: Set(accessPoint.inboundBatches.keys))
        return accessPoint
    }

    /// `[batch]`: what an archive committed to `outbound/` may unpack to.
    static func archiveLimits(_ file: ConfigFile) throws(SedgateError) -> ArchiveLimits {
        var limits = ArchiveLimits()
        limits.maxEntries = try file.int("batch", "max-entries", default: limits.maxEntries)
        limits.maxTotalBytes = try file.int("batch", "max-total-mb", default: limits.maxTotalBytes >> 20) << 20
        limits.maxRatio = try file.int("batch", "max-ratio", default: limits.maxRatio)
        for (key, value) in [
            ("max-entries", limits.maxEntries), ("max-total-mb", limits.maxTotalBytes), ("max-ratio", limits.maxRatio),
        ]
        where value < 1 {
            throw file.fail("batch", key, "is \(value); it must be 1 or more")
        }
        return limits
    }
}
