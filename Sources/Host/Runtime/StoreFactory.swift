import ChannelKit
import Foundation
import Logging
import PostgreSQLStorage
import SQLiteStorage

/// Opens the store `storage:` names: the PostgreSQL server of `storage.postgres.url` when it is
/// set, else the SQLite file of `storage.path`. The one place in the host that names a
/// concrete store.
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
        if storage.postgres.isEnabled {
            let postgres = storage.postgres
            do {
                // Hosts share the database; leases in it keep them apart (no lock to take).
                return try await PostgreSQLStore.open(
                    url: postgres.url, poolSize: role == .host ? postgres.poolSize : 2,
                    connectTimeout: .seconds(postgres.connectTimeoutSeconds), logger: logger)
            } catch {
                // The store's message names host, port and database, never the password.
                throw HostStartError(component: "storage", message: "cannot use PostgreSQL: \(error)")
            }
        }
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
