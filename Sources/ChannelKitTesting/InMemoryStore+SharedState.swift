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
            values[key] = (value, update.expiresAt)
        } else {
            values[key] = nil
        }
        // Bounded: expired values go whenever the scope is written.
        values = values.filter { $0.value.expiresAt.map { $0 > now } ?? true }
        sharedValues[scope] = values.isEmpty ? nil : values
        return SharedValueChange(previous: previous, current: update.value)
    }
}
