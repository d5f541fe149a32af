// DurableFileTests: the one durable write: a file appears whole, with its bytes and mode, or not at all; it replaces
// only when asked; and whatever fails, no temporary file is left behind.

import Foundation
import Glibc
import SedgateCore
import Testing

/// A fresh folder under /tmp, removed afterwards.
private final class Folder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.path + "/durable-file-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The names in the folder, sorted (temporary files included).
    func names() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: path).sorted()
    }

    func read(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: URL(fileURLWithPath: path + "/" + name)))
    }
}

@Suite("The one durable write")
struct DurableFileTests {
    /// The process's umask, read without changing it (Linux reports it in /proc/self/status).
    private var umask: mode_t {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Umask:") }
        return line.flatMap { mode_t($0.dropFirst(6).trimmingCharacters(in: .whitespaces), radix: 8) } ?? 0o022
    }

    @Test("a file streamed in pieces larger and smaller than the buffer appears whole, with its mode")
    func appearsWhole() throws {
        let folder = try Folder()
        let path = folder.path + "/claim.xml"
        let pieces: [[UInt8]] = [
            Array(repeating: 0x41, count: 10), Array(repeating: 0x42, count: 200_000), Array("tail".utf8),
        ]
        let file = try DurableFile(path: path, mode: 0o604)
        for piece in pieces { try file.write(piece) }
        #expect(!FileManager.default.fileExists(atPath: path))
        try file.commit()
        #expect(file.count == 200_014)
        #expect(try folder.read("claim.xml") == pieces.flatMap { $0 })
        #expect(try folder.names() == ["claim.xml"])
        let info = try #require(Syscall.lstat(path).0)
        #expect(info.st_mode & 0o777 == 0o604 & ~umask)
        #expect(Syscall.kind(info) == S_IFREG)
    }

    @Test("by default an existing file is replaced whole; a symbolic link in its place is replaced, not followed")
    func replaces() throws {
        let folder = try Folder()
        try DurableFile.write(Array("old".utf8), to: folder.path + "/a")
        try DurableFile.write(Array("new".utf8), to: folder.path + "/a")
        #expect(try folder.read("a") == Array("new".utf8))

        try DurableFile.write(Array("target".utf8), to: folder.path + "/target")
        #expect(symlink(folder.path + "/target", folder.path + "/link") == 0)
        try DurableFile.write(Array("file".utf8), to: folder.path + "/link")
        #expect(try folder.read("target") == Array("target".utf8))
        #expect(Syscall.kind(try #require(Syscall.lstat(folder.path + "/link").0)) == S_IFREG)
        #expect(try folder.names() == ["a", "link", "target"])
    }

    @Test("without replacing, an existing name is refused and left untouched; a free one is taken")
    func noReplace() throws {
        let folder = try Folder()
        try DurableFile.write(Array("first".utf8), to: folder.path + "/a")
        let error = #expect(throws: SedgateError.self) {
            try DurableFile.write(Array("second".utf8), to: folder.path + "/a", replacing: false)
        }
        #expect(error?.code == .io)
        #expect(error?.message.contains("File exists") == true)
        #expect(try folder.read("a") == Array("first".utf8))
        #expect(try folder.names() == ["a"])

        try DurableFile.write(Array("second".utf8), to: folder.path + "/b", replacing: false)
        #expect(try folder.read("b") == Array("second".utf8))
    }

    @Test("a producer that fails half way leaves nothing: the temporary file goes with the writer")
    func abandoned() throws {
        let folder = try Folder()
        struct Broken: Error {}
        #expect(throws: Broken.self) {
            let file = try DurableFile(path: folder.path + "/half.mtf")
            try file.write(Array(repeating: 0x20, count: 100_000))
            #expect(try folder.names().count == 1)
            throw Broken()
        }
        #expect(try folder.names().isEmpty)
    }

    @Test("a failed rename (a folder in the way, another file system) leaves no temporary file behind")
    func failedPlacement() throws {
        let folder = try Folder()
        try FileManager.default.createDirectory(atPath: folder.path + "/taken", withIntermediateDirectories: false)
        #expect(throws: SedgateError.self) { try DurableFile.write(Array("x".utf8), to: folder.path + "/taken") }
        #expect(try folder.names() == ["taken"])

        // A temporary folder on another file system: written and synced, then the rename fails (EXDEV).
        let other = "/dev/shm/durable-file-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: false)
        defer { try? FileManager.default.removeItem(atPath: other) }
        let error = #expect(throws: SedgateError.self) {
            try DurableFile.write(Array("x".utf8), to: folder.path + "/b", temporaryDirectory: other)
        }
        #expect(error?.message.contains("same file system") == true)
        #expect(try FileManager.default.contentsOfDirectory(atPath: other).isEmpty)
        #expect(try folder.names() == ["taken"])
    }

    @Test("a folder that does not exist: nothing is created, and the error names the path")
    func missingFolder() throws {
        let folder = try Folder()
        let error = #expect(throws: SedgateError.self) {
            try DurableFile.write(Array("x".utf8), to: folder.path + "/absent/a")
        }
        #expect(error?.message.contains(folder.path + "/absent/") == true)
        #expect(try folder.names().isEmpty)
    }

    @Test(
        "a path that does not end in a file name is refused before anything is written", arguments: ["/", "/.", "/.."])
    func notAFileName(suffix: String) throws {
        let folder = try Folder()
        let error = #expect(throws: SedgateError.self) {
            try DurableFile.write(Array("x".utf8), to: folder.path + suffix)
        }
        #expect(error?.message.contains("does not name a file") == true)
        #expect(try folder.names().isEmpty)
    }

    @Test("a name as long as a file system allows is written: the temporary name is shortened, not the file's")
    func longName() throws {
        let folder = try Folder()
        let name = String(repeating: "n", count: 250) + ".xml"
        try DurableFile.write(Array("x".utf8), to: folder.path + "/" + name)
        #expect(try folder.names() == [name])
    }

    @Test("a group: each sealed alone, none visible until placed, then all placed with one folder sync")
    func group() throws {
        let folder = try Folder()
        let files = try (0..<3).map { index in
            let file = try DurableFile(path: folder.path + "/\(index)")
            try file.write("file \(index)")
            try file.seal(sync: false)
            return file
        }
        #expect(try folder.names().allSatisfy { $0.hasPrefix(".") })
        try Syscall.syncFileSystem(of: folder.path)
        for file in files { try file.place() }
        try Syscall.fsyncDirectory(folder.path)
        #expect(try folder.names() == ["0", "1", "2"])
        #expect(try folder.read("2") == Array("file 2".utf8))
    }
}
