import ChannelKit
import Foundation

// MARK: - SharedStateStore

extension InMemoryStore {
    public func sharedValue(scope: String, key: String, at now: Date) -> String? {
        guard let stored = sharedValues[scope]?[key] else { return nil }
        if let expiresAt = stored.expiresAt, expiresAt <= now { return nil }
        return stored.value
    }

    @discardableResult
    public func updateSharedValue(scope: String, key: String, at now: Date,
                                  _ transform: @escaping @Sendable (String?) -> SharedValueUpdate) -> SharedValueChange {
        let previous = sharedValue(scope: scope, key: key, at: now)
        let update = transform(previous)
        var values = sharedValues[scope] ?? [:]
        if let value = update.value {
            values[key] = (value, update.expiresAt, now)
        } else {
            values[key] = nil
        }
        // Bounded: expired values go whenever the scope is written.
        values = values.filter { $0.value.expiresAt.map { $0 > now } ?? true }
        sharedValues[scope] = values.isEmpty ? nil : values
        return SharedValueChange(previous: previous, current: update.value)
    }

    public func sharedValues(scope: String, at now: Date, limit: Int) -> [SharedEntry] {
        let live = (sharedValues[scope] ?? [:]).filter { $0.value.expiresAt.map { $0 > now } ?? true }
        return live.map { SharedEntry(key: $0.key, value: $0.value.value, updatedAt: $0.value.updatedAt) }
            .sorted { ($0.updatedAt, $1.key) > ($1.updatedAt, $0.key) }
            .prefix(max(0, limit)).map { $0 }
    }
}
