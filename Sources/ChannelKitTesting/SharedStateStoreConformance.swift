import ChannelKit
import Foundation
import Testing

/// The conformance suite every ``SharedStateStore`` runs.
///
/// ```swift
/// @Test func sharedState() async throws {
///     try await SharedStateStoreConformance.run { InMemoryStore() }
/// }
/// ```
/// Each scenario gets a store of its own.
public enum SharedStateStoreConformance {
    /// Runs every scenario; failures are recorded as test issues, with the scenario's name.
    public static func run(_ makeStore: @Sendable () async throws -> any SharedStateStore) async throws {
        for (name, scenario) in scenarios {
            let store = try await makeStore()
            do {
                try await scenario(store)
            } catch {
                Issue.record("shared state conformance, \(name): unexpected error \(error)")
            }
        }
    }

    typealias Scenario = @Sendable (any SharedStateStore) async throws -> Void

    static let scenarios: [(String, Scenario)] = [
        ("set, read, replace, delete; scopes and keys apart", setReadDelete),
        ("a value is gone at its expiry", expiry),
        ("an update sees the value before it and says what changed", updateSeesPrevious),
        ("take reads and deletes", take),
        ("50 concurrent updates of one key lose none", concurrentUpdates),
        ("a scope's values listed, the most recently written first", listing),
        ("a conversation's state: paused until a time, or for good while another app owns it or a person waits", conversationControl),
    ]

    static func t(_ seconds: Int64, _ milliseconds: Int64) -> Date { StoreConformance.t(seconds, ms: milliseconds) }

    static func setReadDelete(_ store: any SharedStateStore) async throws {
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(0, 0)) == nil)
        try await store.setSharedValue("one", scope: "s", key: "k", at: t(0, 0))
        try await store.setSharedValue("other scope", scope: "s2", key: "k", at: t(0, 0))
        try await store.setSharedValue("other key", scope: "s", key: "k2", at: t(0, 0))
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(1, 0)) == "one")
        #expect(try await store.sharedValue(scope: "s2", key: "k", at: t(1, 0)) == "other scope")
        #expect(try await store.sharedValue(scope: "s", key: "k2", at: t(1, 0)) == "other key")
        try await store.setSharedValue("two, with ' and \" and é", scope: "s", key: "k", at: t(2, 0))
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(3, 0)) == "two, with ' and \" and é")
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(1_000_000, 0)) != nil, "no expiry: kept")
        try await store.setSharedValue(nil, scope: "s", key: "k", at: t(4, 0))
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(5, 0)) == nil)
        #expect(try await store.sharedValue(scope: "s", key: "k2", at: t(5, 0)) == "other key", "deleting one key keeps the others")
    }

    static func expiry(_ store: any SharedStateStore) async throws {
        try await store.setSharedValue("v", scope: "s", key: "k", expiresAt: t(10, 0), at: t(0, 0))
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(9, 999)) == "v")
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(10, 0)) == nil, "gone at its expiry")
        let change = try await store.updateSharedValue(scope: "s", key: "k", at: t(10, 0)) { current in
            SharedValueUpdate(value: current == nil ? "fresh" : "stale", expiresAt: t(20, 0))
        }
        #expect(change == SharedValueChange(previous: nil, current: "fresh"), "an update after the expiry sees nothing")
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(11, 0)) == "fresh")
    }

    static func updateSeesPrevious(_ store: any SharedStateStore) async throws {
        let first = try await store.updateSharedValue(scope: "s", key: "k", at: t(0, 0)) { _ in SharedValueUpdate(value: "a") }
        #expect(first == SharedValueChange(previous: nil, current: "a"))
        let second = try await store.updateSharedValue(scope: "s", key: "k", at: t(1, 0)) { current in
            SharedValueUpdate(value: (current ?? "") + "b")
        }
        #expect(second == SharedValueChange(previous: "a", current: "ab"))
        let kept = try await store.updateSharedValue(scope: "s", key: "k", at: t(2, 0)) { current in
            SharedValueUpdate(value: current)
        }
        #expect(kept == SharedValueChange(previous: "ab", current: "ab"))
        let deleted = try await store.updateSharedValue(scope: "s", key: "k", at: t(3, 0)) { _ in .delete }
        #expect(deleted == SharedValueChange(previous: "ab", current: nil))
        #expect(try await store.sharedValue(scope: "s", key: "k", at: t(4, 0)) == nil)
    }

    static func take(_ store: any SharedStateStore) async throws {
        #expect(try await store.takeSharedValue(scope: "s", key: "k", at: t(0, 0)) == nil)
        try await store.setSharedValue("v", scope: "s", key: "k", expiresAt: t(10, 0), at: t(0, 0))
        #expect(try await store.takeSharedValue(scope: "s", key: "k", at: t(1, 0)) == "v")
        #expect(try await store.takeSharedValue(scope: "s", key: "k", at: t(2, 0)) == nil, "taken once")
        try await store.setSharedValue("v", scope: "s", key: "k", expiresAt: t(10, 0), at: t(3, 0))
        #expect(try await store.takeSharedValue(scope: "s", key: "k", at: t(10, 0)) == nil, "an expired value is not taken")
    }

    static func concurrentUpdates(_ store: any SharedStateStore) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await store.updateSharedValue(scope: "count", key: "k", at: t(0, 0)) { current in
                        SharedValueUpdate(value: String((current.flatMap { Int($0) } ?? 0) + 1))
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(try await store.sharedValue(scope: "count", key: "k", at: t(1, 0)) == "50")
    }
}

