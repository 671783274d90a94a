import Foundation

/// Small pieces of state that every host of one store must see alike — who is logged in to
/// the admin portal, which addresses are locked out, who was just asked for an email address,
/// which channel is paused — kept as text values under a scope and a key, each with an
/// optional expiry.
///
/// A value past its expiry is gone: it reads as `nil`, an update sees `nil`, and the store
/// deletes it sooner or later. Every method is atomic across every host of the store.
public protocol SharedStateStore: Sendable {
    /// The value under (`scope`, `key`), or `nil` when there is none or it expired at `now`.
    func sharedValue(scope: String, key: String, at now: Date) async throws -> String?

    /// Reads the value under (`scope`, `key`) (`nil`: none, or expired at `now`), hands it to
    /// `transform`, and stores what `transform` returns — `nil` deletes it — with the expiry
    /// it returns, in one atomic step: concurrent updates of one key, from any host, run one
    /// after the other and each sees the result of the one before.
    ///
    /// `transform` may run more than once (a store that retries a transaction calls it again)
    /// and must not suspend or have side effects.
    /// - Returns: the value before and after.
    @discardableResult
    func updateSharedValue(scope: String, key: String, at now: Date,
                           _ transform: @escaping @Sendable (String?) -> SharedValueUpdate) async throws -> SharedValueChange

    /// The values of `scope` that have not expired at `now`, at most `limit`, the most
    /// recently written first (an operator's list: paused conversations, for one).
    func sharedValues(scope: String, at now: Date, limit: Int) async throws -> [SharedEntry]
}

/// One value of a scope, as ``SharedStateStore/sharedValues(scope:at:limit:)`` lists it.
public struct SharedEntry: Sendable, Hashable {
    /// Its key.
    public var key: String
    /// The value.
    public var value: String
    /// When it was last written.
    public var updatedAt: Date

    /// Creates an entry.
    public init(key: String, value: String, updatedAt: Date) {
        self.key = key
        self.value = value
        self.updatedAt = updatedAt
    }
}

/// What ``SharedStateStore/updateSharedValue(scope:key:at:_:)`` changed.
public struct SharedValueChange: Sendable, Hashable {
    /// The value before (`nil`: none, or expired).
    public var previous: String?
    /// The value now (`nil`: deleted).
    public var current: String?

    /// Creates a change.
    public init(previous: String?, current: String?) {
        self.previous = previous
        self.current = current
    }
}

/// What ``SharedStateStore/updateSharedValue(scope:key:at:_:)`` stores.
public struct SharedValueUpdate: Sendable, Hashable {
    /// The new value; `nil` deletes it.
    public var value: String?
    /// When the value expires; `nil`: never (until it is deleted).
    public var expiresAt: Date?

    /// Stores `value` (or deletes it, when `nil`) until `expiresAt`.
    public init(value: String?, expiresAt: Date? = nil) {
        self.value = value
        self.expiresAt = expiresAt
    }

    /// Deletes the value.
    public static let delete = SharedValueUpdate(value: nil)
}

extension SharedStateStore {
    /// Stores `value` under (`scope`, `key`) until `expiresAt`; `nil` deletes it.
    public func setSharedValue(_ value: String?, scope: String, key: String, expiresAt: Date? = nil, at now: Date) async throws {
        try await updateSharedValue(scope: scope, key: key, at: now) { _ in SharedValueUpdate(value: value, expiresAt: expiresAt) }
    }

    /// Deletes the value under (`scope`, `key`) and returns what it was (`nil`: none, or expired).
    public func takeSharedValue(scope: String, key: String, at now: Date) async throws -> String? {
        // Read first: most takes find nothing, and a read costs less than a write.
        guard try await sharedValue(scope: scope, key: key, at: now) != nil else { return nil }
        return try await updateSharedValue(scope: scope, key: key, at: now) { _ in .delete }.previous
    }
}
