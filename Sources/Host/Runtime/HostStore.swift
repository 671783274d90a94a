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
}

extension SQLiteStore: HostStore {
    var whereabouts: String { path }
}

extension PostgreSQLStore: HostStore {
    var whereabouts: String { "\(location)" }
}
