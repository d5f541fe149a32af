// ManualQueueCommands: `sedgate queue manual list | forward | reject | return`, the operator's hand on the SEDs
// that landed in manual/ because no inbound route matched them (see ManualQueue in AccessPoint).

import AccessPoint
import ArgumentParser
import CommandSupport
import NodeSetup
import SedgateCore
import Store

extension QueueCommand {
    /// `sedgate queue manual ...`
    struct Manual: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Route by hand the received SEDs no inbound route matched (manual/).",
            subcommands: [List.self, Forward.self, Reject.self, Return.self])

        /// Opens an access point's manual queue and runs one action, printing its answer.
        static func run(
            _ options: ConfigOption, _ action: (ManualQueue) async throws(SedgateError) -> String
        ) async throws {
            let (configuration, journal) = try openJournal(options.config)
            guard case .accessPoint(let accessPoint) = configuration else {
                printError("sedgate: \(options.config) configures a coordination node; manual/ is an access point's")
                throw ExitCode(2)
            }
            do {
                print(try await action(ManualQueue(configuration: accessPoint, journal: journal)))
            } catch {
                printError("sedgate: \(error)")
                throw ExitCode(1)
            }
        }

        static func sedId(_ text: String) throws -> SEDID {
            guard let id = SEDID(text) else { throw ValidationError("'\(text)' is not a SED id (a UUID)") }
            return id
        }

        struct List: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "The SEDs waiting in manual/: id, since, file, sender, receiver, sector, type, BUC.")
            @OptionGroup var options: ConfigOption
            func run() async throws {
                try await Manual.run(options) { (queue) throws(SedgateError) in
                    let entries = try await queue.list()
                    guard !entries.isEmpty else { return "manual/ is empty" }
                    return entries.map { entry in
                        let envelope = entry.envelope
                        return [
                            entry.sedId.rawValue, entry.since, entry.file, "\(envelope.sender)", "\(envelope.receiver)",
                            envelope.sector, envelope.sedType, envelope.bucType,
                        ].joined(separator: "  ")
                    }.joined(separator: "\n")
                }
            }
        }

        struct Forward: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Hand a SED in manual/ to a channel: inbound, or inbound/<folder>.")
            @OptionGroup var options: ConfigOption
            @Argument(help: "The SED id.") var sedId: String
            @Option(help: "The channel: inbound or inbound/<folder>.") var to: String
            func run() async throws {
                let id = try Manual.sedId(sedId)
                guard let channel = InboundChannel(to) else {
                    throw ValidationError("'\(to)' is not a channel; use inbound or inbound/<folder>")
                }
                try await Manual.run(options) { (queue) throws(SedgateError) in try await queue.forward(id, to: channel)
                }
            }
        }

        struct Reject: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract:
                    "Refuse a SED in manual/ here: it moves to rejected/ with the reason (its sender is not told).")
            @OptionGroup var options: ConfigOption
            @Argument(help: "The SED id.") var sedId: String
            @Option(help: "Why, in a sentence.") var reason: String
            func run() async throws {
                let id = try Manual.sedId(sedId)
                try await Manual.run(options) { (queue) throws(SedgateError) in
                    try await queue.reject(id, reason: reason)
                }
            }
        }

        struct Return: AsyncParsableCommand {
            static let configuration = CommandConfiguration(
                abstract: "Return a SED in manual/ to its sender: a failed receipt carries the reason back.")
            @OptionGroup var options: ConfigOption
            @Argument(help: "The SED id.") var sedId: String
            @Option(help: "Why, in a sentence.")
            var reason = "the receiving institution could not be determined"
            func run() async throws {
                let id = try Manual.sedId(sedId)
                try await Manual.run(options) { (queue) throws(SedgateError) in
                    try await queue.returnToSender(id, reason: reason)
                }
            }
        }
    }
}
