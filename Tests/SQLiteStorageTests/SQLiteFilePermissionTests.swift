import ChannelKit
import ChannelKitTesting
import Foundation
import SQLiteStorage
import Testing

/// The database holds message history and linked email addresses: only the host's user may
/// read it.
@Suite("SQLite file permissions")
struct SQLiteFilePermissionTests {
    static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return (attributes[.posixPermissions] as? NSNumber)?.intValue ?? -1
    }

    @Test("the data folder is created 0700 and the database with its -wal and -shm files 0600")
    func privateFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("data/nested/sandra.sqlite")
        let store = try await SQLiteStore.open(path: path, logger: quietLogger)
        _ = try await store.accept([EventFactory.text("hello", from: "u1", id: "m1")], at: now)
        #expect(try Self.mode(directory.path("data")) == 0o700)
        #expect(try Self.mode(directory.path("data/nested")) == 0o700)
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(try Self.mode(file) == 0o600, "\(file)")
        }
        await store.close()
    }

    @Test("an existing database left readable by others is made private when opened")
    func existingFileRestricted() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("sandra.sqlite")
        try await SQLiteStore.open(path: path, logger: quietLogger).close()
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: path)
        let store = try await SQLiteStore.open(path: path, logger: quietLogger)
        #expect(try Self.mode(path) == 0o600)
        await store.close()
    }
}
