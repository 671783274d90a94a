import ChannelKit
import ChannelKitTesting
import Foundation
@testable import SQLiteStorage
import StoreSupport
import Testing

/// Remembered events stand in for decoding only for the JSON they were stored as.
@Suite("Stored event memo")
struct StoredEventMemoTests {
    static let stored = EventFactory.text("as stored", from: "u1", id: "m1")
    static let other = EventFactory.text("something else", from: "u2", id: "m2")

    @Test("a remembered event is returned for its own JSON only; other JSON is decoded")
    func matchesJSON() throws {
        let memo = StoredEventMemo(capacity: 8)
        let json = StoredJSON.encode(Self.stored)
        // Remember a different event under this JSON: getting it back shows that no decoding happened.
        memo.remember(Self.other, json: json, id: 7, state: .received)
        #expect(try memo.event(id: 7, json: json, state: .received, column: "c") == Self.other)
        // The row's JSON changed (redacted, rewritten): decoded afresh, and that is remembered.
        let changed = StoredJSON.encode(Self.stored.redacted)
        #expect(try memo.event(id: 7, json: changed, state: .received, column: "c") == Self.stored.redacted)
        #expect(try memo.event(id: 7, json: changed, state: .received, column: "c") == Self.stored.redacted)
        // Unknown ids are decoded.
        #expect(try memo.event(id: 8, json: json, state: .received, column: "c") == Self.stored)
        #expect(throws: StoreError.self) { try memo.event(id: 9, json: "{", state: .received, column: "c") }
    }

    @Test("beyond its capacity the oldest events are forgotten first")
    func bounded() throws {
        let memo = StoredEventMemo(capacity: 2)
        let json = StoredJSON.encode(Self.stored)
        for id in Int64(1)...3 { memo.remember(Self.other, json: json, id: id, state: .received) }
        #expect(memo.count == 2)
        #expect(try memo.event(id: 1, json: json, state: .received, column: "c") == Self.stored)   // forgotten: decoded
        #expect(try memo.event(id: 3, json: json, state: .received, column: "c") == Self.other)    // still remembered
    }

    @Test("through the store: a claimed item has its event, and a redacted one reads back redacted")
    func throughTheStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try await SQLiteStore.open(path: directory.path("memo.sqlite"), logger: quietLogger)
        let now = Date()
        let event = EventFactory.text("link me@example.com", from: "u-memo", id: "memo-\(UUID().uuidString)")
        let accepted = try await store.accept([event], at: now)
        let id = try #require(accepted.first?.id)
        let claimed = try #require(try await store.claim(id, leaseUntil: now.addingTimeInterval(60), at: now))
        #expect(claimed.event == event)
        #expect(try await store.redact(id, at: now))
        let read = try #require(try await store.item(id))
        #expect(read.event == event.redacted)
        #expect(read.event != event)
        await store.close()
    }

    @Test("the store forgets an event once its message is finished, dropped, redacted or erased, and never keeps an ignored one")
    func forgetsFinished() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // The memo is the process's, and other tests' stores in this process number their rows
        // from 1 too: this file's rows get ids no other store reaches.
        let path = directory.path("forget.sqlite")
        await (try SQLiteStore.open(path: path, logger: quietLogger)).close()
        do {
            let database = try Database(path: path)
            try database.run("INSERT OR REPLACE INTO sqlite_sequence (name, seq) VALUES ('inbox', ?1)",
                             [.integer(Int64.random(in: 1_000_000_000_000...2_000_000_000_000))])
        }
        let store = try await SQLiteStore.open(path: path, logger: quietLogger)
        let now = Date()
        let memo = StoredEventMemo.shared
        func event(_ name: String, from sender: String = "u-forget") -> InboundEvent {
            EventFactory.text("\(name) \(UUID().uuidString)", from: sender, id: "\(name)-\(UUID().uuidString)")
        }
        let answered = event("answered"), dropped = event("dropped", from: "u-drop"), redacted = event("redacted", from: "u-redact")
        let erased = event("erased", from: "u-erase")
        let ignored = EventFactory.ignored(.echo, from: "u-forget", id: "ignored-\(UUID().uuidString)")
        let items = try await store.accept([answered, dropped, redacted, erased, ignored], at: now)
        #expect(items.count == 5)
        let json = items.map { StoredJSON.encode($0.event) }
        #expect(items.indices.map { memo.remembers(id: items[$0].id, json: json[$0]) } == [true, true, true, true, false])

        let claimed = try #require(try await store.claim(items[0].id, leaseUntil: now + 60, at: now))
        #expect(claimed.event == answered && memo.remembers(id: items[0].id, json: json[0]), "an item being answered stays")
        try await store.complete(items[0].id, fence: LeaseFence(claimed), at: now)
        #expect(!memo.remembers(id: items[0].id, json: json[0]), "done")
        #expect(try await store.item(items[0].id)?.event == answered)
        #expect(!memo.remembers(id: items[0].id, json: json[0]), "a finished item read again is not remembered")

        #expect(try await store.drop(items[1].id, at: now))
        #expect(!memo.remembers(id: items[1].id, json: json[1]), "dropped")
        #expect(try await store.redact(items[2].id, at: now))
        #expect(!memo.remembers(id: items[2].id, json: json[2]), "redacted")

        _ = try await store.erase([ChannelIdentity(channel: erased.channel, userID: erased.senderID)],
                                  recording: ErasureRecord(confirmationCode: "forget-test", source: "test", channels: [erased.channel], erasedAt: now), at: now)
        #expect(!memo.remembers(id: items[3].id, json: json[3]), "erased")
        await store.close()
    }
}
