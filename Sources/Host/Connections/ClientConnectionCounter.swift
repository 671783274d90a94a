import Synchronization

/// The open connections per client address, shared by all of the server's event loops, and the
/// cap on them (``ConnectionLimits/maxConnectionsPerClient``).
final class ClientConnectionCounter: Sendable {
    /// The answer to a new connection.
    enum Admission: Equatable {
        /// Under the cap: counted; release it when the connection closes.
        case admitted
        /// At the cap: close the connection. `isFirst` is true for the first refusal since the
        /// address was last under the cap, so that one is logged and a flood is not.
        case refused(isFirst: Bool)
    }

    private struct Entry {
        var open = 0
        var refusing = false
    }

    private let cap: Int
    private let entries = Mutex<[String: Entry]>([:])

    /// Creates a counter.
    /// - Parameter cap: the open connections one address may hold; `0` means no cap.
    init(cap: Int) {
        self.cap = cap
    }

    /// Counts a new connection from `address`, unless the address already holds the cap.
    func admit(_ address: String) -> Admission {
        entries.withLock { entries in
            var entry = entries[address, default: Entry()]
            defer { entries[address] = entry }
            if cap > 0, entry.open >= cap {
                let isFirst = !entry.refusing
                entry.refusing = true
                return .refused(isFirst: isFirst)
            }
            entry.open += 1
            return .admitted
        }
    }

    /// Forgets a closed connection that ``admit(_:)`` admitted.
    func release(_ address: String) {
        entries.withLock { entries in
            guard var entry = entries[address] else { return }
            entry.open -= 1
            entry.refusing = false
            entries[address] = entry.open > 0 ? entry : nil
        }
    }
}
