import ChannelKit
import Foundation

extension SQLiteStore {
    /// Creates the database file with mode 0600 when it is missing, and sets 0600 on it and on
    /// its `-wal` and `-shm` files when they exist (SQLite gives those the database's mode).
    static func restrictPermissions(of path: String) throws {
        let manager = FileManager.default
        if !manager.fileExists(atPath: path) {
            guard manager.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw StoreError(.unavailable, "cannot create the database file \(path)")
            }
        }
        for file in [path, path + "-wal", path + "-shm"] where manager.fileExists(atPath: file) {
            do {
                try manager.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
            } catch {
                throw StoreError(.unavailable, "cannot make \(file) private (mode 0600): \(error)")
            }
        }
    }
}
