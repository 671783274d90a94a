import Synchronization

/// A count of statements sent, shared by a store's sessions.
final class StatementCounter: Sendable {
    private let count = Atomic<Int>(0)

    /// The statements counted so far.
    var value: Int { count.load(ordering: .relaxed) }

    /// Counts one statement.
    func add() {
        count.add(1, ordering: .relaxed)
    }
}
