// SpawnedProcessTests: a long-lived child started for a test holds none of the test process's descriptors (a pipe
// another thread reads to EOF, PKI's `openssl` stderr, would never end), and starts with a clean signal state.

import Foundation
import Glibc
import SedgateTesting
import Testing

@Suite("Spawned test processes")
struct SpawnedProcessTests {
    @Test("a spawned child does not hold a descriptor open here (a pipe's write end)")
    func noInheritedDescriptors() async throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        let pipeName = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(ends[1])")
        let child = try SpawnedProcess(
            executable: "/bin/sleep", arguments: ["60"], environment: nil, logPath: "/dev/null")
        defer { child.terminate() }
        // posix_spawn returns once the child has exec'd: what it inherited it holds now (it may open files of its
        // own, such as its locale, but never this pipe).
        let folder = "/proc/\(child.processIdentifier)/fd"
        let held = try FileManager.default.contentsOfDirectory(atPath: folder).compactMap {
            try? FileManager.default.destinationOfSymbolicLink(atPath: folder + "/" + $0)
        }
        #expect(pipeName.hasPrefix("pipe:"))
        #expect(!held.contains(pipeName), "the child holds \(pipeName)")
    }

    @Test("a spawned child starts with no signal blocked, whatever the spawning thread blocks, and SIGTERM ends it")
    func cleanSignalState() async throws {
        var blocked = sigset_t()
        sigemptyset(&blocked)
        sigaddset(&blocked, SIGTERM)
        var previous = sigset_t()
        pthread_sigmask(SIG_BLOCK, &blocked, &previous)
        let child: SpawnedProcess
        do {
            child = try SpawnedProcess(
                executable: "/bin/sleep", arguments: ["60"], environment: nil, logPath: "/dev/null")
        } catch {
            pthread_sigmask(SIG_SETMASK, &previous, nil)
            throw error
        }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        let status = try String(contentsOfFile: "/proc/\(child.processIdentifier)/status", encoding: .utf8)
        let mask = status.split(separator: "\n").first { $0.hasPrefix("SigBlk:") }
        #expect(
            mask.map { $0.dropFirst(7).allSatisfy { $0 == "0" || $0 == "\t" || $0 == " " } } == true, "\(mask ?? "")")
        child.terminate()
        try await Wait.until("the child to end on SIGTERM", timeout: .seconds(10)) { !child.isRunning }
    }
}
