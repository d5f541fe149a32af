// PowerCutTests: the power-loss model of the tests (libSedgatePowerCut.so and PowerCut.revert) on python3 programs
// that choose their fsyncs: what an fsync made durable survives the cut, nothing else does, and SQLite in WAL mode
// keeps its commits with synchronous=FULL and loses them with synchronous=NORMAL.

import Foundation
import SedgateTesting
import Testing

@Suite("Power cut", .enabled("needs python3 with its sqlite3 module") { await PowerCutChild.findPython() != nil })
struct PowerCutTests {
    @Test("a file fsynced, and its folder fsynced after it was made, survives the cut")
    func syncedFileSurvives() async throws {
        let child = try await PowerCutChild()
        try await child.start(
            """
            write(root + "/kept", b"kept", fsync=True)
            sync_folder(root)
            """)
        let summary = try await child.cut()
        #expect(child.contents("kept") == "kept")
        #expect(summary.undoneData == 0 && summary.undoneNames == 0 && summary.unresolved.isEmpty, "\(summary)")
    }

    @Test("writes, appends and truncations not followed by an fsync of their file are undone")
    func unsyncedDataIsUndone() async throws {
        let child = try await PowerCutChild()
        try await child.start(
            """
            for name in ["overwritten", "appended", "truncated", "replaced"]:
                write(root + "/" + name, b"old bytes", fsync=True)
            sync_folder(root)
            fd = os.open(root + "/overwritten", os.O_WRONLY)
            os.pwrite(fd, b"NEW", 4)
            os.close(fd)
            fd = os.open(root + "/appended", os.O_WRONLY | os.O_APPEND)
            os.write(fd, b" and more")
            os.close(fd)
            fd = os.open(root + "/truncated", os.O_WRONLY)
            os.ftruncate(fd, 3)
            os.close(fd)
            write(root + "/replaced", b"other")
            """)
        let summary = try await child.cut()
        for name in ["overwritten", "appended", "truncated", "replaced"] {
            #expect(child.contents(name) == "old bytes", "\(name)")
        }
        #expect(summary.undoneData == 5 && summary.unresolved.isEmpty, "\(summary)")
    }

    @Test("a name made without an fsync of its folder is gone, with a folder's contents, fsynced or not")
    func unsyncedNamesAreGone() async throws {
        let child = try await PowerCutChild()
        try await child.start(
            """
            write(root + "/unnamed", b"data synced, folder not", fsync=True)
            os.mkdir(root + "/folder")
            write(root + "/folder/inner", b"inner", fsync=True)
            sync_folder(root + "/folder")
            """)
        let summary = try await child.cut()
        #expect(child.contents("unnamed") == nil)
        #expect(!FileManager.default.fileExists(atPath: child.root + "/folder"))
        #expect(summary.keptData == 2 && summary.unresolved.isEmpty, "\(summary)")
    }

    @Test("renames and removals not followed by an fsync of their folders are undone, replaced files included")
    func unsyncedRenamesAndRemovalsAreUndone() async throws {
        let child = try await PowerCutChild()
        try await child.start(
            """
            os.mkdir(root + "/other")
            for name in ["moved", "renamed", "victim", "removed"]:
                write(root + "/" + name, name.encode(), fsync=True)
            sync_folder(root)
            os.rename(root + "/moved", root + "/other/moved")
            sync_folder(root + "/other")
            os.rename(root + "/renamed", root + "/victim")
            os.unlink(root + "/removed")
            """)
        let summary = try await child.cut()
        for name in ["moved", "renamed", "victim", "removed"] {
            #expect(child.contents(name) == name)
        }
        #expect(child.contents("other/moved") == nil)
        #expect(summary.undoneNames == 3 && summary.unresolved.isEmpty, "\(summary)")
    }

    @Test("threads appending and fsyncing side by side keep every record reported after its fsync, killed mid-stream")
    func concurrentWritersKeepSyncedRecords() async throws {
        let child = try await PowerCutChild()
        try await child.start(
            """
            import threading
            def append(name):
                fd = os.open(root + "/" + name, os.O_CREAT | os.O_WRONLY | os.O_APPEND, 0o644)
                sync_folder(root)
                n = 0
                while True:
                    n += 1
                    os.write(fd, b"%08d\\n" % n)
                    if n % 3 == 0:
                        os.fsync(fd)
                        progress("%s %d" % (name, n))
            for name in ["a", "b", "c", "d"]:
                threading.Thread(target=append, args=(name,), daemon=True).start()
            """,
            until: { $0.count >= 400 })
        let summary = try await child.cut()
        let reported = Dictionary(
            child.progress().compactMap { line -> (String, Int)? in
                let parts = line.split(separator: " ")
                return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? 0) : nil
            }, uniquingKeysWith: max)
        for name in ["a", "b", "c", "d"] {
            let records = (child.contents(name) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
            #expect(records.last == "", "\(name) ends with a whole record")
            #expect(records.dropLast().enumerated().allSatisfy { Int($1) == $0 + 1 }, "\(name) holds records 1...")
            #expect(records.count - 1 >= reported[name] ?? 0, "\(name): \(records.count - 1) records survived")
        }
        #expect(summary.unresolved.isEmpty, "\(summary)")
    }

    @Test(
        "SQLite in WAL mode with synchronous=FULL keeps every commit it returned through checkpoints, killed mid-stream"
    )
    func sqliteFullKeepsCommits() async throws {
        let child = try await PowerCutChild()
        try await child.start(
            """
            db = sqlite3.connect(root + "/journal.sqlite", isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("PRAGMA wal_autocheckpoint=50")
            db.execute("CREATE TABLE t (n INTEGER, padding TEXT)")
            n = 0
            while True:
                n += 1
                db.execute("INSERT INTO t VALUES (?, ?)", (n, "x" * 3000))
                progress(n)
            """,
            until: { $0.count >= 300 })
        let summary = try await child.cut()
        let reported = child.progress().compactMap { Int($0) }.max() ?? 0
        let rows = try await Int(child.sqlite("journal.sqlite", "SELECT count(*) FROM t")) ?? -1
        #expect(try await child.sqlite("journal.sqlite", "PRAGMA integrity_check") == "ok")
        #expect(rows >= reported && rows <= reported + 1, "\(rows) rows after \(reported) commits; \(summary)")
        #expect(summary.unresolved.isEmpty, "\(summary)")
    }

    @Test("SQLite in WAL mode with synchronous=NORMAL loses the commits made after its last sync")
    func sqliteNormalLosesCommits() async throws {
        let child = try await PowerCutChild()
        try await child.start(
            """
            db = sqlite3.connect(root + "/journal.sqlite", isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.execute("CREATE TABLE t (n INTEGER)")
            for n in range(10):
                db.execute("INSERT INTO t VALUES (?)", (n,))
            db.execute("PRAGMA synchronous=NORMAL")
            for n in range(10, 60):
                db.execute("INSERT INTO t VALUES (?)", (n,))
            """)
        let summary = try await child.cut()
        #expect(try await child.sqlite("journal.sqlite", "PRAGMA integrity_check") == "ok")
        #expect(try await child.sqlite("journal.sqlite", "SELECT count(*) FROM t") == "10", "\(summary)")
        #expect(summary.undoneData > 0 && summary.unresolved.isEmpty, "\(summary)")
    }
}
