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
