import ChannelKit
import Foundation
import Testing

/// The conformance suite for what operators read and change through a store: inbox counts
/// per channel, linked identities, and saved channel settings.
///
/// ```swift
/// @Test func operatorConformance() async throws {
///     try await OperatorStoreConformance.run { InMemoryStore() }
/// }
/// ```
/// Each scenario gets a store of its own.
public enum OperatorStoreConformance {
    /// A store with every operator-facing contract.
    public typealias Store = PipelineStore & IdentityStore & ChannelSettingsStore

    /// Runs every scenario; failures are recorded as test issues, with the scenario's name.
    public static func run(_ makeStore: @Sendable () async throws -> any Store) async throws {
        for (name, scenario) in scenarios {
            let store = try await makeStore()
            do {
                try await scenario(store)
            } catch {
                Issue.record("operator store conformance, \(name): unexpected error \(error)")
            }
        }
    }

    typealias Scenario = @Sendable (any Store) async throws -> Void

    static let scenarios: [(String, Scenario)] = [
        ("counts per channel", countsPerChannel),
        ("summary per channel and state: counts and the oldest received", summaryPerChannel),
        ("links, newest first, limited", linksNewestFirst),
        ("saved settings: set, replace, remove, per channel", savedSettings),
    ]

    static func countsPerChannel(_ store: any Store) async throws {
        #expect(try await store.countsByChannel().isEmpty, "an empty store counts nothing")
        let t0 = StoreConformance.t(0)
        let created = try await store.accept([
            StoreConformance.text("a1", channel: "alpha"), StoreConformance.text("a2", channel: "alpha"),
            StoreConformance.text("b1", channel: "beta"),
        ], at: t0)
        #expect(created.count == 3)
        let first = try #require(created.first { $0.event.platformMessageID == "a1" })
        _ = try await store.claim(first.id, leaseUntil: StoreConformance.t(60), at: t0)
        try await store.complete(first.id, at: StoreConformance.t(1))
        let counts = try await store.countsByChannel()
        #expect(Set(counts.keys) == ["alpha", "beta"])
        #expect(counts["alpha"]?[.done] == 1)
        #expect(counts["alpha"]?[.received] == 1)
        #expect(counts["beta"]?[.received] == 1)
        #expect(counts["beta"]?[.done] ?? 0 == 0)
    }

    static func summaryPerChannel(_ store: any Store) async throws {
        #expect(try await store.inboxSummary(states: Set(InboxState.allCases)).isEmpty, "an empty store summarizes nothing")
        // alpha: a1 received at t0 (then done), a2 at t10 and a3 at t20 (received); beta: b1 at
        // t5, failed; b2 at t30, received.
        var created: [InboxItem] = []
        for (id, channel, second) in [("a1", "alpha", 0), ("a2", "alpha", 10), ("b1", "beta", 5), ("a3", "alpha", 20), ("b2", "beta", 30)] {
            created += try await store.accept([StoreConformance.text(id, channel: channel)], at: StoreConformance.t(Int64(second)))
        }
        #expect(created.count == 5)
        func item(_ id: String) throws -> InboxItem { try #require(created.first { $0.event.platformMessageID == id }) }
        _ = try await store.claim(try item("a1").id, leaseUntil: StoreConformance.t(100), at: StoreConformance.t(40))
        try await store.complete(try item("a1").id, at: StoreConformance.t(41))
        _ = try await store.claim(try item("b1").id, leaseUntil: StoreConformance.t(100), at: StoreConformance.t(40))
        try await store.fail(try item("b1").id, reason: "timeout", nextAttemptAt: StoreConformance.t(90), countsAsAttempt: true,
                             at: StoreConformance.t(42))

        let open = try await store.inboxSummary(states: [.received, .processing, .failed])
        #expect(open == [
            InboxStateSummary(channel: "alpha", state: .received, count: 2, oldestReceivedAt: StoreConformance.t(10)),
            InboxStateSummary(channel: "beta", state: .failed, count: 1, oldestReceivedAt: StoreConformance.t(5)),
            InboxStateSummary(channel: "beta", state: .received, count: 1, oldestReceivedAt: StoreConformance.t(30)),
        ], "only the states asked for, oldest by received time (not by when the state was entered)")
        let done = try await store.inboxSummary(states: [.done])
        #expect(done == [InboxStateSummary(channel: "alpha", state: .done, count: 1, oldestReceivedAt: StoreConformance.t(0))])
        #expect(try await store.inboxSummary(states: []).isEmpty)
        #expect(open.first?.oldestAge(at: StoreConformance.t(70)) == 60)
    }

    static func linksNewestFirst(_ store: any Store) async throws {
        #expect(try await store.links(limit: 10).isEmpty)
        let alice = ChannelIdentity(channel: "instagram", userID: "ig-alice")
        let aliceWA = ChannelIdentity(channel: "whatsapp", userID: "wa-alice")
        let bob = ChannelIdentity(channel: "instagram", userID: "ig-bob")
        _ = try await store.link(alice, toVerifiedEmail: "alice@example.com", at: StoreConformance.t(1))
        _ = try await store.link(bob, toVerifiedEmail: "bob@example.com", at: StoreConformance.t(2))
        _ = try await store.link(aliceWA, toVerifiedEmail: "Alice@Example.com", at: StoreConformance.t(3))
        let links = try await store.links(limit: 10)
        #expect(links.map(\.identity) == [aliceWA, bob, alice])
        #expect(links.first?.profile.email == "alice@example.com")
        #expect(links.first?.profile.id == links.last?.profile.id, "one person, one profile")
        #expect(links.first?.linkedAt == StoreConformance.t(3))
        #expect(try await store.links(limit: 2).map(\.identity) == [aliceWA, bob])
        _ = try await store.unlink(bob, at: StoreConformance.t(4))
        #expect(try await store.links(limit: 10).map(\.identity) == [aliceWA, alice])
    }

    static func savedSettings(_ store: any Store) async throws {
        #expect(try await store.settingOverrides(channel: "instagram").isEmpty)
        try await store.saveSettingOverrides(["access_token": "enc:one", "api_version": "v27.0"], removing: [],
                                             channel: "instagram", at: StoreConformance.t(1))
        try await store.saveSettingOverrides(["access_token": "enc:other"], removing: [], channel: "whatsapp", at: StoreConformance.t(1))
        var saved = try await store.settingOverrides(channel: "instagram")
        #expect(saved.mapValues(\.value) == ["access_token": "enc:one", "api_version": "v27.0"])
        #expect(saved["api_version"]?.updatedAt == StoreConformance.t(1))

        try await store.saveSettingOverrides(["access_token": "enc:two"], removing: ["api_version", "access_token"],
                                             channel: "instagram", at: StoreConformance.t(2))
        saved = try await store.settingOverrides(channel: "instagram")
        #expect(saved.mapValues(\.value) == ["access_token": "enc:two"], "a key both set and removed is set")
        #expect(saved["access_token"]?.updatedAt == StoreConformance.t(2))
        #expect(try await store.settingOverrides(channel: "whatsapp").mapValues(\.value) == ["access_token": "enc:other"],
                "channels are separate")

        try await store.saveSettingOverrides([:], removing: ["access_token", "never_saved"], channel: "instagram", at: StoreConformance.t(3))
        #expect(try await store.settingOverrides(channel: "instagram").isEmpty)
    }
}