// MARK: - Listing a scope, and the conversation state kept on it

extension SharedStateStoreConformance {
    static func listing(_ store: any SharedStateStore) async throws {
        try await store.setSharedValue("a", scope: "list", key: "k1", at: t(1, 0))
        try await store.setSharedValue("b", scope: "list", key: "k2", expiresAt: t(50, 0), at: t(2, 0))
        try await store.setSharedValue("c", scope: "list", key: "k3", at: t(3, 0))
        try await store.setSharedValue("elsewhere", scope: "other", key: "k4", at: t(4, 0))
        let all = try await store.sharedValues(scope: "list", at: t(10, 0), limit: 10)
        #expect(all.map(\.key) == ["k3", "k2", "k1"], "the most recently written first")
        #expect(all.map(\.value) == ["c", "b", "a"])
        #expect(all.first?.updatedAt == t(3, 0))
        #expect(try await store.sharedValues(scope: "list", at: t(10, 0), limit: 2).map(\.key) == ["k3", "k2"], "at most the limit")
        #expect(try await store.sharedValues(scope: "list", at: t(50, 0), limit: 10).map(\.key) == ["k3", "k1"], "expired values are not listed")
        try await store.setSharedValue("a again", scope: "list", key: "k1", at: t(60, 0))
        #expect(try await store.sharedValues(scope: "list", at: t(61, 0), limit: 1).map(\.value) == ["a again"], "a rewrite moves it first")
    }

    static func conversationControl(_ store: any SharedStateStore) async throws {
        let person = ConversationKey(channel: "instagram", accountID: "17841400000000000", userID: "user|with%odd")
        let other = ConversationKey(channel: "instagram", accountID: "17841400000000000|user", userID: "with%odd")
        #expect(try await store.conversationControl(of: person, at: t(0, 0)) == nil)
        // A pause lasts until its end, and is gone after it.
        try await store.updateConversationControl(of: person, at: t(0, 0)) { current in
            var control = current ?? ConversationControl(updatedAt: t(0, 0))
            control.pausedUntil = t(30, 0)
            control.reason = .humanReply
            return control
        }
        let paused = try #require(try await store.conversationControl(of: person, at: t(29, 0)))
        #expect(paused.isPaused(at: t(29, 0)) && paused.reason == .humanReply && paused.updatedAt == t(0, 0))
        #expect(try await store.conversationControl(of: other, at: t(1, 0)) == nil, "keys of different conversations never run into one another")
        #expect(try await store.conversationControl(of: person, at: t(30, 0)) == nil, "gone when the pause ends")
        // Another app owning the thread, or a person waiting, lasts until changed.
        try await store.updateConversationControl(of: other, at: t(40, 0)) { _ in
            ConversationControl(threadOwnerAppID: "777", updatedAt: t(40, 0))
        }
        try await store.updateConversationControl(of: person, at: t(41, 0)) { _ in
            ConversationControl(pausedUntil: t(42, 0), reason: .personAsked, personAskedAt: t(41, 0), updatedAt: t(41, 0))
        }
        #expect(try await store.conversationControl(of: person, at: t(1_000, 0))?.isWaitingForPerson == true)
        let listed = try await store.controlledConversations(at: t(1_000, 0), limit: 10)
        #expect(listed.map(\.conversation) == [person, other])
        #expect(listed.last?.control.threadOwnerAppID == "777")
        // A state that no longer matters is deleted.
        let cleared = try await store.updateConversationControl(of: other, at: t(1_001, 0)) { current in
            var control = current
            control?.threadOwnerAppID = nil
            return control
        }
        #expect(cleared == nil)
        #expect(try await store.controlledConversations(at: t(1_002, 0), limit: 10).map(\.conversation) == [person])
    }
}
