// SpawnedProcess: a long-running child (a node of a test topology) started with posix_spawn and reaped with
// waitpid(WNOHANG) by whoever asks whether it still runs.
//
// Foundation's Process on Linux reaps its children from one monitor thread, which can block in a wait4 on one child
// that has not exited; until that child exits, no other child's exit is noticed, and a test waiting for a node it
// killed waits for ever (seen: a fault-injection test's CN held the monitor while three killed nodes stayed zombies
// and every test awaiting them hung). Nodes live for minutes, so they are kept out of that monitor altogether.

import Foundation
import Glibc
import SedgateCore

/// A child process started with `posix_spawn`, its output appended to a file.
public final class SpawnedProcess: @unchecked Sendable {
    /// The child's process id.
    public let processIdentifier: Int32
    private let lock = NSLock()
    private var status: Int32?

    /// Starts `executable` with `arguments` (without the program name), its standard output and error appended to
    /// `logPath`, standard input from /dev/null. `environment`, when given, replaces the inherited one.
    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
        unsafeBitCast($0, to: AddCloseFrom.self)
    }

    public init(
        executable: String, arguments: [String], environment: [String: String]?, logPath: String
    ) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, logPath, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process leaks into the child: a pipe another thread has open at this moment (an
        // `openssl` run by PKI, reading its stderr to EOF) would otherwise stay open in a long-lived child, and its
        // reader would wait for an EOF that never comes.
        // (glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which the Glibc module does not export.)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        // The child starts with no signal blocked, as from a shell or systemd: it would otherwise inherit the
        // spawning thread's mask (the test runtime's threads block SIGTERM), and a server such as smtp-sink would
        // outlive its test, deaf to `terminate()`. Dispositions are inherited as they are (SIGPIPE stays ignored).
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK))
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let pairs = environment.map { $0.map { "\($0.key)=\($0.value)" } }
        let envp: [UnsafeMutablePointer<CChar>?]? = pairs.map { $0.map { strdup($0) } + [nil] }
        defer { for pointer in envp ?? [] { free(pointer) } }
        var pid: pid_t = 0
        let code: Int32
        if let envp {
            code = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        } else {
            code = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        }
        guard code == 0 else {
            throw SedgateError(.io, "cannot start \(executable): \(String(cString: strerror(code)))")
        }
        processIdentifier = pid
    }

    /// Whether the child still runs (reaping it, once, when it has exited).
    public var isRunning: Bool {
        lock.lock()
        defer { lock.unlock() }
        guard status == nil else { return false }
        var raw: Int32 = 0
        let result = waitpid(processIdentifier, &raw, WNOHANG)
        if result == processIdentifier {
            // WIFEXITED: the low seven bits are zero; then the status is in the next byte, else the signal number.
            status = raw & 0x7f == 0 ? (raw >> 8) & 0xff : raw & 0x7f
        } else if result == -1, errno == ECHILD {
            status = -1
        }
        return status == nil
    }

    /// Asks it to stop (SIGTERM), if it still runs.
    public func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    /// The exit status, or the signal that ended it; -1 while it runs.
    public var terminationStatus: Int32 {
        _ = isRunning
        return lock.withLock { status ?? -1 }
    }
}
