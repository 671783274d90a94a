import ChannelIdentity
import ChannelKit
import Foundation
import Testing

/// The conformance suite every ``IdentityStore`` implementation runs.
///
/// ```swift
/// @Test func identityConformance() async throws {
///     try await IdentityStoreConformance.run { InMemoryStore() }
/// }
/// ```
/// Each scenario gets a store of its own. Times are whole milliseconds; nothing sleeps.
public enum IdentityStoreConformance {
    /// Runs every scenario; failures are recorded as test issues, with the scenario's name.
    public static func run(_ makeStore: @Sendable () async throws -> any IdentityStore) async throws {
        for (name, scenario) in scenarios {
            let store = try await makeStore()
            do {
                try await scenario(store)
            } catch {
                Issue.record("identity store conformance, \(name): unexpected error \(error)")
            }
        }
    }

    typealias Scenario = @Sendable (any IdentityStore) async throws -> Void

    static let scenarios: [(String, Scenario)] = [
        ("link creates one profile per address", linkCreatesOneProfilePerAddress),
        ("link moves an identity; unlink keeps the profile", linkMovesAndUnlinkKeepsProfile),
        ("the directory contract's link and unlink", directoryContract),
        ("update a profile", updateProfile),
        ("issue and read a pending code", issueAndRead),
        ("a new code replaces the pending one", newCodeReplaces),
        ("rate limit per identity", rateLimitPerIdentity),
        ("rate limit per address", rateLimitPerAddress),
        ("concurrent issues respect the limit", concurrentIssues),
        ("wrong codes and lockout", wrongCodesAndLockout),
        ("redeem links once", redeemLinksOnce),
        ("redeem refuses an expired code", redeemRefusesExpired),
        ("concurrent redeems: one wins", concurrentRedeems),
        ("discard", discard),
        ("purge expired codes", purgeExpired),
        ("emails owed: due order, sent, deferred", emailsOwed),
        ("reissue a code", reissue),
        ("audit records", auditRecords),
    ]

    // MARK: - Helpers

    static func t(_ seconds: Int64, ms milliseconds: Int64 = 0) -> Date {
        StoreConformance.t(seconds, ms: milliseconds)
    }

    static let alice = ChannelIdentity(channel: "instagram", userID: "ig-alice")
    static let aliceOnWhatsApp = ChannelIdentity(channel: "whatsapp", userID: "wa-alice")
    static let bob = ChannelIdentity(channel: "instagram", userID: "ig-bob")

    static let generous = CodeLimits(perIdentity: 100, perEmail: 100, window: 3600)

    /// A pending code for `identity` to `email`, made at `at` seconds, valid for 600 s.
    static func code(_ id: String, for identity: ChannelIdentity = alice, email: String = "alice@example.com",
                     at seconds: Int64 = 0, code: String = "123456") -> PendingCode {
        PendingCode(id: id, identity: identity, email: email, emailDigest: EmailAddress(email)?.digest ?? email,
                    sealed: LinkCode.seal(code), createdAt: t(seconds), expiresAt: t(seconds + 600))
    }

    static func issued(_ store: any IdentityStore, _ code: PendingCode, limits: CodeLimits = generous,
                       sourceLocation: SourceLocation = #_sourceLocation) async throws {
        let outcome = try await store.issueCode(code, limits: limits, at: code.createdAt)
        #expect(outcome == .issued, "issuing \(code.id)", sourceLocation: sourceLocation)
    }

    // MARK: - Profiles and links

    static func linkCreatesOneProfilePerAddress(_ store: any IdentityStore) async throws {
        #expect(try await store.profile(for: alice) == nil)
        let first = try await store.link(alice, toVerifiedEmail: "Alice@Example.com", at: t(1))
        #expect(first.email == "alice@example.com", "addresses are stored lowercased")
        #expect(!first.id.isEmpty && first.displayName == nil && first.preferences.isEmpty)
        #expect(try await store.profile(for: alice) == first)
        #expect(try await store.profile(id: first.id) == first)

        let second = try await store.link(aliceOnWhatsApp, toVerifiedEmail: "alice@example.com", at: t(2))
        #expect(second == first, "the same address from another channel is the same profile")
        #expect(try await store.identities(ofProfile: first.id) == [alice, aliceOnWhatsApp], "sorted by channel, then user id")

        let other = try await store.link(bob, toVerifiedEmail: "bob@example.com", at: t(3))
        #expect(other.id != first.id)
        #expect(try await store.identities(ofProfile: other.id) == [bob])
        #expect(try await store.profile(id: "no-such-profile") == nil)
        #expect(try await store.identities(ofProfile: "no-such-profile").isEmpty)
    }

