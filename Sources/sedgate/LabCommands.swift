// LabCommands: `sedgate bench`, `sedgate demo` and `sedgate pki` live in `sedgate-lab`, which links the test
// support (SedgateTesting) the shipped executable must not; `sedgate` replaces itself with `sedgate-lab` found
// beside it (the folder of /proc/self/exe), with the same arguments, or says how to build it when it is absent.

import ArgumentParser
import CommandSupport
import Foundation
import Glibc

/// Hands a command of the lab to `sedgate-lab`.
enum Lab {
    /// The first arguments that belong to `sedgate-lab`.
    static let commands: Set<String> = ["bench", "demo", "pki"]

    /// `sedgate-lab` beside the running `sedgate`.
    static var path: String {
        let running =
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        return URL(fileURLWithPath: running).deletingLastPathComponent().appendingPathComponent("sedgate-lab").path
    }

    /// Replaces this process with `sedgate-lab arguments...`; exits 1 with the reason when it cannot.
    static func exec(_ arguments: [String]) -> Never {
        let lab = path
        guard FileManager.default.isExecutableFile(atPath: lab) else {
            printError(
                "sedgate: `sedgate \(arguments.first ?? "")` is run by sedgate-lab, and there is no \(lab); build it "
                    + "beside sedgate with `swift build --product sedgate-lab` (`make build` builds both)")
            exit(1)
        }
        let argv = ([lab] + arguments).map { strdup($0) } + [nil]
        execv(lab, argv)
        printError("sedgate: cannot run \(lab): \(String(cString: strerror(errno)))")
        exit(1)
    }
}

/// A command of `sedgate-lab`, listed in `sedgate --help`. `Sedgate.main` hands its arguments over before they are
/// parsed, so its options and help are the lab's own.
protocol LabCommand: ParsableCommand {}

extension LabCommand {
    func run() { Lab.exec(Array(CommandLine.arguments.dropFirst())) }
}

/// `sedgate bench ...`: `sedgate-lab bench ...`.
struct BenchCommand: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench", abstract: "Benchmarks: the exchange, packing, sealing, conversion... (sedgate-lab).")
}

/// `sedgate demo ...`: `sedgate-lab demo ...`.
struct DemoCommand: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo", abstract: "Run the etc/demo topology and send the sample SEDs across it (sedgate-lab).")
}

/// `sedgate pki ...`: `sedgate-lab pki ...`.
struct PKICommand: LabCommand {
    static let configuration = CommandConfiguration(
        commandName: "pki", abstract: "Make a demo CA and one certificate per node (sedgate-lab).")
}
