import ChannelKit
import Synchronization

/// The media policies of the configured channels, by channel name; replaced one channel at a
/// time when an operator reconfigures a channel while the host runs.
final class MediaPolicyTable: Sendable {
    private let policies: Mutex<[String: MediaPolicy]>

    init(_ policies: [String: MediaPolicy]) {
        self.policies = Mutex(policies)
    }

    subscript(name: String) -> MediaPolicy? {
        get { policies.withLock { $0[name] } }
        set { policies.withLock { $0[name] = newValue } }
    }
}