    static func linkMovesAndUnlinkKeepsProfile(_ store: any IdentityStore) async throws {
        let old = try await store.link(alice, toVerifiedEmail: "old@example.com", at: t(1))
        let new = try await store.link(alice, toVerifiedEmail: "new@example.com", at: t(2))
        #expect(old.id != new.id)
        #expect(try await store.profile(for: alice) == new, "linking again moves the identity")
        #expect(try await store.identities(ofProfile: old.id).isEmpty)

        let unlinked = try await store.unlink(alice, at: t(3))
        #expect(unlinked == new)
        #expect(try await store.profile(for: alice) == nil)
        #expect(try await store.unlink(alice, at: t(4)) == nil, "unlinking an unlinked identity does nothing")
        #expect(try await store.profile(id: new.id) == new, "the profile stays")
        let again = try await store.link(alice, toVerifiedEmail: "new@example.com", at: t(5))
        #expect(again.id == new.id, "relinking the address finds the same profile")
    }

    static func directoryContract(_ store: any IdentityStore) async throws {
        let directory: any IdentityDirectory = store
        let profile = try await directory.link(bob, toVerifiedEmail: "bob@example.com")
        #expect(try await directory.profile(for: bob) == profile)
        try await directory.unlink(bob)
        #expect(try await directory.profile(for: bob) == nil)
        let actions = try await store.auditRecords(of: bob, limit: 10).map(\.action)
        #expect(actions == [.linked, .unlinked], "the directory's link and unlink are audited too")
    }

    static func updateProfile(_ store: any IdentityStore) async throws {
        var profile = try await store.link(alice, toVerifiedEmail: "alice@example.com", at: t(1))
        profile.displayName = "Alice Ångström 👩🏽‍🔬"
        profile.preferences = ["language": "fr", "units": "metric", "note": "“quotes” and \"escapes\""]
        profile.email = "ignored@example.com"
        try await store.updateProfile(profile, at: t(2))
        let stored = try #require(try await store.profile(id: profile.id))
        #expect(stored.displayName == profile.displayName && stored.preferences == profile.preferences)
        #expect(stored.email == "alice@example.com", "the email never changes")
        #expect(try await store.profile(for: alice) == stored)

        profile.displayName = nil
        profile.preferences = [:]
        try await store.updateProfile(profile, at: t(3))
        let cleared = try await store.profile(id: profile.id)
        #expect(cleared?.displayName == nil && cleared?.preferences.isEmpty == true)

        await StoreConformance.expectStoreError(.invalidTransition, "updating an unknown profile") {
            try await store.updateProfile(SandraProfile(id: "no-such-profile", email: "x@example.com"), at: t(4))
        }
    }

    // MARK: - Pending codes

    static func issueAndRead(_ store: any IdentityStore) async throws {
        #expect(try await store.pendingCode(for: alice) == nil)
        var pending = code("c1", email: "alice@example.com", at: 1)
        pending.createdAt = t(1, ms: 7)
        pending.expiresAt = t(601, ms: 7)
        try await issued(store, pending)
        let stored = try #require(try await store.pendingCode(for: alice))
        #expect(stored == pending, "a pending code round-trips exactly, at millisecond precision")
        #expect(stored.mailState == .pending && stored.mailAttempts == 0 && stored.failedAttempts == 0)
        #expect(LinkCode.matches("123456", stored.sealed) && !LinkCode.matches("123457", stored.sealed))
        #expect(try await store.pendingCode(for: bob) == nil)
    }

