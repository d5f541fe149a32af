// Sedgate: the executable's entry point and its subcommands.

import ArgumentParser

/// `sedgate`: an EESSI gateway. One binary, two roles, and offline tools.
@main
struct Sedgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sedgate",
        abstract: "An EESSI gateway: access point and coordination node, with offline tools.",
        subcommands: [
            AccessPointCommand.self, CoordinationNodeCommand.self, QueueCommand.self, TraceCommand.self,
            ValidateCommand.self, MigrateCommand.self, ConvertCommand.self, MappingCommand.self, DemoCommand.self,
            BenchCommand.self, PKICommand.self, PackCommand.self, UnpackCommand.self, ConformanceCommand.self,
            DirectoryCommand.self,
            StatsCommand.self, AlertsCommand.self, ReportBundleCommand.self, ConsoleCommand.self,
        ])

    /// Runs the command the arguments name; the lab's (`bench`, `demo`, `pki`) are handed whole to `sedgate-lab`, so
    /// their options and help are its own.
    static func main() async {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let first = arguments.first, Lab.commands.contains(first) { Lab.exec(arguments) }
        do {
            var command = try parseAsRoot(arguments)
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every command that reads a node's configuration shares.
struct ConfigOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "The node's configuration file (etc/<node>.toml).")
    var config: String

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"
}
