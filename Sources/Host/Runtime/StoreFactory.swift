import ChannelKit
import Foundation
import Logging
import SQLiteStorage

/// Opens the store `storage:` names: the SQLite file of `storage.path`, or the PostgreSQL
/// server of `storage.postgres.url`. The one place in the host that names a concrete store.
enum StoreFactory {
    /// Who opens the store.
    enum Role {
        /// `sandra serve`: the store is this host's for as long as it runs. A SQLite file is
        /// locked, so that a second host on it is refused.
        case host
        /// A command that inspects or repairs the store while a host may be running.
        case tool
    }

    /// Opens the configured store.
    /// - Throws: ``HostStartError`` naming the store (never a password) and what went wrong.
    static func open(_ storage: StorageConfiguration, role: Role, logger: Logger) async throws -> any HostStore {
        do {
            return try await SQLiteStore.open(
                path: storage.path, maxSizeBytes: storage.maxSizeMB > 0 ? storage.maxSizeMB << 20 : nil,
                exclusive: role == .host, logger: logger)
        } catch let error as StoreError where error.code == .inUse {
            throw HostStartError(component: "storage", message: """
                another host is already using \(storage.path). One SQLite file serves one host; \
                to run several hosts, point them all at one PostgreSQL server (storage.postgres.url, SANDRA_DATABASE_URL)
                """)
        } catch {
            throw HostStartError(component: "storage", message: "cannot open \(storage.path): \(error)")
        }
    }
}