    static func newCodeReplaces(_ store: any IdentityStore) async throws {
        try await issued(store, code("c1", at: 1))
        _ = try await store.recordWrongCode("c1", maxAttempts: 5, at: t(2))
        try await issued(store, code("c2", email: "other@example.com", at: 3, code: "654321"))
        let stored = try #require(try await store.pendingCode(for: alice))
        #expect(stored.id == "c2" && stored.email == "other@example.com" && stored.failedAttempts == 0)
        #expect(try await store.recordWrongCode("c1", maxAttempts: 5, at: t(4)) == .gone, "the replaced code is gone")
        #expect(try await store.redeemCode("c1", at: t(4)) == nil)
    }

    static func rateLimitPerIdentity(_ store: any IdentityStore) async throws {
        let limits = CodeLimits(perIdentity: 3, perEmail: 100, window: 3600)
        for i in 0..<3 {
            let outcome = try await store.issueCode(code("c\(i)", email: "a\(i)@example.com", at: Int64(i)), limits: limits, at: t(Int64(i)))
            #expect(outcome == .issued)
        }
        let refused = try await store.issueCode(code("c3", email: "a3@example.com", at: 100), limits: limits, at: t(100))
        #expect(refused == .identityLimited)
        #expect(try await store.pendingCode(for: alice)?.id == "c2", "a refused code changes nothing")
        #expect(try await store.auditRecords(of: alice, limit: 100).count == 3, "and records nothing")
        #expect(try await store.issueCode(code("b0", for: bob, email: "b@example.com", at: 100), limits: limits, at: t(100)) == .issued,
                "other identities are not limited")
        // The window slides: the first code (at 0 s) counts until it is one window old.
        #expect(try await store.issueCode(code("c4", at: 3599), limits: limits, at: t(3599, ms: 999)) == .identityLimited,
                "a code less than one window old counts")
        #expect(try await store.issueCode(code("c5", at: 3600), limits: limits, at: t(3600)) == .issued,
                "a code exactly one window old no longer does")
    }

    static func rateLimitPerAddress(_ store: any IdentityStore) async throws {
        let limits = CodeLimits(perIdentity: 100, perEmail: 2, window: 600)
        let victim = "victim@example.com"
        for i in 0..<2 {
            let someone = ChannelIdentity(channel: "instagram", userID: "attacker-\(i)")
            #expect(try await store.issueCode(code("v\(i)", for: someone, email: victim, at: 1), limits: limits, at: t(1)) == .issued)
        }
        let third = ChannelIdentity(channel: "whatsapp", userID: "attacker-2")
        #expect(try await store.issueCode(code("v2", for: third, email: victim, at: 2), limits: limits, at: t(2)) == .emailLimited,
                "an address gets at most perEmail codes per window, whoever asks")
        #expect(try await store.pendingCode(for: third) == nil)
        #expect(try await store.issueCode(code("v3", for: third, email: "other@example.com", at: 2), limits: limits, at: t(2)) == .issued)
        #expect(try await store.issueCode(code("v4", for: third, email: victim, at: 602), limits: limits, at: t(602)) == .issued,
                "after the window the address may get codes again")
    }

    static func concurrentIssues(_ store: any IdentityStore) async throws {
        let limits = CodeLimits(perIdentity: 100, perEmail: 5, window: 3600)
        let outcomes = try await withThrowingTaskGroup(of: CodeIssue.self) { group in
            for i in 0..<20 {
                group.addTask {
                    let someone = ChannelIdentity(channel: "instagram", userID: "racer-\(i)")
                    return try await store.issueCode(code("r\(i)", for: someone, email: "target@example.com", at: 1), limits: limits, at: t(1))
                }
            }
            return try await group.reduce(into: [CodeIssue]()) { $0.append($1) }
        }
        #expect(outcomes.count(where: { $0 == .issued }) == 5, "of 20 concurrent requests for one address exactly the limit pass")
        #expect(outcomes.count(where: { $0 == .emailLimited }) == 15)
    }

    static func wrongCodesAndLockout(_ store: any IdentityStore) async throws {
        try await issued(store, code("c1", at: 1))
        for left in stride(from: 4, through: 1, by: -1) {
            #expect(try await store.recordWrongCode("c1", maxAttempts: 5, at: t(2)) == .attemptsLeft(left))
        }
        #expect(try await store.pendingCode(for: alice)?.failedAttempts == 4)
        #expect(try await store.recordWrongCode("c1", maxAttempts: 5, at: t(3)) == .lockedOut, "the fifth wrong code voids it")
        #expect(try await store.pendingCode(for: alice) == nil)
        #expect(try await store.recordWrongCode("c1", maxAttempts: 5, at: t(4)) == .gone)
        #expect(try await store.redeemCode("c1", at: t(4)) == nil, "a voided code cannot be redeemed")
        let last = try #require(try await store.auditRecords(of: alice, limit: 1).last)
        #expect(last.action == .lockedOut && last.at == t(3) && last.emailDigest == EmailAddress("alice@example.com")?.digest)
    }

    static func redeemLinksOnce(_ store: any IdentityStore) async throws {
        try await issued(store, code("c1", email: "Alice@Example.com", at: 1))
        let profile = try #require(try await store.redeemCode("c1", at: t(10)))
        #expect(profile.email == "alice@example.com")
        #expect(try await store.profile(for: alice) == profile)
        #expect(try await store.pendingCode(for: alice) == nil, "a redeemed code is gone")
        #expect(try await store.redeemCode("c1", at: t(11)) == nil, "single use")

        try await issued(store, code("w1", for: aliceOnWhatsApp, email: "alice@example.com", at: 20))
        let same = try #require(try await store.redeemCode("w1", at: t(21)))
        #expect(same.id == profile.id, "a second channel's code joins the same profile")
        #expect(try await store.identities(ofProfile: profile.id) == [alice, aliceOnWhatsApp])
        let actions = try await store.auditRecords(of: alice, limit: 10).map(\.action)
        #expect(actions == [.codeIssued, .linked])
    }

    static func redeemRefusesExpired(_ store: any IdentityStore) async throws {
        try await issued(store, code("c1", at: 0))   // expires at 600 s
        #expect(try await store.redeemCode("c1", at: t(600)) == nil, "refused from its expiry time on")
        #expect(try await store.profile(for: alice) == nil)
        #expect(try await store.redeemCode("c1", at: t(599, ms: 999)) != nil, "accepted one millisecond before")
    }

    static func concurrentRedeems(_ store: any IdentityStore) async throws {
        try await issued(store, code("c1", at: 1))
        let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<10 { group.addTask { try await store.redeemCode("c1", at: t(2)) != nil } }
            return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(winners == 1, "a code is redeemed at most once")
        #expect(try await store.auditRecords(of: alice, limit: 10).count(where: { $0.action == .linked }) == 1)
    }

    static func discard(_ store: any IdentityStore) async throws {
        try await issued(store, code("c1", at: 1))
        #expect(try await store.discardCode("c1", reason: .codeCancelled, at: t(2)))
        #expect(try await store.pendingCode(for: alice) == nil)
        #expect(try await store.discardCode("c1", reason: .codeCancelled, at: t(3)) == false)
        #expect(try await store.auditRecords(of: alice, limit: 10).map(\.action) == [.codeIssued, .codeCancelled])
    }

    static func purgeExpired(_ store: any IdentityStore) async throws {
        try await issued(store, code("sent-expired", for: alice, at: 0))
        #expect(try await store.markCodeMailed("sent-expired", at: t(1)))
        try await issued(store, code("sent-live", for: bob, email: "bob@example.com", at: 100))
        #expect(try await store.markCodeMailed("sent-live", at: t(101)))
        try await issued(store, code("owed-expired", for: aliceOnWhatsApp, at: 0))   // its email is still owed

        #expect(try await store.purgeExpiredCodes(at: t(600)) == 1)
        #expect(try await store.pendingCode(for: alice) == nil)
        #expect(try await store.pendingCode(for: bob)?.id == "sent-live")
        #expect(try await store.pendingCode(for: aliceOnWhatsApp)?.id == "owed-expired", "owed emails are left to the retries")
        #expect(try await store.auditRecords(of: alice, limit: 1).last?.action == .codeExpired)
        #expect(try await store.purgeExpiredCodes(at: t(600)) == 0)
    }

    static func emailsOwed(_ store: any IdentityStore) async throws {
        try await issued(store, code("a", for: alice, at: 1))
        try await issued(store, code("b", for: bob, email: "bob@example.com", at: 2))
        try await issued(store, code("w", for: aliceOnWhatsApp, at: 3))
        #expect(try await store.codesAwaitingMail(at: t(3), limit: 10).map(\.id) == ["a", "b", "w"],
                "never tried: due at once, oldest first")
        #expect(try await store.markCodeMailed("a", at: t(4)))
        #expect(try await store.deferCodeMail("b", reason: "unavailable: connection refused", nextAttemptAt: t(60), at: t(4)))
        #expect(try await store.codesAwaitingMail(at: t(59), limit: 10).map(\.id) == ["w"], "a deferred email waits")
        #expect(try await store.codesAwaitingMail(at: t(60), limit: 10).map(\.id) == ["w", "b"], "the earliest due first")
        #expect(try await store.codesAwaitingMail(at: t(60), limit: 1).map(\.id) == ["w"])
        #expect(try await store.codesAwaitingMail(at: t(60), limit: 0).isEmpty)
        let deferred = try #require(try await store.pendingCode(for: bob))
        #expect(deferred.mailState == .pending && deferred.mailAttempts == 1 && deferred.mailNextAttemptAt == t(60))
        #expect(deferred.mailLastError == "unavailable: connection refused")
        #expect(try await store.deferCodeMail("b", reason: "again", nextAttemptAt: t(120), at: t(61)))
        #expect(try await store.pendingCode(for: bob)?.mailAttempts == 2)
        let sent = try #require(try await store.pendingCode(for: alice))
        #expect(sent.mailState == .sent)
        #expect(try await store.markCodeMailed("nope", at: t(5)) == false)
        #expect(try await store.deferCodeMail("nope", reason: "x", nextAttemptAt: t(5), at: t(5)) == false)
    }

    static func reissue(_ store: any IdentityStore) async throws {
        try await issued(store, code("old", at: 1))
        _ = try await store.recordWrongCode("old", maxAttempts: 5, at: t(2))
        #expect(try await store.deferCodeMail("old", reason: "unavailable", nextAttemptAt: t(30), at: t(2)))
        var fresh = code("new", at: 30, code: "999999")
        fresh.mailAttempts = 99   // ignored: mail state and attempts are kept
        #expect(try await store.reissueCode("old", as: fresh, at: t(30)))
        let stored = try #require(try await store.pendingCode(for: alice))
        #expect(stored.id == "new" && stored.sealed == fresh.sealed && stored.createdAt == t(30) && stored.expiresAt == t(630))
        #expect(stored.failedAttempts == 0 && stored.mailAttempts == 1 && stored.mailState == .pending)
        #expect(stored.email == "alice@example.com")
        #expect(try await store.reissueCode("old", as: code("newer", at: 31), at: t(31)) == false, "the old id is gone")
        #expect(try await store.recordWrongCode("old", maxAttempts: 5, at: t(31)) == .gone)
        #expect(try await store.auditRecords(of: alice, limit: 1).last?.action == .codeReissued)
    }

    static func auditRecords(_ store: any IdentityStore) async throws {
        try await issued(store, code("c1", at: 1))
        let profile = try #require(try await store.redeemCode("c1", at: t(2, ms: 5)))
        _ = try await store.link(bob, toVerifiedEmail: "bob@example.com", at: t(3))
        _ = try await store.unlink(alice, at: t(4))
        let all = try await store.auditRecords(of: nil, limit: 100)
        #expect(all.map(\.action) == [.codeIssued, .linked, .linked, .unlinked])
        #expect(all.map(\.id) == all.map(\.id).sorted() && Set(all.map(\.id)).count == 4, "ids grow")
        #expect(all.map(\.at) == [t(1), t(2, ms: 5), t(3), t(4)])
        #expect(all[0].emailDigest == EmailAddress("alice@example.com")?.digest && all[0].profileID == nil)
        #expect(all[1].identity == alice && all[1].profileID == profile.id)
        #expect(all[3].identity == alice && all[3].profileID == profile.id)
        #expect(try await store.auditRecords(of: alice, limit: 100).map(\.action) == [.codeIssued, .linked, .unlinked])
        #expect(try await store.auditRecords(of: nil, limit: 2).map(\.action) == [.linked, .unlinked], "the last `limit`, oldest first")
        #expect(try await store.auditRecords(of: nil, limit: 0).isEmpty)
    }
}
