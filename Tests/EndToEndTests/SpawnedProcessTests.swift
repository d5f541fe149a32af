// SpawnedProcessTests: a long-lived child started for a test holds none of the test process's descriptors, so a
// pipe another thread reads to EOF (PKI's `openssl`, reading its stderr) is not held open by it.

import Glibc
import SedgateTesting
import Testing

@Suite("Spawned test processes")
struct SpawnedProcessTests {
    @Test("a spawned child does not inherit an open pipe: its reader sees EOF when the writer closes")
    func noInheritedDescriptors() async throws {
        var ends: [Int32] = [0, 0]
        try #require(pipe(&ends) == 0)
        defer { close(ends[0]) }
        let child = try SpawnedProcess(
            executable: "/bin/sleep", arguments: ["60"], environment: nil, logPath: "/dev/null")
        defer { child.terminate() }
        close(ends[1])
        // With the write end closed here and in no child, the pipe is at EOF at once.
        var poller = pollfd(fd: ends[0], events: Int16(POLLIN), revents: 0)
        #expect(poll(&poller, 1, 0) == 1, "the child holds the pipe's write end")
        var byte: UInt8 = 0
        #expect(read(ends[0], &byte, 1) == 0)
    }
}
