import ChannelKit
import ChannelKitTesting
import Foundation
import Logging
import SQLiteStorage
import Testing

/// `sandra inbox` against a real SQLite file.
@Suite("sandra inbox")
struct InboxCommandTests {
    @Test("list shows failed and dead items with their reason; retry and drop change them")
    func listRetryDrop() async throws {
        let directory = makeTemporaryDirectory()
        let database = directory + "/sandra.sqlite"
        let config = try CommandLineTests.temporaryFile("storage:\n  path: \(database)\n")
        let now = Date()
        let store = try await SQLiteStore.open(path: database, logger: Logger(label: "test"))
        let items = try await store.accept([
            EventFactory.text("a", from: "u1", id: "dead.1"),
            EventFactory.text("b", from: "u2", id: "failed.1"),
            EventFactory.text("c", from: "u3", id: "done.1"),
        ], at: now)
        for item in items { _ = try await store.claim(item.id, leaseUntil: now.addingTimeInterval(60), at: now) }
        try await store.kill(items[0].id, reason: "Graph API error 10/2534022 (outside the window)", at: now)
        try await store.fail(items[1].id, reason: "timeout", nextAttemptAt: now.addingTimeInterval(30), countsAsAttempt: true, at: now)
        try await store.complete(items[2].id, at: now)
        await store.close()

        let list = try await CommandLineTests.run(["inbox", "list", "--config", config])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.stdout.contains("dead.1") && list.stdout.contains("2534022"))
        #expect(list.stdout.contains("failed.1") && list.stdout.contains("timeout"))
        #expect(!list.stdout.contains("done.1"))

        let retry = try await CommandLineTests.run(["inbox", "retry", "\(items[0].id)", "--config", config])
        #expect(retry.status == 0, "\(retry.stderr)")
        let drop = try await CommandLineTests.run(["inbox", "drop", "\(items[1].id)", "--config", config])
        #expect(drop.status == 0, "\(drop.stderr)")
        let again = try await CommandLineTests.run(["inbox", "drop", "\(items[2].id)", "--config", config])
        #expect(again.status != 0)

        let reopened = try await SQLiteStore.open(path: database, logger: Logger(label: "test"))
        #expect(try await reopened.item(items[0].id)?.state == .received)
        #expect(try await reopened.item(items[1].id)?.state == .dropped)
        #expect(try await reopened.item(items[2].id)?.state == .done)
        // A dropped item keeps its key: a redelivery creates nothing.
        #expect(try await reopened.accept([EventFactory.text("b", from: "u2", id: "failed.1")], at: now).isEmpty)
        await reopened.close()

        let stats = try await CommandLineTests.run(["inbox", "stats", "--json", "--config", config])
        #expect(stats.status == 0, "\(stats.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(stats.stdout.utf8)) as? [[String: Any]])
        #expect(Set(rows.map { "\($0["state"] ?? "")=\($0["count"] ?? "")" }) == ["received=1", "dropped=1", "done=1"])
    }

    @Test("stats lists each channel's count and oldest item per state, as a table or as JSON")
    func stats() async throws {
        let directory = makeTemporaryDirectory()
        let database = directory + "/sandra.sqlite"
        let config = try CommandLineTests.temporaryFile("storage:\n  path: \(database)\n")
        let received = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 7200).rounded(.down))
        let store = try await SQLiteStore.open(path: database, logger: Logger(label: "test"))
        _ = try await store.accept([EventFactory.text("a", from: "u1", id: "ig.1", channel: "instagram")], at: received)
        _ = try await store.accept([EventFactory.text("b", from: "u2", id: "ig.2", channel: "instagram")], at: received.addingTimeInterval(600))
        let failing = try await store.accept([EventFactory.text("c", from: "u3", id: "wa.1", channel: "whatsapp")],
                                             at: received.addingTimeInterval(1800))
        _ = try await store.claim(failing[0].id, leaseUntil: Date().addingTimeInterval(60), at: Date())
        try await store.fail(failing[0].id, reason: "timeout", nextAttemptAt: Date().addingTimeInterval(600), countsAsAttempt: true, at: Date())
        await store.close()

        let table = try await CommandLineTests.run(["inbox", "stats", "--config", config])
        #expect(table.status == 0, "\(table.stderr)")
        let lines = table.stdout.split(separator: "\n").map { $0.split(separator: " ").map(String.init) }
        #expect(lines.first == ["CHANNEL", "STATE", "COUNT", "OLDEST", "OLDEST", "RECEIVED"])
        #expect(lines.dropFirst().map { Array($0.prefix(4)) } == [
            ["instagram", "received", "2", "2h"],
            ["whatsapp", "failed", "1", "1h"],
        ], "\(table.stdout)")

        let json = try await CommandLineTests.run(["inbox", "stats", "--json", "--config", config])
        #expect(json.status == 0, "\(json.stderr)")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count == 2)
        #expect(rows.first?["channel"] as? String == "instagram" && rows.first?["state"] as? String == "received")
        #expect(rows.first?["count"] as? Int == 2)
        #expect(rows.first?["oldest_received_at"] as? String == ISO8601DateFormatter().string(from: received))
        #expect((rows.first?["oldest_age_seconds"] as? Int ?? 0) >= 7200)
        #expect(rows.last?["state"] as? String == "failed" && rows.last?["count"] as? Int == 1)

        let empty = directory + "/empty.sqlite"
        let emptyStore = try await SQLiteStore.open(path: empty, logger: Logger(label: "test"))
        await emptyStore.close()
        let none = try await CommandLineTests.run(["inbox", "stats", "--config", try CommandLineTests.temporaryFile("storage:\n  path: \(empty)\n")])
        #expect(none.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "no items")
    }
}

/// `sandra erase` against a real SQLite file.
@Suite("sandra erase")
struct EraseCommandTests {
    @Test("erase removes one person's text and history on one channel and prints a confirmation code")
    func erase() async throws {
        let directory = makeTemporaryDirectory()
        let database = directory + "/sandra.sqlite"
        let config = try CommandLineTests.temporaryFile("storage:\n  path: \(database)\n")
        let now = Date()
        let store = try await SQLiteStore.open(path: database, logger: Logger(label: "test"))
        let items = try await store.accept([
            EventFactory.text("secret of u1", from: "u1", id: "m.1", channel: "instagram"),
            EventFactory.text("secret of u2", from: "u2", id: "m.2", channel: "instagram"),
        ], at: now)
        let conversation = ConversationKey(channel: "instagram", accountID: "acct", userID: "u1")
        try await store.append([ConversationTurn(role: .user, text: "secret of u1", timestamp: now)], to: conversation)
        await store.close()

        let missing = try await CommandLineTests.run(["erase", "--channel", "instagram", "--config", config])
        #expect(missing.status != 0, "--user is required")
        let result = try await CommandLineTests.run(["erase", "--channel", "instagram", "--user", "u1", "--config", config])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("erased on instagram: 1 inbox items, 0 reply parts, 1 conversation turns"), "\(result.stdout)")
        let code = try #require(result.stdout.split(separator: "\n").first { $0.hasPrefix("confirmation code: ") }?
            .dropFirst("confirmation code: ".count))

        let reopened = try await SQLiteStore.open(path: database, logger: Logger(label: "test"))
        #expect(try await reopened.item(items[0].id)?.event == items[0].event.erased)
        #expect(try await reopened.item(items[1].id)?.event == items[1].event)
        #expect(try await reopened.history(of: conversation, limit: 10).isEmpty)
        #expect(try await reopened.erasure(confirmationCode: String(code))?.source == "cli")
        await reopened.close()
    }
}
