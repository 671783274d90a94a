import ChannelKit
import PostgreSQLStorage
import SQLiteStorage

/// Everything the host keeps — the inbox, the outbox, conversations, identities, saved
/// channel settings, erasures, state every host must share — in whichever store the
/// configuration names.
///
/// ``StoreFactory`` opens one; nothing else in the host names a concrete store.
protocol HostStore: PipelineStore, IdentityStore, ChannelSettingsStore, PrivacyStore {
    /// Where the data is, for logs and messages (never a password).
    var whereabouts: String { get }
    /// Finishes queued work and closes the store; later calls fail.
    func close() async
    /// `nil` when the store can be used now, else why not (for `/readyz`); answers within the
    /// store's connect timeout.
    func unreachableReason() async -> String?
}

extension SQLiteStore: HostStore {
    var whereabouts: String { path }
    /// A file of this host's, open for as long as the host runs.
    func unreachableReason() async -> String? { nil }
}

extension PostgreSQLStore: HostStore {
    var whereabouts: String { "\(location)" }
}
