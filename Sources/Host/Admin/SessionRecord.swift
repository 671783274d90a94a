import Foundation

/// An admin session as kept in the store: when it began and when it was last used, as
/// `"<created ms> <last used ms>"`.
struct SessionRecord: Sendable, Equatable {
    var createdAt: Date
    var lastUsed: Date

    init(createdAt: Date, lastUsed: Date) {
        self.createdAt = createdAt
        self.lastUsed = lastUsed
    }

    /// The record stored as `text`, or `nil` when it is not one.
    init?(_ text: String) {
        let fields = text.split(separator: " ")
        guard fields.count == 2, let created = Int64(fields[0]), let used = Int64(fields[1]) else { return nil }
        createdAt = LoginFailures.date(created)
        lastUsed = LoginFailures.date(used)
    }

    /// The stored text.
    var encoded: String { "\(LoginFailures.milliseconds(createdAt)) \(LoginFailures.milliseconds(lastUsed))" }

    /// When the session ends: `idle` seconds after its last use, `max` after it began, whichever comes first.
    func expiry(idle: TimeInterval, max: TimeInterval) -> Date {
        min(lastUsed.addingTimeInterval(idle), createdAt.addingTimeInterval(max))
    }
}
