// SpawnedProcessTests: a long-lived child started for a test holds none of the test process's descriptors (a pipe
// another thread reads to EOF, PKI's `openssl` stderr, would never end), and starts with a clean signal state.

import Foundation
import Glibc
import SedgateTesting
import Testing

@Suite("Spawned test processes")
struct SpawnedProcessTests {
    @Test("a spawned child holds standard input, output and error only, not the descriptors open here (a pipe)")
    func noInheritedDescriptors() async throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer {
            close(ends[0])
            close(ends[1])
        }
        let child = try SpawnedProcess(
            executable: "/bin/sleep", arguments: ["60"], environment: nil, logPath: "/dev/null")
        defer { child.terminate() }
        // posix_spawn returns once the child has exec'd: what it holds now is what it keeps.
        let held = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(child.processIdentifier)/fd")
        #expect(held.sorted() == ["0", "1", "2"])
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
