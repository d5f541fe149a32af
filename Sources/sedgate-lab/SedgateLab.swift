// SedgateLab: the entry point of `sedgate-lab`, the laboratory beside the gateway: benchmarks, the demo topology and
// its test PKI. It links SedgateTesting (the topology launcher, sample SEDs, demo certificates), which the shipped
// `sedgate` does not; `sedgate bench|demo|pki ...` runs it, found beside itself, with the same arguments.

import ArgumentParser
import CommandSupport
import SedgateTesting

/// `sedgate-lab`: benchmarks, the demo and its PKI.
@main
struct SedgateLab: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sedgate-lab",
        abstract: "Benchmarks, the demo topology and its test PKI (also run as `sedgate bench|demo|pki`).",
        subcommands: [BenchCommand.self, DemoCommand.self, PKICommand.self])
}

/// The `sedgate` executable the lab's topologies run: `$SEDGATE_BINARY`, or `sedgate` beside `sedgate-lab`.
func nodeExecutable() throws -> String {
    do {
        return try SedgateBinary.path()
    } catch {
        printError("sedgate: \(error)")
        throw ExitCode(1)
    }
}
